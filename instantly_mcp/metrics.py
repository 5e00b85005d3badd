"""Prometheus metrics of what the server does, served at /metrics on the HTTP transports.

Off until `enable()` (the HTTP app calls it, since only it serves /metrics): until then every
function here returns at once and prometheus_client is not even imported, so stdio pays nothing.
Labelled children are looked up once per label set and kept.

Labels carry only names from the catalog (tool, operation template), outcomes, statuses and
hashed tenant ids: never a key, a token or an argument value. One registry per process; with
`--workers N` each worker counts its own requests, so scrape replicas rather than workers.
"""

from __future__ import annotations

import collections
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["enable", "enabled", "exposition", "tenant_label"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_CHILDREN = 4096  # labelled children kept at hand (tenants are unbounded; prometheus keeps them anyway)


@dataclass(frozen=True)
class _Instruments:
    registry: CollectorRegistry
    tool_calls: Counter
    tool_call_seconds: Histogram
    upstream_requests: Counter
    upstream_seconds: Histogram
    retries: Counter
    rate_limited: Counter
    limiter_wait_seconds: Histogram
    limiter_refusals: Counter
    limiter_fallbacks: Counter
    confirmations: Counter
    sessions: Gauge
    calls_in_flight: Gauge
    policy_decisions: Counter
    policy_counted: Counter


_on: _Instruments | None = None


def enable() -> None:
    """Create the registry and its instruments (once per process)."""
    global _on
    if _on is not None:
        return
    from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

    registry = CollectorRegistry(auto_describe=True)
    _on = _Instruments(
        registry=registry,
        tool_calls=Counter(
            "instantly_mcp_tool_calls",
            "Tool calls by tool and outcome (sent, refused, invalid, dry_run, confirmation_required)",
            ["tool", "outcome"],
            registry=registry,
        ),
        tool_call_seconds=Histogram(
            "instantly_mcp_tool_call_seconds",
            "Time from tools/call to its answer",
            ["tool"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        ),
        upstream_requests=Counter(
            "instantly_mcp_upstream_requests",
            "HTTP requests sent to Instantly by operation and status (0: no answer)",
            ["operation", "status"],
            registry=registry,
        ),
        upstream_seconds=Histogram(
            "instantly_mcp_upstream_request_seconds",
            "Time of one HTTP request to Instantly",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        ),
        retries=Counter(
            "instantly_mcp_upstream_retries", "Requests repeated after a failure", ["operation"], registry=registry
        ),
        rate_limited=Counter(
            "instantly_mcp_upstream_429", "429 answers received from Instantly", ["operation"], registry=registry
        ),
        limiter_wait_seconds=Histogram(
            "instantly_mcp_limiter_wait_seconds",
            "Time a request waited for a rate-limit slot",
            buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
            registry=registry,
        ),
        limiter_refusals=Counter(
            "instantly_mcp_limiter_refusals",
            "Requests refused locally (no rate-limit slot before the deadline)",
            ["operation"],
            registry=registry,
        ),
        limiter_fallbacks=Counter(
            "instantly_mcp_limiter_fallbacks",
            "Slots taken from this replica's share because Redis was unreachable",
            registry=registry,
        ),
        confirmations=Counter(
            "instantly_mcp_confirmations",
            "Confirmations by event: asked, approved, denied, expired",
            ["event"],
            registry=registry,
        ),
        sessions=Gauge(
            "instantly_mcp_sessions",
            "Open sessions per tenant (a hash of its key fingerprint)",
            ["tenant"],
            registry=registry,
        ),
        calls_in_flight=Gauge(
            "instantly_mcp_calls_in_flight", "Tool calls running per tenant (hashed)", ["tenant"], registry=registry
        ),
        policy_decisions=Counter(
            "instantly_mcp_policy_decisions",
            "Autonomy policy decisions by rule and decision (allow, ask, deny)",
            ["rule", "decision"],
            registry=registry,
        ),
        policy_counted=Counter(
            "instantly_mcp_policy_counted",
            "Amounts counted against the autonomy policy's limits, by rule and counter",
            ["rule", "counter"],
            registry=registry,
        ),
    )


def enabled() -> bool:
    return _on is not None


@lru_cache(maxsize=_CHILDREN)
def _child(metric: str, *labels: str) -> Any:
    assert _on is not None
    return getattr(_on, metric).labels(*labels)


def tool_call(tool: str, outcome: str, seconds: float) -> None:
    if _on is not None:
        _child("tool_calls", tool, outcome).inc()
        _child("tool_call_seconds", tool).observe(seconds)


def upstream_request(operation: str, status: int, seconds: float) -> None:
    if _on is not None:
        _child("upstream_requests", operation, str(status)).inc()
        _child("upstream_seconds", operation).observe(seconds)


def retried(operation: str) -> None:
    if _on is not None:
        _child("retries", operation).inc()


def rate_limited(operation: str) -> None:
    if _on is not None:
        _child("rate_limited", operation).inc()


def limiter_waited(seconds: float) -> None:
    if _on is not None:
        _on.limiter_wait_seconds.observe(seconds)


def limiter_refused(operation: str) -> None:
    if _on is not None:
        _child("limiter_refusals", operation).inc()


def limiter_fell_back() -> None:
    if _on is not None:
        _on.limiter_fallbacks.inc()


def confirmation(event: str) -> None:
    if _on is not None:
        _child("confirmations", event).inc()


def policy_decision(rule: str, verdict: str) -> None:
    if _on is not None:
        _child("policy_decisions", rule, verdict).inc()


def policy_counted(rule: str, counter: str, amount: float) -> None:
    if _on is not None:
        _child("policy_counted", rule, counter).inc(amount)


_open: collections.Counter[tuple[str, str]] = collections.Counter()  # what each per-tenant gauge series shows
_series: dict[tuple[str, str], Any] = {}  # the gauge children shown now, looked up without labels()


def tenant_open(kind: Literal["session", "call"], tenant: str, change: int) -> None:
    """One more (change 1) or one fewer (-1) session or call in flight for the tenant. A tenant's
    series stay while it has a session open (its calls series reads 0 between calls rather than
    being made and dropped per call) and go with its last session, so /metrics holds only tenants
    with something open."""
    if _on is None:
        return
    label = tenant_label(tenant)
    _open[kind, label] += change
    _gauge(kind, label).inc(change)
    if _open[kind, label] <= 0:
        del _open[kind, label]
    for shown in (kind, "call") if kind == "session" else (kind,):  # a session's end may end its calls series
        if not _held(shown, label) and _series.pop((shown, label), None) is not None:
            _gauge_of(shown).remove(label)


def _gauge(kind: str, label: str) -> Any:
    child = _series.get((kind, label))
    if child is None:
        child = _series[kind, label] = _gauge_of(kind).labels(label)
    return child


def _gauge_of(kind: str) -> Gauge:
    assert _on is not None
    return _on.sessions if kind == "session" else _on.calls_in_flight


def _held(kind: str, label: str) -> bool:
    return _open[kind, label] > 0 or (kind == "call" and _open["session", label] > 0)


@lru_cache(maxsize=_CHILDREN)
def tenant_label(tenant: str) -> str:
    """A short hash: tenants can be told apart on a dashboard, not identified from it. A key's
    sessions (counted by principal, `tenant:<fingerprint>`) and calls (by fingerprint) share one label."""
    return hashlib.sha256(f"instantly-mcp-tenant:{tenant.removeprefix('tenant:')}".encode()).hexdigest()[:12]


def operation_label(endpoint: str | None, method: str) -> str:
    """The operation's path template (no ids or values in it), else only the method."""
    return endpoint or method


def exposition() -> tuple[bytes, str]:
    """The scrape body and its content type."""
    from prometheus_client import generate_latest
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    enable()
    assert _on is not None
    return generate_latest(_on.registry), CONTENT_TYPE_LATEST
