"""Finding 11: the HTTP edges. Host/Origin parsed as authorities, hidden tools answered as unknown,
/healthz terse without the token, the standalone sandbox behind the same Host check, CSV cells
neutralised, one sandbox workspace per tenant, short secrets refused, the bearer token kept out of
`ps`, and --workers handing nothing secret to its children through the environment."""

from __future__ import annotations

import base64
import binascii
import os
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx2
import pytest

from support.http_server import ROOT, clean_env
from support.security import (
    ACCEPT,
    INIT,
    SERVER_KEY,
    TRANSPORTS,
    attack_server,
    body,
    children_of,
    environ_of,
    http_client,
    http_mcp,
    server_env,
    text,
)

TOKEN = "bearer-token-for-security-tests-5e0c"


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        ("host", "localhost:1@evil.com", 421),
        ("host", "evil.com", 421),
        ("host", "localhost.evil.com:80", 421),
        ("host", "127.0.0.1:80/path", 421),
        ("host", "localhost:*", 421),
        ("origin", "http://localhost:1.evil.com", 403),
        ("origin", "http://localhost:1@evil.com", 403),
        ("origin", "http://evil.com#localhost", 403),
        ("origin", "https://localhost.evil.com", 403),
    ],
)
def test_rebinding_headers_are_parsed_and_compared_exactly(
    header: str, value: str, status: int, sandbox, tmp_path
) -> None:
    with http_mcp(tmp_path, **server_env(sandbox, tmp_path / "audit.jsonl")) as server:
        refused = httpx2.post(server.url, json=INIT, headers={**ACCEPT, header: value})
        allowed = httpx2.post(server.url, json=INIT, headers={**ACCEPT, "origin": f"http://localhost:{server.port}"})
    assert refused.status_code == status, refused.text
    assert allowed.status_code == 200
    assert sandbox.requests() == [] and not (tmp_path / "audit.jsonl").exists()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_hidden_tool_is_refused_exactly_like_an_unknown_one(transport: str, sandbox, tmp_path) -> None:
    async def run() -> tuple[str, str, list, list]:
        async with attack_server(
            transport, sandbox, tmp_path, "--scopes", "campaigns:read", "--confirm", "token"
        ) as attack:
            hidden = await attack.call("create_api_key", {"name": "x", "scopes": ["all:all"]})
            unknown = await attack.call("create_api_kez", {"name": "x", "scopes": ["all:all"]})
            assert hidden.is_error and unknown.is_error
            return text(hidden), text(unknown), attack.upstream(), attack.audit()

    hidden, unknown, upstream, audit = anyio.run(run)
    assert hidden == unknown.replace("create_api_kez", "create_api_key")
    assert "scope" not in hidden and "api_keys" not in hidden
    assert upstream == []
    assert [(line["tool"], line["decision"]) for line in audit] == [("create_api_key", "refused")]


@pytest.mark.e2e  # starts a process
def test_healthz_says_only_ok_without_the_bearer_token(tmp_path) -> None:
    from instantly_mcp.catalog.operations import load_operations

    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    with http_mcp(tmp_path, "--auth-token-file", str(token_file)) as server:
        anonymous = httpx2.get(server.base + "/healthz")
        rebound = httpx2.get(
            server.base + "/healthz", headers={"host": "evil.example", "authorization": f"Bearer {TOKEN}"}
        )
        trusted = httpx2.get(server.base + "/healthz", headers={"authorization": f"Bearer {TOKEN}"})
        log = server.log()
    assert anonymous.json() == {"status": "ok"} and rebound.json() == {"status": "ok"}
    assert trusted.json()["tools"] == len(load_operations()) and trusted.json()["status"] == "ok"
    assert "WARNING --auth-token" not in log


@pytest.mark.e2e  # starts a process
def test_auth_token_on_the_command_line_is_warned_about(tmp_path) -> None:
    with http_mcp(tmp_path, "--auth-token", TOKEN) as server:
        log = server.log()
    assert "WARNING --auth-token on the command line is visible" in log and TOKEN not in log


@pytest.mark.parametrize(
    ("header", "value"),
    [("host", "evil.example:8089"), ("host", "127.0.0.1:1@evil.example"), ("origin", "http://evil.example")],
)
def test_standalone_sandbox_refuses_rebound_requests(header: str, value: str, sandbox) -> None:
    sandbox.admin.get("/api/v2/campaigns", headers={"Authorization": "Bearer k"})
    refused = [
        httpx2.get(sandbox.url + "/_sandbox/requests", headers={header: value}),
        httpx2.post(sandbox.url + "/_sandbox/reset", headers={header: value}),
        httpx2.post(sandbox.url + "/_sandbox/faults", json=[{"kind": "drop"}], headers={header: value}),
    ]
    assert {r.status_code for r in refused} == {421 if header == "host" else 403}
    assert [r["path"] for r in sandbox.requests()] == ["/api/v2/campaigns"]


