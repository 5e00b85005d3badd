"""Running the sandbox out of process with uvicorn."""

from __future__ import annotations

import logging

import uvicorn

from instantly_mcp.sandbox.app import create_app
from instantly_mcp.sandbox.faults import ConnectionDropped


class _HideDroppedConnections(logging.Filter):
    """A "drop" fault is deliberate; uvicorn would otherwise log it as an application crash."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def serve(
    host: str = "127.0.0.1", port: int = 8089, db_path: str | None = None, seed: bool = True, scale: str = "demo"
) -> None:
    """Serve the sandbox until interrupted."""
    logging.getLogger("uvicorn.error").addFilter(_HideDroppedConnections())
    # A latency fault may hold a request for minutes: shutting down does not wait for it.
    uvicorn.run(create_app(db_path=db_path, seed=seed, scale=scale), host=host, port=port, log_level="info", timeout_graceful_shutdown=1)
