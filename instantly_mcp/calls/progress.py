"""Progress notifications for the tool call running in this task.

`report_progress(ctx, done, total, message)` sends one when the client asked for progress (a
progressToken in the request); values that would not increase are dropped, as the spec requires.
Code deep in the call (auto-pagination, say) calls it with ctx=None: transport/progress.py's
`tracked_call` puts the current call's Reporter in `current_reporter`.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

from instantly_mcp.redaction import scrub_text

log = logging.getLogger(__name__)

current_reporter: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "instantly_mcp_progress", default=None
)


class Reporter:
    """Progress for one tools/call: monotonic, and explicit figures win over the automatic count."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.last: float = 0.0
        self.explicit = False
        self.requests = 0

    async def report(
        self, done: float, total: float | None = None, message: str | None = None, *, automatic: bool = False
    ) -> None:
        if automatic and self.explicit:
            return
        if not automatic:
            self.explicit = True
        if done <= self.last:
            return
        self.last = done
        session = getattr(self.ctx, "session", None)
        if session is None:
            return
        try:
            await session.report_progress(done, total, scrub_text(message) if message else message)
        except Exception as exc:  # a client gone away must not fail the call
            log.debug("progress notification not sent: %s", exc)


async def report_progress(ctx: Any, done: float, total: float | None = None, message: str | None = None) -> None:
    """Tell the client how far the call is (a no-op unless it sent a progress token)."""
    reporter = current_reporter.get()
    if ctx is not None and (reporter is None or reporter.ctx is not ctx):
        reporter = Reporter(ctx)
    if reporter is not None:
        await reporter.report(done, total, message)
