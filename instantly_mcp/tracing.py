"""Optional OpenTelemetry spans: one per tool call and one per upstream request.

Spans are made only when the process has a tracer provider before the server starts (set up by
opentelemetry-instrument, or by code that embeds the server): `configure()` looks once, when the
runtime is built. Otherwise nothing is imported and every span is one shared no-op object.
Attributes are names and statuses only, never a key, token or argument value.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from typing import Any

TRACER_NAME = "instantly_mcp"


class _NoSpan:
    """The span, and its context manager, while tracing is off."""

    def __enter__(self) -> _NoSpan:
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def set_attribute(self, key: str, value: Any) -> None:
        pass


_NO_SPAN = _NoSpan()
_tracer: Any = None


def configure() -> bool:
    """Trace when OpenTelemetry is loaded and a tracer provider other than its default no-op is set."""
    global _tracer
    trace = sys.modules.get("opentelemetry.trace")
    provider = trace.get_tracer_provider() if trace is not None else None
    if trace is None or isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)):
        _tracer = None
    else:
        _tracer = trace.get_tracer(TRACER_NAME)
    return _tracer is not None


def span(name: str, **attributes: str | int) -> AbstractContextManager[Any]:
    """A span named `name`, current for its body; exceptions are recorded by the SDK."""
    if _tracer is None:
        return _NO_SPAN
    manager: AbstractContextManager[Any] = _tracer.start_as_current_span(name, attributes=attributes)
    return manager