FORMULAS = ['=HYPERLINK("//evil.example")@x.example', "+cmd|'/Ccalc'!A0@y.example"]


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("raw", [False, True])
def test_csv_export_neutralises_formula_cells(transport: str, raw: bool, sandbox, tmp_path) -> None:
    async def run() -> tuple[str, list]:
        flags = ("--confirm", "off", *(["--raw-csv"] if raw else []))
        async with attack_server(transport, sandbox, tmp_path, *flags) as attack:
            for value in FORMULAS:
                body(await attack.call("create_block_list_entry", {"bl_value": value}))
            return text(await attack.call("download_block_list_entries_csv", {})), attack.audit()

    csv_text, audit = anyio.run(run)
    cells = [line.split(",")[0] for line in csv_text.splitlines()[1:]]
    starts = {cell[:3] for cell in cells if "example" in cell and ("cmd" in cell or "HYPERLINK" in cell.upper())}
    if raw:
        assert starts and all(s[0] in "=+" for s in starts), csv_text
    else:
        assert starts and all(s.startswith("\"'") for s in starts), csv_text
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    assert [line["decision"] for line in audit] == ["sent", "sent"]


@pytest.mark.e2e  # starts a process
def test_per_request_key_sandbox_gives_each_tenant_its_own_workspace(tmp_path) -> None:
    async def run(url: str) -> tuple[list, list]:
        async with http_client(url, {"X-Instantly-Api-Key": "tenant-a-key-000111"}) as a:
            body(await a.call_tool("create_block_list_entry", {"bl_value": "only-tenant-a.example"}))
            mine = body(await a.call_tool("list_block_list_entries", {"search": "only-tenant-a", "limit": 10}))["items"]
        async with http_client(url, {"X-Instantly-Api-Key": "tenant-b-key-222333"}) as b:
            theirs = body(await b.call_tool("list_block_list_entries", {"search": "only-tenant-a", "limit": 10}))[
                "items"
            ]
        return mine, theirs

    with http_mcp(tmp_path, "--per-request-key", "--sandbox", "--confirm", "off") as server:
        mine, theirs = anyio.run(run, server.url)
    assert [e["bl_value"] for e in mine] == ["only-tenant-a.example"] and theirs == []


@pytest.mark.e2e  # starts a process
def test_a_short_secret_is_refused_at_start_up() -> None:
    env = clean_env(INSTANTLY_MCP_SECRET="too-short-31-bytes-xxxxxxxxxxxx")
    done = subprocess.run(
        [sys.executable, "-m", "instantly_mcp.cli", "tools"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "at least 32 bytes" in done.stderr and "too-short" not in done.stderr


@pytest.mark.e2e  # starts worker processes
def test_workers_get_no_secret_through_their_environment(tmp_path) -> None:
    secret = "worker-secret-of-at-least-32-bytes-0001"
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    env = {
        "INSTANTLY_API_KEY": SERVER_KEY,
        "INSTANTLY_MCP_SECRET": secret,
        "INSTANTLY_BASE_URL": "http://127.0.0.1:9/api/v2/",
    }
    with http_mcp(tmp_path, "--stateless", "--workers", "2", "--auth-token-file", str(token_file), **env) as server:
        assert server.proc is not None
        workers = wait_for_children(server.proc.pid, 2)
        environments = [environ_of(pid) for pid in workers]
        settings_files = {e.get("INSTANTLY_MCP_HTTP_SETTINGS_FILE") for e in environments}
        modes = {oct(os.stat(path).st_mode & 0o777) for path in settings_files if path}
    assert len(environments) >= 2 and len(settings_files) == 1 and None not in settings_files
    assert modes == {"0o600"}
    for environment in environments:
        for value in environment.values():
            for plain in (value, decoded(value)):
                assert SERVER_KEY not in plain and secret not in plain and TOKEN not in plain
    assert not any(Path(p).exists() for p in settings_files if p)


def wait_for_children(pid: int, count: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = [c for c in children_of(pid) if "INSTANTLY_MCP_HTTP_SETTINGS_FILE" in environ_of(c)]
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} workers did not start")


def decoded(value: str) -> str:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode(errors="replace")
    except (binascii.Error, ValueError):
        return ""
