"""`--log-drift`: responses are compared with the spec off the request path, each new difference
logged once per operation and field, never with values.

Finding what differs costs tens of milliseconds for a large page, on a thread that shares the
interpreter with the calls. An operation whose answers keep showing only differences already logged
is walked less and less often (every 2nd, 4th, ... 64th differing answer); a new difference resets
it. Answers that fit the spec take the quick check only."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

from instantly_mcp.catalog.operations import Operation
from instantly_mcp.drift.compare import Difference, differences, fits

logger = logging.getLogger("instantly_mcp.drift")
MAX_PENDING = 100
MAX_SKIPPED = 64  # differing answers of one operation left unwalked between two walks, at most


class DriftLog:
    """A daemon thread compares; `observe` only enqueues (and drops when the queue is full: a
    busy server loses some checks, never latency)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()
        self._skip_next: dict[str, int] = {}  # per operation: differing answers still to leave unwalked
        self._skipping: dict[str, int] = {}  # per operation: the current length of that pause
        self._pending: queue.Queue[tuple[Operation, Any] | threading.Event] = queue.Queue(MAX_PENDING)
        self._thread = threading.Thread(target=self._run, name="drift-log", daemon=True)
        self._thread.start()

    def observe(self, op: Operation, data: Any) -> None:
        if op.output_schema is None:
            return
        with contextlib.suppress(queue.Full):  # a full queue drops an answer: drift is sampled, never waited for
            self._pending.put_nowait((op, data))

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything observed so far is checked (tests, shutdown)."""
        done = threading.Event()
        self._pending.put(done, timeout=timeout)
        done.wait(timeout)

    def _run(self) -> None:
        while True:
            item = self._pending.get()
            if isinstance(item, threading.Event):
                item.set()
            else:
                self.check(*item)

    def check(self, op: Operation, data: Any) -> None:
        if fits(op.output_schema, data):
            return
        name = op.name
        if self._skip_next.get(name, 0) > 0:
            self._skip_next[name] -= 1
            return
        logged = self._log_new(op, differences(op.output_schema, data))
        pause = 0 if logged else min(MAX_SKIPPED, 2 * self._skipping.get(name, 0) or 1)
        self._skipping[name] = self._skip_next[name] = pause

    def _log_new(self, op: Operation, found: list[Difference]) -> int:
        """Log the differences not logged before; how many there were."""
        logged = 0
        for difference in found:
            key = (op.name, difference.path, difference.kind)
            if key in self.seen:
                continue
            self.seen.add(key)
            logged += 1
            logger.warning("drift: %s (%s %s) %s", op.name, op.method, op.path, difference.text())
        return logged
