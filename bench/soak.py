"""A bounded soak on loopback: mixed tool calls for --seconds against the MCP server over HTTP (or
stdio), which talks to the sandbox served over HTTP with faults injected at random.

    python bench/soak.py --seconds 120                        # the 2-minute soak
    python bench/soak.py --calls 150 --seconds 300 --json     # the short one the tests run

--calls N stops after N calls, however long they take (--seconds stays an upper bound), so a
test can count on N answers on a busy machine as on a quiet one.

Both processes listen on 127.0.0.1 only and are stopped at the end; every loop stops at the
deadline. Prints, and with --json emits as one JSON line: calls made, errors surfaced (injected
faults and deliberate bad input) and unexpected ones, faults injected per class (from the
sandbox's request log), duplicate sends of non-repeatable requests, crashes, and the server's RSS
at start and end. Exits 1 when there were duplicates, crashes or unexpected errors.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio
import httpx2
from mcp import Client, StdioServerParameters

from common import free_port, memory_mb, wait_http

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-soak-3c9d1e7a5b"
HOST = "127.0.0.1"

# Faults at random rates (the sandbox's RNG is seeded): every class, on reads that retry through them
# and on the one write, which must never be sent twice.
FAULTS = [
    {"path_prefix": "/api/v2/campaigns", "method": "GET", "status": 429, "retry_after": 0, "rate": 0.05},
    {"path_prefix": "/api/v2/campaigns", "method": "GET", "status": 429, "rate": 0.03},
    {"path_prefix": "/api/v2/lead-lists", "status": 503, "rate": 0.05},
    {"path_prefix": "/api/v2/lead-lists", "status": 502, "rate": 0.03},
    {"path_prefix": "/api/v2/accounts", "status": 504, "rate": 0.04},
    {"path_prefix": "/api/v2/accounts", "status": 500, "rate": 0.03},
    {"path_prefix": "/api/v2/custom-tags", "kind": "drop", "rate": 0.04},
    {"path_prefix": "/api/v2/emails/unread", "kind": "malformed", "rate": 0.04},
    {"path_prefix": "/api/v2/lead-labels", "kind": "html", "rate": 0.04},
    {"path_prefix": "/api/v2/lead-labels", "kind": "latency", "delay_s": 0.2, "rate": 0.05},
    {"path_prefix": "/api/v2/block-lists-entries", "method": "POST", "status": 500, "rate": 0.05},
    {"path_prefix": "/api/v2/block-lists-entries", "method": "POST", "status": 429, "retry_after": 0, "rate": 0.05},
    {"path_prefix": "/api/v2/block-lists-entries", "method": "POST", "kind": "drop", "rate": 0.03},
]
READS = [
    ("list_campaigns", {"limit": 2}),
    ("list_lead_lists", {"limit": 2}),
    ("list_accounts", {"limit": 2}),
    ("list_custom_tags", {"limit": 2}),
    ("count_unread_emails", {}),
    ("list_lead_labels", {"limit": 2}),
    ("list_leads", {"limit": 2}),
]
BAD_INPUT = ("list_campaigns", {"limit": "ten"})
# What an error result may say when it comes from an injected fault on the one write (no retry).
INJECTED = ("HTTP 500", "HTTP 429", "the connection closed before a complete answer")


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "instantly_mcp.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


class Tally:
    def __init__(self) -> None:
        self.calls = Counter[str]()
        self.errors = Counter[str]()
        self.unexpected: list[str] = []
        self.crashes: list[str] = []
        self.faults = Counter[str]()
        self.posts = Counter[str]()  # bl_value -> requests the sandbox handled or failed (429s excluded)
        self.logged = 0

    def take_log(self, entries: list[dict[str, Any]]) -> None:
        self.logged += len(entries)
        for entry in entries:
            if entry.get("fault"):
                kind = entry["fault"]
                self.faults[f"{kind} {entry['status']}" if kind in ("status", "html") else kind] += 1
            refused = entry.get("fault") == "status" and entry.get("status") == 429  # refused unprocessed
            if entry["method"] == "POST" and entry["path"] == "/api/v2/block-lists-entries" and not refused:
                self.posts[(entry.get("body") or {}).get("bl_value", "?")] += 1

    @property
    def duplicates(self) -> int:
        return sum(n - 1 for n in self.posts.values() if n > 1)


def stdio_server_pid() -> int:
    """The `instantly-mcp` process the SDK's stdio client started for us."""
    for stat in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmdline = stat.read_bytes().split(b"\0")
            parent = int((stat.parent / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if parent == os.getpid() and b"instantly_mcp.cli" in cmdline:
            return int(stat.parent.name)
    raise RuntimeError("the stdio server process was not found")


async def soak(
    mcp: Any,
    seconds: float,
    workers: int,
    admin: httpx2.Client,
    tally: Tally,
    server_pid: int | None,
    calls: int | None = None,
) -> dict[str, float]:
    serial, started = itertools.count(), itertools.count()
    stop_at = time.monotonic() + seconds
    rss: dict[str, float] = {}
    done = anyio.Event()

    def more() -> bool:
        return time.monotonic() < stop_at and (calls is None or next(started) < calls)

    async def worker(index: int) -> None:
        rng = random.Random(index)
        async with Client(mcp, mode="legacy") as client:
            while more():
                roll = rng.random()
                if roll < 0.15:
                    name, args, kind = "create_block_list_entry", {"bl_value": f"soak-{next(serial)}.example"}, "write"
                elif roll < 0.18:
                    (name, args), kind = BAD_INPUT, "bad input"
                else:
                    (name, args), kind = rng.choice(READS), "read"
                tally.calls[kind] += 1
                try:
                    with anyio.fail_after(90):
                        result = await client.call_tool(name, args)
                except Exception as exc:  # a protocol error or a dead server: the server crashed or hung
                    tally.crashes.append(f"{name}: {type(exc).__name__}: {exc}")
                    return
                if not result.is_error:
                    continue
                message = result.content[0].text if result.content else ""
                if kind == "bad input" and "Invalid arguments" in message:
                    tally.errors["bad input refused"] += 1
                elif kind == "write" and any(phrase in message for phrase in INJECTED):
                    tally.errors["injected fault on the write"] += 1
                else:
                    tally.unexpected.append(f"{name}: {message[:300]}")

    async def sampler() -> None:
        nonlocal server_pid
        await anyio.sleep(1)  # past start-up and the first calls
        server_pid = server_pid or stdio_server_pid()
        rss["start"] = memory_mb(server_pid)
        while not done.is_set() and time.monotonic() < stop_at:
            with anyio.move_on_after(2):
                await done.wait()
            tally.take_log(admin.get("/_sandbox/requests", params={"drain": "true"}).json())
            rss["peak"] = max(rss.get("peak", 0.0), memory_mb(server_pid))
        rss["end"] = memory_mb(server_pid)

    async def workers_then_done() -> None:
        async with anyio.create_task_group() as tg:
            for i in range(workers):
                tg.start_soon(worker, i)
        done.set()

    async with anyio.create_task_group() as tg:
        tg.start_soon(sampler)
        tg.start_soon(workers_then_done)
    return rss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="how long to run the calls (default 120)")
    parser.add_argument(
        "--calls", type=int, default=None, help="stop after this many calls (default: run for --seconds)"
    )
    parser.add_argument("--workers", type=int, default=8, help="concurrent MCP sessions (default 8)")
    parser.add_argument("--transport", choices=["http", "stdio"], default="http", help="how to reach the MCP server")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)

    logs = Path(os.environ.get("SOAK_LOG_DIR", "/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env.update(PYTHONPATH=str(ROOT), INSTANTLY_API_KEY=KEY, INSTANTLY_CONFIRM="off")
    sandbox_port, mcp_port = free_port(), free_port()
    sandbox = start(["sandbox", "--host", HOST, "--port", str(sandbox_port)], env, logs / "soak-sandbox.log")
    server: subprocess.Popen | None = None
    tally = Tally()
    try:
        sandbox_url = f"http://{HOST}:{sandbox_port}"
        wait_http(f"{sandbox_url}/_sandbox/health", sandbox, 60, healthy=True)
        env["INSTANTLY_BASE_URL"] = sandbox_url
        admin = httpx2.Client(base_url=sandbox_url, timeout=30)
        admin.post("/_sandbox/faults", json=FAULTS).raise_for_status()
        if args.transport == "http":
            server = start(
                ["serve", "--transport", "http", "--host", HOST, "--port", str(mcp_port)], env, logs / "soak-server.log"
            )
            wait_http(f"http://{HOST}:{mcp_port}/healthz", server, 60, healthy=True)
            mcp: Any = f"http://{HOST}:{mcp_port}/mcp"
            server_pid: int | None = server.pid
        else:  # each stdio session would start its own server: one session, calls one at a time
            mcp = StdioServerParameters(
                command=sys.executable, args=["-m", "instantly_mcp.cli"], env=env, cwd=str(ROOT)
            )
            args.workers, server_pid = 1, None
        started = time.monotonic()
        rss = anyio.run(soak, mcp, args.seconds, args.workers, admin, tally, server_pid, args.calls)
        elapsed = time.monotonic() - started
        tally.take_log(admin.get("/_sandbox/requests", params={"drain": "true"}).json())
        crashed_server = server is not None and server.poll() is not None
    finally:
        if server is not None:
            stop(server)
        stop(sandbox)

    calls = sum(tally.calls.values())
    report = {
        "transport": args.transport,
        "seconds": round(elapsed, 1),
        "calls": calls,
        "calls_by_kind": dict(tally.calls),
        "calls_per_s": round(calls / elapsed, 1),
        "upstream_requests": tally.logged,
        "faults_injected": dict(sorted(tally.faults.items())),
        "errors_surfaced": dict(tally.errors),
        "unexpected_errors": len(tally.unexpected),
        "duplicate_sends": tally.duplicates,
        "writes_checked": len(tally.posts),
        "crashes": len(tally.crashes) + int(crashed_server),
        "rss_mb": {k: round(v, 1) for k, v in rss.items()},
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:20} {value}")
    for line in tally.unexpected[:5] + tally.crashes[:5]:
        print("  ", line, file=sys.stderr)
    return 1 if report["duplicate_sends"] or report["crashes"] or report["unexpected_errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
