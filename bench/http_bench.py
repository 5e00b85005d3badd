"""tools/call throughput over streamable HTTP with 1, 8 and 32 concurrent sessions, side by side:

    (a) a minimal one-tool MCP server (bench/minimal_server.py --port), same SDK and uvicorn
    (b) instantly-mcp, one API key per session (--per-request-key: each has its own rate limiter)
    (c) instantly-mcp, one API key for all (Instantly's 100 requests/s budget is kept, by design)

All of them call the same local sandbox (`instantly-mcp sandbox`) over HTTP. Prints a table;
asserts nothing. Loopback only; every cell runs a fixed time. The load generator shares the
machine's cores with the servers and the sandbox, so the figures compare, they do not promise.

    python bench/http_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from common import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CONCURRENCY = (1, 8, 32)
CALL = ("list_block_list_entries", {"limit": 2})


@dataclass
class Target:
    label: str
    command: list[str]
    env: dict[str, str]
    key_per_session: bool = False
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/mcp"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [*self.command, "--port", str(self.port)],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_http(self.url, self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(15)


async def cell(target: Target, sessions: int, seconds: float) -> tuple[float, int]:
    """calls/s over `seconds` with `sessions` concurrent sessions, after each session's first call."""
    counts = [0] * sessions
    errors = [0]
    ready = anyio.Event()
    started = [0]

    async def session(index: int) -> None:
        headers = {"X-Instantly-Api-Key": f"bench-key-{index}"} if target.key_per_session else None
        async with (
            create_mcp_http_client(headers=headers) as http,
            Client(streamable_http_client(target.url, http_client=http), mode="legacy") as client,
        ):
            await client.list_tools()
            await client.call_tool(*CALL)  # warm
            started[0] += 1
            if started[0] == sessions:
                ready.set()
                await ready.wait()
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    result = await client.call_tool(*CALL)
                    if result.is_error:
                        errors[0] += 1
                    counts[index] += 1

    async with anyio.create_task_group() as tg:
        for index in range(sessions):
            tg.start_soon(session, index)
    return sum(counts) / seconds, errors[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per cell (default 3)")
    args = parser.parse_args()

    base = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), base.get("PYTHONPATH")]))
    sandbox_port = free_port()
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(sandbox_port)],
        cwd=ROOT,
        env=base,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    upstream = f"http://127.0.0.1:{sandbox_port}"
    ours = [sys.executable, "-m", "instantly_mcp.cli", "--transport", "http"]
    targets = [
        Target(
            "(a) minimal one-tool server",
            [sys.executable, str(BENCH / "minimal_server.py")],
            {**base, "BENCH_UPSTREAM": upstream},
        ),
        Target(
            "(b) instantly-mcp, key per session",
            [*ours, "--per-request-key", "--base-url", upstream],
            base,
            key_per_session=True,
        ),
        Target(
            "(c) instantly-mcp, one key", [*ours, "--base-url", upstream], {**base, "INSTANTLY_API_KEY": "bench-key"}
        ),
    ]
    try:
        wait_http(upstream + "/_sandbox/health", sandbox, healthy=True)
        for target in targets:
            target.start()
        rows = []
        for target in targets:
            figures = [anyio.run(cell, target, n, args.seconds) for n in CONCURRENCY]
            rows.append((target.label, figures))
    finally:
        for target in targets:
            target.stop()
        sandbox.terminate()
        sandbox.wait(15)

    header = f"{'server':36}" + "".join(f"{f'{n} session' + ('s' if n > 1 else ''):>14}" for n in CONCURRENCY)
    print(header)
    print("-" * len(header))
    for label, figures in rows:
        print(f"{label:36}" + "".join(f"{rate:14.0f}" for rate, _ in figures))
        errors = sum(e for _, e in figures)
        if errors:
            print(f"  ({errors} calls answered with an error result)")
    print(
        f"(tools/call per second over streamable HTTP, {args.seconds:g} s per cell after a warm-up call per session; "
        "every call is one GET to the same local sandbox)"
    )


if __name__ == "__main__":
    main()
