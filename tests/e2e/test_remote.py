"""Remote hosting as clients meet it: resumable SSE streams (event ids, `retry:`, Last-Event-ID), the
answer to an unsupported MCP-Protocol-Version header, and OAuth resource-server mode."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.streamable_http import EventMessage
from mcp.shared._httpx_utils import create_mcp_http_client

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.transport.events import MemoryEventLog

from support.auth_server import auth_server, rsa_key
from support.http_server import mcp_http_server

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
CALL = {
    "jsonrpc": "2.0",
    "id": 2,
    "method": "tools/call",
    "params": {"name": "list_block_list_entries", "arguments": {"limit": 1}},
}


@asynccontextmanager
async def connect(url: str, *, headers: dict[str, str]) -> AsyncIterator[Client]:
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        yield client


def sse_events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in block.splitlines() if line
        )
        if fields:
            events.append(fields)
    return events


def open_session(url: str) -> dict[str, str]:
    opened = httpx2.post(url, json=INIT, headers=ACCEPT)
    assert opened.status_code == 200, opened.text
    headers = {**ACCEPT, "mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
    httpx2.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


def test_sse_events_carry_ids_and_retry_and_resume_after_last_event_id(tmp_path: Path) -> None:
    with mcp_http_server(tmp_path, "--transport", "http") as server:
        headers = open_session(server.url)
        events = sse_events(httpx2.post(server.url, json=CALL, headers=headers).text)
        priming, answer = events[0], events[-1]
        assert priming["id"] and priming["retry"] == "1000" and priming["data"] == ""
        assert answer["id"] and json.loads(answer["data"])["id"] == 2
        # The client lost the stream right after the priming event: it reconnects and gets the answer.
        replayed: list[str] = []
        with httpx2.stream(
            "GET", server.url, headers={**headers, "last-event-id": priming["id"]}, timeout=30
        ) as stream:
            assert stream.status_code == 200
            for line in stream.iter_lines():
                replayed.append(line)
                if line.startswith("data: {"):
                    break
    got = sse_events("\n".join(replayed) + "\n")
    assert got[0]["id"] == answer["id"] and json.loads(got[0]["data"]) == json.loads(answer["data"])


def test_one_session_never_replays_another_sessions_events() -> None:
    async def run() -> tuple[list[str], str | None, str | None]:
        log = MemoryEventLog(max_events=5)
        message = types.JSONRPCResponse(jsonrpc="2.0", id=1, result={"secret": "of session a"})
        first = await log.append("session-a", "1", None)
        await log.append("session-a", "1", message)
        await log.append("session-b", "1", None)
        sent: list[str] = []

        async def send(event: EventMessage) -> None:
            sent.append(str(event.event_id))

        other = await log.replay_after("session-b", first, send)  # b guesses a's event id
        own = await log.replay_after("session-a", first, send)
        for _ in range(5):
            await log.append("session-b", "2", None)  # a's events age out of the bounded log
        gone = await log.replay_after("session-a", first, send)
        return sent, other, own if gone is None else "still there"

    sent, other, own = anyio.run(run)
    assert other is None and own == "1" and sent == ["2"]


def test_an_unsupported_protocol_version_header_is_named_with_the_supported_ones(tmp_path: Path) -> None:
    with mcp_http_server(tmp_path, "--transport", "http") as server:
        headers = open_session(server.url)
        refused = httpx2.post(
            server.url,
            json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
            headers={**headers, "mcp-protocol-version": "1999-01-01"},
        )
        listed = httpx2.post(server.url, json={"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, headers=headers)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "unsupported protocol version '1999-01-01', supported: 2024-11-05" in message and "2025-11-25" in message
    assert "_meta" not in message
    tools = json.loads(sse_events(listed.text)[-1]["data"])["result"]["tools"]
    assert listed.status_code == 200 and len(tools) == len(load_operations())


# ---------------------------------------------------------------- OAuth resource-server mode


def tampered(token: str) -> str:
    header, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["sub"] = "mallory@example.com"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_oauth_mode_publishes_metadata_and_checks_every_token(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    with (
        auth_server() as issuer,
        mcp_http_server(
            tmp_path,
            "--transport",
            "http",
            "--oauth-issuer",
            issuer.issuer,
            "--oauth-scopes",
            "mcp:tools",
            "--audit-log",
            str(audit),
        ) as server,
    ):
        resource = server.url
        metadata_url = f"{server.base}/.well-known/oauth-protected-resource"
        # The resource defaults to http://HOST:PORT/mcp: the audience tokens are minted for.
        audience = f"http://127.0.0.1:{server.port}/mcp"
        good = issuer.mint(audience=audience)
        bad = {
            "expired": issuer.mint(audience=audience, ttl_s=-3600),
            "wrong audience": issuer.mint(audience="https://other.example.com/mcp"),
            "wrong issuer": issuer.mint(audience=audience, issuer="https://evil.example.com"),
            "tampered": tampered(good),
            "foreign key": issuer.mint(audience=audience, key=rsa_key()),
            "not a JWT": "opaque-token",
        }
        no_token = httpx2.post(resource, json=INIT, headers=ACCEPT)
        metadata = httpx2.get(metadata_url).json()
        refused = {
            name: httpx2.post(resource, json=INIT, headers={**ACCEPT, "Authorization": f"Bearer {token}"})
            for name, token in bad.items()
        }
        no_scope = httpx2.post(
            resource,
            json=INIT,
            headers={**ACCEPT, "Authorization": f"Bearer {issuer.mint(audience=audience, scope='profile')}"},
        )

        async def use_it() -> tuple[int, str]:
            async with connect(resource, headers={"Authorization": f"Bearer {good}"}) as client:
                tools = (await client.list_tools()).tools
                created = await client.call_tool("create_block_list_entry", {"bl_value": "oauth.example"})
                return len(tools), created.content[0].text

        count, created = anyio.run(use_it)
    assert no_token.status_code == 401
    challenge = no_token.headers["www-authenticate"]
    assert challenge.startswith("Bearer ") and f'resource_metadata="{metadata_url}/mcp"' in challenge
    assert metadata["resource"] == audience and metadata["authorization_servers"] == [issuer.issuer]
    assert metadata["scopes_supported"] == ["mcp:tools"]
    assert {name: r.status_code for name, r in refused.items()} == dict.fromkeys(bad, 401)
    assert all('error="invalid_token"' in r.headers["www-authenticate"] for r in refused.values())
    assert no_scope.status_code == 403 and 'error="insufficient_scope"' in no_scope.headers["www-authenticate"]
    assert count == len(load_operations()) and "oauth.example" in created
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert lines and all(line["principal"].startswith("oauth:") for line in lines)
    assert good not in audit.read_text() and "alice@example.com" not in audit.read_text()


def test_oauth_options_are_checked_at_start_up() -> None:
    from instantly_mcp.config import Settings
    from instantly_mcp.errors import ConfigError

    with pytest.raises(ConfigError, match="need --oauth-issuer"):
        Settings(transport="http", oauth_scopes=("mcp",))
    with pytest.raises(ConfigError, match="choose one"):
        Settings(transport="http", oauth_issuer="https://id.example.com", auth_token="t")
    with pytest.raises(ConfigError, match="http"):
        Settings(transport="stdio", oauth_issuer="https://id.example.com")
