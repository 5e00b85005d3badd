"""Optional OpenTelemetry spans: one per tool call and one per upstream request.

Installed with the `otel` extra; without opentelemetry-api every span is a no-op. The process's
tracer provider (configured by the operator, e.g. with opentelemetry-instrument) decides where
spans go. Attributes are names and statuses only, never a key, token or argument value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from opentelemetry import trace as _trace
except ImportError:  # the `otel` extra is not installed
    _trace = None  # type: ignore[assignment]

TRACER_NAME = "instantly_mcp"


class _NoSpan:
    def set_attribute(self, key: str, value: Any) -> None:
        pass


@contextmanager
def span(name: str, **attributes: str | int) -> Iterator[Any]:
    """A span named `name`, current for its body; exceptions are recorded by the SDK."""
    if _trace is None:
        yield _NoSpan()
        return
    with _trace.get_tracer(TRACER_NAME).start_as_current_span(name, attributes=attributes) as current:
        yield current
