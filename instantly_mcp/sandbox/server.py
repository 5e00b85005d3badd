"""Running the sandbox out of process with uvicorn."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from instantly_mcp.rebinding import RebindingGuard, loopback_hosts, loopback_origins
from instantly_mcp.sandbox.app import create_app
from instantly_mcp.sandbox.faults import ConnectionDropped
from instantly_mcp.sockets import tcp_listener


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
    try:
        sock = tcp_listener(host, port)
    except OSError as exc:
        raise SystemExit(
            f"instantly-mcp sandbox: cannot listen on {host}:{port}: {os.strerror(exc.errno or 0)}"
        ) from None
    shown = f"[{host}]" if ":" in host else host
    print(
        f"instantly-mcp sandbox: the Instantly API V2 sandbox at http://{shown}:{sock.getsockname()[1]}/api/v2 "
        "(e.g. GET /api/v2/campaigns). It accepts any `Authorization: Bearer <anything>` (every key sees the "
        "same workspace) and answers 401 without one. Point the server at it with "
        f"`instantly-mcp --base-url http://{shown}:{sock.getsockname()[1]}` and any INSTANTLY_API_KEY.",
        file=sys.stderr,
        flush=True,
    )
    # A latency fault may hold a request for minutes: shutting down does not wait for it.
    config = uvicorn.Config(app, log_level="info", timeout_graceful_shutdown=1)
    uvicorn.Server(config).run(sockets=[sock])
