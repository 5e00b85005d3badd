"""Resumable SSE streams: the events sent on streamable HTTP, kept so that a client that lost its
stream can reconnect with Last-Event-ID and get what it missed.

The SDK hands one event store to every session and keys events by stream id, which is the JSON-RPC
request id: two sessions both have a request 1. So each session gets its own view
(`SessionEvents`), and one session can never replay another's events, whatever id it sends.
`EventLog` is the small interface behind the views; `MemoryEventLog` keeps the newest events of
this process, bounded by count and by bytes (a tool result's size is its text, which is all a
result carries; so a flood of large answers costs about DEFAULT_MAX_BYTES at most). A log shared by
replicas can implement the same two methods later.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Protocol

from mcp.server.lowlevel import Server
from mcp.server.streamable_http import (
    EventCallback,
    EventId,
    EventMessage,
    EventStore,
    StreamableHTTPServerTransport,
    StreamId,
)
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from mcp_types import JSONRPCMessage, JSONRPCResponse

DEFAULT_MAX_EVENTS = 10_000
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
EVENT_OVERHEAD = 512  # the envelope and bookkeeping of one kept event
RETRY_MS = 1_000  # the `retry:` a client waits before reconnecting


def size_of(message: JSONRPCMessage | None) -> int:
    """What a kept event costs, from its texts (O(1) per content item, no serialising on the hot path)."""
    result = message.result if isinstance(message, JSONRPCResponse) else None
    content = result.get("content") if isinstance(result, dict) else None
    if not isinstance(content, list):
        return EVENT_OVERHEAD
    texts = (item.get("text") for item in content if isinstance(item, dict))
    return EVENT_OVERHEAD + sum(len(text) for text in texts if isinstance(text, str))


RETRY_MS = 1_000  # the `retry:` a client waits before reconnecting


class EventLog(Protocol):
    async def append(self, session_id: str, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId: ...

    async def replay_after(self, session_id: str, last_event_id: EventId, send: EventCallback) -> StreamId | None: ...


class MemoryEventLog:
    """The newest events of all sessions, in order, at most `max_events` of them and `max_bytes` of
    JSON; older ones cannot be resumed."""

    def __init__(self, max_events: int = DEFAULT_MAX_EVENTS, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_events = max_events
        self.max_bytes = max_bytes
        self.bytes_held = 0
        self._events: OrderedDict[int, tuple[str, StreamId, JSONRPCMessage | None, int]] = OrderedDict()
        self._ids = itertools.count(1)

    async def append(self, session_id: str, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        number = next(self._ids)
        size = size_of(message)
        self._events[number] = (session_id, stream_id, message, size)
        self.bytes_held += size
        while len(self._events) > self.max_events or (self.bytes_held > self.max_bytes and len(self._events) > 1):
            self.bytes_held -= self._events.popitem(last=False)[1][3]
        return str(number)

    async def replay_after(self, session_id: str, last_event_id: EventId, send: EventCallback) -> StreamId | None:
        last = int(last_event_id) if last_event_id.isascii() and last_event_id.isdigit() else 0
        known = self._events.get(last)
        if known is None or known[0] != session_id:
            return None
        stream_id = known[1]
        later = [
            (n, message)
            for n, (session, stream, message, _) in self._events.items()
            if n > last and session == session_id and stream == stream_id
        ]
        for number, message in later:
            if message is not None:
                await send(EventMessage(message, str(number)))
        return stream_id


class SessionEvents(EventStore):
    """The SDK's event-store interface for one session, over the shared log."""

    def __init__(self, log: EventLog, session_id: str) -> None:
        self.log = log
        self.session_id = session_id

    async def store_event(self, stream_id: StreamId, message: JSONRPCMessage | None) -> EventId:
        return await self.log.append(self.session_id, stream_id, message)

    async def replay_events_after(self, last_event_id: EventId, send_callback: EventCallback) -> StreamId | None:
        return await self.log.replay_after(self.session_id, last_event_id, send_callback)


class ResumableSessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager, giving each new session its own view of the event log."""

    def __init__(
        self,
        app: Server[Any],
        *,
        event_log: EventLog,
        security_settings: TransportSecuritySettings | None,
        **options: Any,
    ) -> None:
        super().__init__(
            app,
            event_store=SessionEvents(event_log, ""),
            retry_interval=RETRY_MS,
            security_settings=security_settings,
            **options,
        )
        self.event_log = event_log

    def _admit_session(self, requestor: Any) -> StreamableHTTPServerTransport | None:
        transport = super()._admit_session(requestor)
        if transport is not None:
            transport._event_store = SessionEvents(self.event_log, transport.mcp_session_id or "")
        return transport
