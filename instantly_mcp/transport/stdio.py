"""The stdio transport: the SDK's stdio server plus what it leaves out for a person at a terminal.

- A line that is not JSON gets a JSON-RPC -32700 parse error (and valid JSON that is no JSON-RPC
  message -32600), as the spec asks; the SDK's reader would drop it without an answer.
- Ctrl-C ends the process at once and quietly, as SIGTERM does: the SDK reads stdin in a worker
  thread that no cancellation reaches, so waiting for a graceful end would wait for the next line.
- When stdin ends, the requests already read are answered before the server stops (the SDK would
  cancel them): a scripted pipe gets every answer. They get --shutdown-timeout seconds.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from types import FrameType

import anyio
import mcp_types as types
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import Runtime, build_runtime
from instantly_mcp.transport.server import build_server


def exit_on_signal(signum: int, frame: FrameType | None) -> None:
    """Nothing is half-done on stdio that an exit could corrupt: each call's audit line is written
    when the call ends, and the client treats a closed pipe as the end of the session."""
    sys.stderr.flush()
    os._exit(128 + signum)


def unreadable_reply(exc: Exception) -> types.JSONRPCError:
    """-32700 for text that is not JSON at all, -32600 for JSON that is no JSON-RPC message."""
    not_json = isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors())
    if not_json:
        error = types.ErrorData(
            code=types.PARSE_ERROR, message="Parse error: each line on stdin must be one JSON-RPC message"
        )
    else:
        error = types.ErrorData(
            code=types.INVALID_REQUEST, message="Invalid Request: the line is JSON but no JSON-RPC 2.0 message"
        )
    return types.JSONRPCError(jsonrpc="2.0", id=None, error=error)


@dataclass
class InFlight:
    """The ids of the client's requests that have no answer yet."""

    ids: set[types.RequestId] = field(default_factory=set)
    changed: anyio.Event = field(default_factory=anyio.Event)

    def read(self, item: SessionMessage) -> None:
        if isinstance(item.message, types.JSONRPCRequest):
            self.ids.add(item.message.id)

    def written(self, item: SessionMessage) -> None:
        if isinstance(item.message, types.JSONRPCResponse | types.JSONRPCError) and item.message.id is not None:
            self.ids.discard(item.message.id)
            self.changed.set()

    async def drained(self) -> None:
        while self.ids:
            self.changed = anyio.Event()
            await self.changed.wait()


async def answer_unreadable(
    incoming: ObjectReceiveStream[SessionMessage | Exception],
    to_server: ObjectSendStream[SessionMessage | Exception],
    outgoing: ObjectSendStream[SessionMessage],
    in_flight: InFlight | None = None,
    grace_s: float = 0,
) -> None:
    """Pass messages on to the server; answer the lines the SDK could not read. At the end of
    stdin, keep the server's side open until the requests read so far are answered."""
    async with to_server:
        async for item in incoming:
            if isinstance(item, Exception):
                await outgoing.send(SessionMessage(unreadable_reply(item)))
                continue
            if in_flight is not None:
                in_flight.read(item)
            await to_server.send(item)
        if in_flight is not None:
            with anyio.move_on_after(grace_s):
                await in_flight.drained()


async def write_answers(
    from_server: ObjectReceiveStream[SessionMessage], outgoing: ObjectSendStream[SessionMessage], in_flight: InFlight
) -> None:
    async with from_server, outgoing:
        async for item in from_server:
            await outgoing.send(item)
            in_flight.written(item)


async def serve_stdio(settings: Settings, runtime: Runtime | None = None) -> None:
    from mcp.server.stdio import stdio_server

    runtime = runtime or build_runtime(settings)
    server = build_server(settings, runtime)
    desk = runtime.policy.desk
    sock = None
    if desk is not None and settings.approvals_port is not None:
        from instantly_mcp.transport.approval_pages import bind_pages

        sock = bind_pages(settings)
    to_server, from_filter = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    answers, from_server = anyio.create_memory_object_stream[SessionMessage](0)
    in_flight = InFlight()
    async with stdio_server() as (read_stream, write_stream), anyio.create_task_group() as tg:
        if desk is not None and sock is not None:
            from instantly_mcp.transport.approval_pages import serve_pages

            await tg.start(serve_pages, desk, settings, sock)
        tg.start_soon(answer_unreadable, read_stream, to_server, write_stream, in_flight, settings.shutdown_timeout_s)
        async with anyio.create_task_group() as writer:
            writer.start_soon(write_answers, from_server, write_stream, in_flight)
            await server.run(from_filter, answers, server.create_initialization_options())
        tg.cancel_scope.cancel()


def install_signal_handlers() -> None:
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, exit_on_signal)
