"""One API key, one workspace budget (100 requests/s), served by 1 or 3 replicas, side by side:

    (a) 1 replica, no Redis            (the single-process limiter)
    (b) 3 replicas, no Redis           (each keeps its own 100/s: together up to 3x the budget)
    (c) 3 replicas sharing Redis       (one budget for all: --redis-url)
    (d) 3 replicas, Redis unreachable  (each falls back to its 1/3 share)

Every replica runs `instantly-mcp --transport http --stateless` against one sandbox process
(`instantly-mcp sandbox`); sessions spread over the replicas call list_campaigns as fast as they
can for a fixed time. From the sandbox's request log: the upstream rate as a share of the budget,
the most requests seen in any one-second window, and the requests Instantly would have answered
429 (those arriving when 100 or more had arrived in the second before). Asserts nothing; loopback
only; the load generator shares the cores with the servers, so the figures compare, they do not promise.

    python bench/redis_scale.py [--seconds 5] [--sessions 24]
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from common import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-redis-scale-key"
BUDGET = 100
CALL = ("list_campaigns", {"limit": 1})


@dataclass
class Row:
    label: str
    rate: float
    peak: int
    over: int
    calls: int
    errors: int


def start(command: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def replicas(count: int, sandbox: str, redis_url: str | None) -> tuple[list[subprocess.Popen[bytes]], list[str]]:
    env = {**os.environ, "INSTANTLY_API_KEY": KEY, "INSTANTLY_MCP_SECRET": "bench-secret"}
    procs, urls = [], []
    for _ in range(count):
        port = free_port()
        extra = ["--redis-url", redis_url, "--replicas", str(count)] if redis_url else []
        proc = start(
            [
                sys.executable,
                "-m",
                "instantly_mcp.cli",
                "--transport",
                "http",
                "--stateless",
                "--base-url",
                sandbox,
                "--port",
                str(port),
                "--shutdown-timeout",
                "1",
                *extra,
            ],
            env,
        )
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, healthy=True)
        procs.append(proc)
        urls.append(f"http://127.0.0.1:{port}/mcp")
    return procs, urls


async def load(urls: list[str], sessions: int, seconds: float) -> tuple[int, int, float]:
    """Calls and errors of `sessions` sessions (spread over `urls`) calling as fast as they can for `seconds`
    after each made one warm-up call; and the wall-clock time the timed part started."""
    counts = [0, 0]
    warmed = [0]
    ready = anyio.Event()
    started = [0.0]

    async def session(url: str) -> None:
        async with (
            create_mcp_http_client() as http,
            Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
        ):
            await client.call_tool(*CALL)
            warmed[0] += 1
            if warmed[0] == sessions:
                started[0] = time.time()
                ready.set()
            await ready.wait()
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                result = await client.call_tool(*CALL)
                counts[1 if result.is_error else 0] += 1

    async with anyio.create_task_group() as tg:
        for index in range(sessions):
            tg.start_soon(session, urls[index % len(urls)])
    return counts[0], counts[1], started[0]


def figures(times: list[float]) -> tuple[float, int, int]:
    """(requests/s over the timed run, most in any 1 s window, arrivals over the budget)."""
    times = sorted(times)
    if len(times) < 2:
        return 0.0, len(times), 0
    rate = len(times) / max(1e-9, times[-1] - times[0])
    in_window = [i - bisect.bisect_left(times, t - 1.0) + 1 for i, t in enumerate(times)]
    return rate, max(in_window), sum(n > BUDGET for n in in_window)


def run_cell(label: str, count: int, sandbox: str, redis_url: str | None, sessions: int, seconds: float) -> Row:
    admin = httpx2.Client(base_url=sandbox, timeout=30)
    procs, urls = replicas(count, sandbox, redis_url)
    try:
        admin.delete("/_sandbox/requests")
        calls, errors, began = anyio.run(load, urls, sessions, seconds)
        log = [entry for entry in admin.get("/_sandbox/requests").json() if entry["ts"] >= began]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(15)
        admin.close()
    rate, peak, over = figures([entry["ts"] for entry in log])
    return Row(label, rate, peak, over, calls, errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--sessions", type=int, default=24)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (scripts/setup.sh installs it)")
    with tempfile.TemporaryDirectory() as workdir:
        sandbox_port, redis_port = free_port(), free_port()
        sandbox_proc = start([sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(sandbox_port)])
        redis_proc = start(
            [
                binary,
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ]
        )
        sandbox = f"http://127.0.0.1:{sandbox_port}"
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        dead_redis = f"redis://127.0.0.1:{free_port()}/0"
        try:
            wait_http(f"{sandbox}/_sandbox/health", sandbox_proc, healthy=True)
            cells = [
                ("1 replica, no Redis", 1, None),
                ("3 replicas, no Redis", 3, None),
                ("3 replicas + Redis", 3, redis_url),
                ("3 replicas, Redis down", 3, dead_redis),
            ]
            rows = [run_cell(label, count, sandbox, url, args.sessions, args.seconds) for label, count, url in cells]
        finally:
            for proc in (sandbox_proc, redis_proc):
                proc.terminate()
                proc.wait(15)
    print(f"one key, budget {BUDGET} requests/s; {args.sessions} sessions calling {CALL[0]} for {args.seconds:g} s\n")
    header = f"{'setup':<26} {'upstream req/s':>14} {'% of budget':>12} {'peak in 1 s':>12} {'429s provoked':>14}"
    header += f" {'calls':>7} {'errors':>7}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.label:<26} {row.rate:>14.1f} {100 * row.rate / BUDGET:>11.0f}% {row.peak:>12} {row.over:>14} "
            f"{row.calls:>7} {row.errors:>7}"
        )


if __name__ == "__main__":
    main()
