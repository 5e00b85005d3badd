"""Remote hosting as clients meet it: resumable SSE streams (event ids, `retry:`, Last-Event-ID), the
answer to an unsupported MCP-Protocol-Version header, and OAuth resource-server mode."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx2
import mcp_types as types
from mcp.server.streamable_http import EventMessage

from instantly_mcp.transport.events import MemoryEventLog
from support.http_server import mcp_http_server

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
CALL = {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
        "params": {"name": "list_block_list_entries", "arguments": {"limit": 1}}}


def sse_events(text: str) -> list[dict[str, str]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        fields = dict(line.split(": ", 1) if ": " in line else (line.rstrip(":"), "") for line in block.splitlines() if line)
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
        with httpx2.stream("GET", server.url, headers={**headers, "last-event-id": priming["id"]}, timeout=30) as stream:
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
        refused = httpx2.post(server.url, json={"jsonrpc": "2.0", "id": 3, "method": "tools/list"},
                              headers={**headers, "mcp-protocol-version": "1999-01-01"})
        listed = httpx2.post(server.url, json={"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, headers=headers)
    assert refused.status_code == 400
    message = refused.json()["error"]["message"]
    assert "unsupported protocol version '1999-01-01', supported: 2024-11-05" in message and "2025-11-25" in message
    assert "_meta" not in message
    assert listed.status_code == 200 and len(json.loads(sse_events(listed.text)[-1]["data"])["result"]["tools"]) == 240
