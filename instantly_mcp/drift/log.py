"""`--log-drift`: responses are compared with the spec off the request path, each new difference
logged once per operation and field, never with values."""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from typing import Any

from instantly_mcp.catalog.operations import Operation
from instantly_mcp.drift.compare import differences

logger = logging.getLogger("instantly_mcp.drift")
MAX_PENDING = 100


class DriftLog:
    """A daemon thread compares; `observe` only enqueues (and drops when the queue is full: a
    busy server loses some checks, never latency)."""

    def __init__(self) -> None:
        self.seen: set[tuple[str, str, str]] = set()
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
        for difference in differences(op.output_schema, data):
            key = (op.name, difference.path, difference.kind)
            if key in self.seen:
                continue
            self.seen.add(key)
            logger.warning("drift: %s (%s %s) %s", op.name, op.method, op.path, difference.text())
