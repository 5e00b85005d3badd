"""Prometheus metrics of what the server does, served at /metrics on the HTTP transports.

Labels carry only names from the catalog (tool, operation template), outcomes, statuses and
hashed tenant ids: never a key, a token or an argument value. One registry per process; with
`--workers N` each worker counts its own requests, so scrape replicas rather than workers.
"""

from __future__ import annotations

import hashlib

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "REGISTRY", "exposition", "tenant_label"]

REGISTRY = CollectorRegistry(auto_describe=True)
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

TOOL_CALLS = Counter(
    "instantly_mcp_tool_calls",
    "Tool calls by tool and outcome (sent, refused, invalid, dry_run, confirmation_required)",
    ["tool", "outcome"],
    registry=REGISTRY,
)
TOOL_CALL_SECONDS = Histogram(
    "instantly_mcp_tool_call_seconds",
    "Time from tools/call to its answer",
    ["tool"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
UPSTREAM_REQUESTS = Counter(
    "instantly_mcp_upstream_requests",
    "HTTP requests sent to Instantly by operation and status (0: no answer)",
    ["operation", "status"],
    registry=REGISTRY,
)
UPSTREAM_SECONDS = Histogram(
    "instantly_mcp_upstream_request_seconds",
    "Time of one HTTP request to Instantly",
    ["operation"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
RETRIES = Counter(
    "instantly_mcp_upstream_retries", "Requests repeated after a failure", ["operation"], registry=REGISTRY
)
RATE_LIMITED = Counter(
    "instantly_mcp_upstream_429", "429 answers received from Instantly", ["operation"], registry=REGISTRY
)
LIMITER_WAIT_SECONDS = Histogram(
    "instantly_mcp_limiter_wait_seconds",
    "Time a request waited for a rate-limit slot",
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    registry=REGISTRY,
)
LIMITER_REFUSALS = Counter(
    "instantly_mcp_limiter_refusals",
    "Requests refused locally (no rate-limit slot before the deadline)",
    ["operation"],
    registry=REGISTRY,
)
LIMITER_FALLBACKS = Counter(
    "instantly_mcp_limiter_fallbacks",
    "Slots taken from this replica's share because Redis was unreachable",
    registry=REGISTRY,
)
CONFIRMATIONS = Counter(
    "instantly_mcp_confirmations",
    "Confirmations by event: asked, approved, denied, expired",
    ["event"],
    registry=REGISTRY,
)
SESSIONS = Gauge(
    "instantly_mcp_sessions", "Open sessions per tenant (a hash of its key fingerprint)", ["tenant"], registry=REGISTRY
)
CALLS_IN_FLIGHT = Gauge(
    "instantly_mcp_calls_in_flight", "Tool calls running per tenant (hashed)", ["tenant"], registry=REGISTRY
)


def tenant_label(tenant: str) -> str:
    """A short hash: tenants can be told apart on a dashboard, not identified from it."""
    return hashlib.sha256(f"instantly-mcp-tenant:{tenant}".encode()).hexdigest()[:12]


def operation_label(endpoint: str | None, method: str) -> str:
    """The operation's path template (no ids or values in it), else only the method."""
    return endpoint or method


def exposition() -> bytes:
    return generate_latest(REGISTRY)
