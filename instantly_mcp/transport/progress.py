"""What the client hears while a tool call runs: progress notifications and log messages.

- `tracked_call(ctx, client)`: the client a call should use (and the Reporter that
  calls/progress.py's `report_progress` finds for code deeper in the call). It reports progress after each
  upstream request (request n done: progress n) until the code above reports its own figures
  (items fetched of max_items, say), and logs each request to the client (debug; failures as
  warning) at the level the client set with logging/setLevel (default: warning).
- `set_logging_level`: the logging/setLevel handler. The level is kept per connection; on the
  2026-07-28 protocol, which has no setLevel, the request's own _meta opt-in decides instead.
"""

from __future__ import annotations

import logging
import time
import warnings
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any, get_args

import mcp_types as types
from mcp.server.connection import allowed_log_levels
from mcp.shared.exceptions import MCPDeprecationWarning
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from instantly_mcp.calls.progress import Reporter, current_reporter
from instantly_mcp.errors import UpstreamError
from instantly_mcp.redaction import scrub_text
from instantly_mcp.upstream.client import ApiRequest, ApiResponse, Requester

log = logging.getLogger(__name__)

LEVELS: tuple[str, ...] = get_args(types.LoggingLevel)
DEFAULT_LEVEL = "warning"
LOGGER_NAME = "instantly"

_levels: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


class TrackedClient:
    """The call's view of the client: every upstream request is counted, reported and logged."""

    def __init__(self, inner: Requester, reporter: Reporter) -> None:
        self._inner = inner
        self._reporter = reporter

    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse:
        started = time.perf_counter()
        try:
            response = await self._inner.request(req, api_key=api_key)
        except UpstreamError as exc:
            await send_log(self._reporter.ctx, "warning", f"{req.method} {req.path} failed: {exc}")
            raise
        reporter = self._reporter
        reporter.requests += 1
        if heard(reporter.ctx, "debug"):
            elapsed_ms = (time.perf_counter() - started) * 1000
            message = f"{req.method} {req.path} -> {response.status} in {elapsed_ms:.0f} ms"
            await send_log(reporter.ctx, "debug", message)
        if reporter.wanted:
            noun = "request" if reporter.requests == 1 else "requests"
            await reporter.report(
                reporter.requests,
                None,
                f"{reporter.requests} Instantly {noun} done (last: {req.method} {req.path})",
                automatic=True,
            )
        return response


@asynccontextmanager
async def tracked_call(ctx: Any, client: Requester) -> AsyncIterator[TrackedClient]:
    reporter = Reporter(ctx)
    token = current_reporter.set(reporter)
    try:
        yield TrackedClient(client, reporter)
    finally:
        current_reporter.reset(token)


def _connection_of(ctx: Any) -> Any:
    session = getattr(ctx, "session", None)
    return getattr(session, "_connection", session)


async def set_logging_level(ctx: Any, params: types.SetLevelRequestParams) -> types.EmptyResult:
    connection = _connection_of(ctx)
    with suppress(TypeError):  # not weak-referenceable: nothing to remember it on
        _levels[connection] = params.level
    return types.EmptyResult()


def _threshold(ctx: Any) -> str:
    try:
        return _levels.get(_connection_of(ctx), DEFAULT_LEVEL)
    except TypeError:
        return DEFAULT_LEVEL


def heard(ctx: Any, level: str) -> bool:
    """Whether a log message at `level` would reach this call's client (else it need not be written).
    On the 2026-07-28 protocol the request's own _meta opt-in decides, as the SDK's session does;
    without one nothing is sent, so nothing is written either."""
    if getattr(ctx, "session", None) is None:
        return False
    version = getattr(ctx, "protocol_version", None)
    if version in MODERN_PROTOCOL_VERSIONS:
        return level in allowed_log_levels(version, getattr(ctx, "meta", None))
    return LEVELS.index(level) >= LEVELS.index(_threshold(ctx))


async def send_log(ctx: Any, level: str, message: str) -> None:
    """A notifications/message to the client, if it asked for this level (never fails the call)."""
    if not heard(ctx, level):
        return
    session = ctx.session
    try:
        with warnings.catch_warnings():  # deprecated only from 2026-07-28 on; handshake clients still use it
            warnings.simplefilter("ignore", MCPDeprecationWarning)
            sending = session.send_log_message(
                level, scrub_text(message), logger=LOGGER_NAME, related_request_id=ctx.request_id
            )
        await sending
    except Exception as exc:
        log.debug("log notification not sent: %s", exc)
