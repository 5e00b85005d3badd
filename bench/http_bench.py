"""tools/call throughput over streamable HTTP with 1, 8 and 32 concurrent sessions, as ratios
against the floor:

    (a) a minimal one-tool MCP server (bench/minimal_server.py --port), same SDK and uvicorn
    (b) instantly-mcp, one API key per session (--per-request-key: each has its own rate limiter)
    (c) the same in discover mode (call_tool), (d) in code mode (a one-line run_code script)
    (e) instantly-mcp, one API key for all (Instantly's 100 requests/s budget is kept, by design)
    (f), ... another checkout, one key per session, and its code mode where it has one (--against PATH,
        e.g. last week's commit in its own worktree; repeatable), run with the same python and PYTHONPATH=PATH

All of them call the same local sandbox (`instantly-mcp sandbox`) over HTTP. Prints a table;
asserts nothing. Loopback only. Every cell runs a fixed time with every session calling in a loop,
after each session's warm-up call; cells run round robin over the servers, --rounds times, and
the best round counts (machine noise only ever slows a cell down). The load generator shares the
machine's cores with the servers and the sandbox, so the figures compare, they do not promise.

    python bench/http_bench.py [--seconds 2] [--rounds 3] [--against /work/wt-lastweek] [--upstream-ms 100]
                               [--client-mode auto]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from common import add_against, against_label, free_port, memory_mb, plain_env, start_sandbox, wait_http

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CONCURRENCY = (1, 8, 32)
CALL = ("list_block_list_entries", {"limit": 2})
DISCOVER_CALL = ("call_tool", {"name": CALL[0], "arguments": CALL[1]})
CODE_CALL = ("run_code", {"code": f"await instantly.{CALL[0]}(limit={CALL[1]['limit']})"})


@dataclass
class Target:
    label: str
    command: list[str]
    env: dict[str, str]
    call: tuple[str, dict] = CALL
    key_per_session: bool = False
    cwd: Path = ROOT  # `python -m` imports from the working directory first, before PYTHONPATH
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    rates: dict[int, list[float]] = field(default_factory=dict)
    cpu_per_call: dict[int, list[float]] = field(default_factory=dict)
    peak_mb: float = float("nan")
    errors: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*self.command, "--port", str(self.port)],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(self.url, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.peak_mb = memory_mb(self.proc.pid, "VmHWM")
            self.proc.terminate()
            self.proc.wait(15)

    def best(self, sessions: int) -> float:
        return max(self.rates[sessions])

    def cpu_ms(self) -> float:
        """User plus system CPU time the server process has used so far."""
        assert self.proc is not None
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def cell(target: Target, sessions: int, seconds: float, mode: str = "legacy") -> float:
    """calls/s over `seconds` with `sessions` concurrent sessions, every session counting; the clock
    starts when the last session has made its warm-up call. Records the server's CPU time per call
    over the same span."""
    counts = [0] * sessions
    ready = anyio.Event()
    started, finished = [0], [0]
    deadline, cpu = [0.0], [0.0]

    async def session(index: int) -> None:
        headers = {"X-Instantly-Api-Key": f"bench-key-{index}"} if target.key_per_session else None
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(target.url, http_client=http), mode=mode) as client,
        ):
            await client.list_tools()
            await client.call_tool(*target.call)
            started[0] += 1
            if started[0] == sessions:
                deadline[0] = time.monotonic() + seconds
                cpu[0] = target.cpu_ms()
                ready.set()
            await ready.wait()
            while time.monotonic() < deadline[0]:
                result = await client.call_tool(*target.call)
                target.errors += result.is_error
                counts[index] += 1
            finished[0] += 1
            if finished[0] == sessions:
                used = target.cpu_ms() - cpu[0]
                target.cpu_per_call.setdefault(sessions, []).append(used / max(1, sum(counts)))

    async with anyio.create_task_group() as tg:
        for index in range(sessions):
            tg.start_soon(session, index)
    return sum(counts) / seconds


def targets(upstream: str, against: list[Path]) -> list[Target]:
    base = plain_env(ROOT)
    ours = [sys.executable, "-m", "instantly_mcp.cli", "--transport", "http", "--base-url", upstream]
    tenants = [*ours, "--per-request-key"]
    chosen = [
        Target(
            "(a) minimal one-tool server",
            [sys.executable, str(BENCH / "minimal_server.py")],
            {**base, "BENCH_UPSTREAM": upstream},
        ),
        Target("(b) instantly-mcp, key per session", tenants, base, key_per_session=True),
        Target("(c) discover, key per session", tenants, {**base, "INSTANTLY_TOOLS": "discover"}, DISCOVER_CALL, True),
        Target("(d) code, key per session", tenants, {**base, "INSTANTLY_TOOLS": "code"}, CODE_CALL, True),
        Target("(e) instantly-mcp, one key", ours, {**base, "INSTANTLY_API_KEY": "bench-key"}),
    ]
    letters = iter("fghijklmnop")
    for other in against:
        name, env = against_label(other), plain_env(other)
        chosen.append(Target(f"({next(letters)}) {name}, key per session", tenants, env, CALL, True, other))
        if (other / "instantly_mcp" / "codemode").is_dir():
            code = {**env, "INSTANTLY_TOOLS": "code"}
            chosen.append(Target(f"({next(letters)}) {name}, code", tenants, code, CODE_CALL, True, other))
    return chosen


def print_table(rows: list[Target], seconds: float, rounds: int) -> None:
    floor = rows[0]
    header = (
        f"{'server':36}"
        + "".join(f"{f'{n} session' + ('s' if n > 1 else ''):>12}{'x floor':>8}{'cpu ms':>7}" for n in CONCURRENCY)
        + f"{'peak MB':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = (
            f"{row.best(n):12.0f}{row.best(n) / floor.best(n):8.2f}{statistics.median(row.cpu_per_call[n]):7.2f}"
            for n in CONCURRENCY
        )
        print(f"{row.label:36}" + "".join(cells) + f"{row.peak_mb:8.1f}")
        if row.errors:
            print(f"  ({row.errors} calls answered with an error result)")
    print(
        f"(tools/call per second over streamable HTTP, best of {rounds} rounds of {seconds:g} s per cell, cells "
        "round robin over the servers; cpu: the server process's CPU time per call, median of the rounds, which "
        "machine load disturbs less; peak MB: the server process's peak RSS over the whole run; every call is one GET "
        "to the same local sandbox)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=2.0, help="measuring time per cell (default 2)")
    parser.add_argument("--rounds", type=int, default=3, help="cells per server and concurrency, the best counts")
    add_against(parser, "key per session, and its code mode where it has one")
    parser.add_argument(
        "--upstream-ms",
        type=float,
        default=0,
        metavar="MS",
        help="the sandbox holds every API request this long (a latency fault), as Instantly does over the internet",
    )
    parser.add_argument(
        "--client-mode",
        choices=("legacy", "auto"),
        default="legacy",
        help="the SDK client's mode: legacy speaks 2025-11-25, auto negotiates 2026-07-28 (no sessions, "
        "Mcp-Param header checks)",
    )
    args = parser.parse_args()

    sandbox_port = free_port()
    sandbox = start_sandbox(ROOT, sandbox_port, plain_env(ROOT))
    if args.upstream_ms:
        rule = {"path_prefix": "/api/v2/", "kind": "latency", "delay_s": args.upstream_ms / 1000}
        httpx2.post(f"http://127.0.0.1:{sandbox_port}/_sandbox/faults", json=[rule]).raise_for_status()
    chosen = targets(f"http://127.0.0.1:{sandbox_port}", args.against)
    try:
        for target in chosen:
            target.start()
        for sessions in CONCURRENCY:
            for _ in range(args.rounds):
                for target in chosen:
                    rate = anyio.run(cell, target, sessions, args.seconds, args.client_mode)
                    target.rates.setdefault(sessions, []).append(rate)
    finally:
        for target in chosen:
            target.stop()
        sandbox.terminate()
        sandbox.wait(15)
    print(f"client mode: {args.client_mode}")
    print_table(chosen, args.seconds, args.rounds)


if __name__ == "__main__":
    main()
