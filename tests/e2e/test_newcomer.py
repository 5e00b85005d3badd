"""What a newcomer meets first: `instantly-mcp --help`/`--version`, flags that would be ignored, a stray
line or Ctrl-C at a terminal, and the Claude Desktop config as Desktop launches it (absolute command,
a bare PATH). Each through the real process, and the last through the SDK client."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from instantly_mcp import __version__
from instantly_mcp.catalog.operations import load_operations

from support.http_server import ROOT, clean_env
from support.stdio_pipe import CLI, read_line, start_stdio_server


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, env=clean_env(), cwd=ROOT, stdin=subprocess.DEVNULL
    )


def test_top_level_help_shows_the_server_flags_and_version() -> None:
    done = run_cli("--help")
    assert done.returncode == 0
    for flag in (
        "--transport",
        "--scopes",
        "--toolsets",
        "--tools",
        "--read-only",
        "--confirm",
        "--audit-log",
        "--auth-token",
        "--sandbox",
        "--version",
        "config",
    ):
        assert flag in done.stdout, flag
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"instantly-mcp {__version__}"


def test_http_flags_without_an_http_transport_are_refused() -> None:
    for flags, named in (
        (["--port", "9000"], "--port"),
        (["--host", "0.0.0.0", "--auth-token", "t0k"], "--host, --auth-token"),
    ):
        done = run_cli(*flags)
        assert done.returncode == 2, done.stderr
        assert named in done.stderr and "add --transport http" in done.stderr
        assert "t0k" not in done.stderr and "serving" not in done.stderr  # nothing started, the token not echoed


def test_a_line_that_is_not_json_gets_a_parse_error_and_the_session_goes_on() -> None:
    with start_stdio_server() as proc:  # closes the pipes on the way out
        try:
            assert proc.stdin is not None
            proc.stdin.write(b"hello, is this thing on?\n[1, 2]\n" + b'{"jsonrpc": "2.0", "id": 7, "method": "ping"}\n')
            proc.stdin.flush()
            parse_error, invalid, pong = read_line(proc), read_line(proc), read_line(proc)
        finally:
            proc.kill()
            proc.wait(10)
    assert parse_error["id"] is None and parse_error["error"]["code"] == -32700
    assert invalid["id"] is None and invalid["error"]["code"] == -32600
    assert pong == {"jsonrpc": "2.0", "id": 7, "result": {}}


def test_ctrl_c_ends_the_stdio_server_at_once_and_quietly() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        with start_stdio_server() as proc:  # stdin stays open and silent: the SDK's reader thread is blocked in read()
            proc.send_signal(signum)
            try:
                code = proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                name = signal.Signals(signum).name
                raise AssertionError(f"{name} did not end the server while stdin was idle") from None
            assert proc.stderr is not None
            rest = proc.stderr.read().decode()
        assert code == 128 + signum and "Traceback" not in rest and rest.strip() == "", rest


def test_claude_desktop_config_launches_with_the_bare_path_desktop_gives() -> None:
    done = run_cli("config", "claude-desktop", "--", "--read-only")
    assert done.returncode == 0, done.stderr
    entry = json.loads(done.stdout)["mcpServers"]["instantly"]
    assert Path(entry["command"]).is_absolute() and "--read-only" in entry["args"] and "env" not in entry
    # Desktop starts servers with a minimal PATH; PYTHONPATH only points this test at the checkout.
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": clean_env()["PYTHONPATH"]}

    async def run() -> list[str]:
        params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env, cwd="/")
        async with Client(params) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    names = anyio.run(run)
    assert 0 < len(names) < len(load_operations()) and "list_campaigns" in names and "delete_campaign" not in names


def test_claude_desktop_config_refuses_bad_server_flags_and_never_prints_the_key() -> None:
    bad = run_cli("config", "claude-desktop", "--", "--tools", "no_such_tool")
    assert bad.returncode == 2 and "no_such_tool" in bad.stderr and not bad.stdout
    done = subprocess.run(
        [*CLI, "config", "claude-desktop", "--with-key"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(INSTANTLY_API_KEY="sk-live-secret-1234"),
        cwd=ROOT,
    )
    assert done.returncode == 0 and "sk-live-secret-1234" not in done.stdout + done.stderr
    assert json.loads(done.stdout)["mcpServers"]["instantly"]["env"] == {
        "INSTANTLY_API_KEY": "paste-your-instantly-api-key"
    }


def test_standalone_sandbox_serves_api_v2_to_any_bearer_key(tmp_path: Path) -> None:
    import httpx2

    from support.processes import free_port, stop_process_group

    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "sandbox", "--port", str(port)],
        cwd=ROOT,
        env=clean_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v2"  # the base path the README documents
    try:
        assert proc.stderr is not None
        said = proc.stderr.readline()  # the first line: where it is and what it accepts
        assert f"sandbox at {base} " in said and "any `Authorization: Bearer <anything>`" in said
        for _ in range(300):
            try:
                httpx2.get(base + "/campaigns", timeout=1)
                break
            except httpx2.HTTPError:
                assert proc.poll() is None
                anyio.run(anyio.sleep, 0.1)
        anyone = httpx2.get(
            base + "/campaigns", headers={"Authorization": "Bearer anything-at-all"}, params={"limit": 1}
        )
        nobody = httpx2.get(base + "/campaigns", params={"limit": 1})
    finally:
        stop_process_group(proc)
        proc.stderr.close()
    assert anyone.status_code == 200 and len(anyone.json()["items"]) == 1
    assert nobody.status_code == 401


def test_at_a_terminal_stdio_says_it_waits_for_a_client_and_how_to_connect_one() -> None:
    import os
    import pty

    primary, secondary = pty.openpty()
    lines: list[str] = []
    with subprocess.Popen(
        CLI, cwd=ROOT, env=clean_env(), stdin=secondary, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as proc:
        os.close(secondary)
        try:
            assert proc.stderr is not None
            while not lines or "waiting for an MCP client" not in lines[-1]:
                line = proc.stderr.readline().decode()
                assert line, "".join(lines)
                lines.append(line)
        finally:
            proc.kill()
            proc.wait(10)
            os.close(primary)
    waiting = lines[-1]
    assert "claude mcp add instantly -- " in waiting and "config claude-desktop" in waiting
    assert not any("approver-token" in line for line in lines)  # no page is in use yet


def test_stdin_eof_still_writes_the_answers_in_flight() -> None:
    """A scripted pipe: every request read before stdin ended is answered, the slowest (a call) too."""
    script = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "pipe", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "list_campaigns", "arguments": {"limit": 1}},
        },
    ]
    done = subprocess.run(
        CLI,
        input="".join(json.dumps(m) + "\n" for m in script),
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(),
        cwd=ROOT,
    )
    answers = {m["id"]: m for m in map(json.loads, done.stdout.splitlines())}
    assert sorted(answers) == [1, 2, 3], done.stderr[-2000:]
    assert len(answers[2]["result"]["tools"]) == len(load_operations())
    assert not answers[3]["result"]["isError"] and "items" in answers[3]["result"]["content"][0]["text"]
    assert done.returncode == 0


def test_a_port_in_use_is_one_line_before_anything_is_served() -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = run_cli("--transport", "http", "--port", str(port))
    assert done.returncode == 2
    assert f"--port {port}: cannot listen on 127.0.0.1: Address already in use; choose another port" in done.stderr
    assert "serving MCP at" not in done.stderr and "Traceback" not in done.stderr and "ERROR" not in done.stderr


def test_argparse_errors_lead_with_the_line_that_matters() -> None:
    done = run_cli("--transport", "carrier-pigeon")
    lines = done.stderr.splitlines()
    assert done.returncode == 2 and len(lines) == 2, done.stderr
    assert lines[0].startswith("instantly-mcp: error: argument --transport: invalid choice: 'carrier-pigeon'")
    assert lines[1].startswith("usage: instantly-mcp [{serve,sandbox,tools,approvals,config,doctor,policy}] [flags]")
    sub = run_cli("sandbox", "--port", "eighty")
    assert sub.stderr.splitlines()[0] == "instantly-mcp sandbox: error: argument --port: invalid int value: 'eighty'"
    assert "doctor" in run_cli("--help").stdout.splitlines()[0]
