"""Running the sandbox out of process with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from instantly_mcp.rebinding import RebindingGuard, loopback_hosts, loopback_origins
from instantly_mcp.sandbox.app import create_app
from instantly_mcp.sandbox.faults import ConnectionDropped


class _HideDroppedConnections(logging.Filter):
    """A "drop" fault is deliberate; uvicorn would otherwise log it as an application crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def serve(
    host: str = "127.0.0.1", port: int = 8089, db_path: str | None = None, seed: bool = True, scale: str = "demo"
) -> None:
    """Serve the sandbox until interrupted, behind the same Host/Origin checks as the MCP server: its
    /_sandbox/* endpoints (request log with bodies, reset, faults) must not answer a rebound page."""
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    hosts = loopback_hosts() + ((f"{host}:*",) if host not in ("0.0.0.0", "::") else ())
    app = RebindingGuard(create_app(db_path=db_path, seed=seed, scale=scale), hosts=hosts, origins=loopback_origins())
    # A latency fault may hold a request for minutes: shutting down does not wait for it.
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=1)
