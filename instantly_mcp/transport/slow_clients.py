"""Bounds on clients that open a request and never finish it (slowloris).

uvicorn waits for a request's head and body as long as the client likes: 300 connections that
sent half their headers were all still held after 30 s. Two deadlines end that:

- `BoundedH11Protocol`: uvicorn's h11 protocol with a deadline for each request head, from the
  moment the server starts waiting for it (connection made, or the previous response sent).
- `BodyDeadline`: ASGI middleware giving each request's body the same deadline from its first
  read; a late body is answered 408. Reads after the body (an SSE stream waiting for the client
  to disconnect) are not timed.
"""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

DEFAULT_READ_TIMEOUT_S = 10.0


class BoundedH11Protocol(H11Protocol):
    """Closes a connection whose next request head is not complete within `head_timeout_s`."""

    head_timeout_s: float = DEFAULT_READ_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_timer: asyncio.TimerHandle | None = None
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        cycle = self.cycle
        super().data_received(data)
        if self.cycle is not cycle:  # a request head arrived
            self._disarm_head_timer()

    def on_response_complete(self) -> None:
        cycle = self.cycle
        super().on_response_complete()
        if self.cycle is cycle and not self.transport.is_closing():  # no pipelined request under way yet
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout_s, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        timer, self._head_timer = getattr(self, "_head_timer", None), None
        if timer is not None:
            timer.cancel()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def set_read_timeout(seconds: float) -> None:
    """uvicorn instantiates the protocol class itself (in every worker), so the bound is a class attribute."""
    BoundedH11Protocol.head_timeout_s = seconds


class BodyDeadline:
    """Answers 408 when a request's body has not fully arrived `timeout_s` after it was first read."""

    def __init__(self, app: ASGIApp, timeout_s: float = DEFAULT_READ_TIMEOUT_S) -> None:
        self.app = app
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = TimedBody(receive, send, self.timeout_s)
        try:
            await self.app(scope, body.receive, body.send)
        except TimeoutError:
            if body.started:
                raise
            message = {"error": f"the request body did not arrive within {self.timeout_s:g} s"}
            await JSONResponse(message, status_code=408, headers={"Connection": "close"})(scope, receive, send)


class TimedBody:
    """One request's receive and send for BodyDeadline: reads are timed until the body is complete
    (asyncio's timeout: uvicorn always runs asyncio, and it costs half of anyio's cancel scope)."""

    __slots__ = ("_deadline", "_receive", "_send", "_timeout_s", "done", "started")

    def __init__(self, receive: Receive, send: Send, timeout_s: float) -> None:
        self._receive = receive
        self._send = send
        self._timeout_s = timeout_s
        self._deadline: float | None = None
        self.done = False
        self.started = False

    async def receive(self) -> Message:
        if self.done:
            return await self._receive()
        if self._deadline is None:
            self._deadline = asyncio.get_running_loop().time() + self._timeout_s
        async with asyncio.timeout_at(self._deadline):
            message = await self._receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            self.done = True
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)
