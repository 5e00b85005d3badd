"""Finding 10 (HTTP): connections that send half a request (the first, or the next one on a kept-alive
connection) and stall are closed once --request-read-timeout (or INSTANTLY_MCP_REQUEST_READ_TIMEOUT)
has passed, while a real client's session keeps working. Raw sockets play the attacker."""

from __future__ import annotations

import socket
from contextlib import ExitStack

import anyio
import pytest

from security.conftest import Target, text

STALLED = 40


def open_stalled(port: int, stack: ExitStack, payload: bytes) -> socket.socket:
    sock = stack.enter_context(socket.create_connection(("127.0.0.1", port)))
    sock.sendall(payload)
    sock.settimeout(60)  # a guard against a hang, not a speed target
    return sock


def answer_of(sock: socket.socket) -> bytes:
    """Everything the server sent before closing the connection."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


@pytest.mark.parametrize("transport", ["http"])
def test_half_sent_requests_are_dropped(target: Target) -> None:
    with target.serve("--request-read-timeout", "1") as served, ExitStack() as stack:
        assert served.http is not None
        port = served.http.port
        head = f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n".encode()
        heads = [open_stalled(port, stack, head) for _ in range(STALLED)]
        body = head + b'Accept: application/json, text/event-stream\r\nContent-Length: 500\r\n\r\n{"jsonrpc"'
        bodies = [open_stalled(port, stack, body) for _ in range(STALLED)]
        kept_alive = open_stalled(port, stack, f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode())
        kept_alive.recv(1)  # the first answer has begun: the next request head is now awaited
        kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost:")

        async def session() -> str:
            async with served.connect() as client:
                result = await client.call_tool("list_campaigns", {"limit": 1})
                assert not result.is_error, text(result)
                return text(result)

        assert anyio.run(session)
        head_answers = [answer_of(sock) for sock in heads]
        body_answers = [answer_of(sock) for sock in bodies]
        second_request = answer_of(kept_alive)
    assert head_answers == [b""] * STALLED
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in body_answers), body_answers[0][:200]
    # the rest of the first answer (its first byte was read above), and no second one: closed
    assert b'"status":"ok"' in second_request and b"HTTP/1.1 " not in second_request
    assert [r["path"] for r in target.sandbox.requests()] == ["/api/v2/campaigns"]
