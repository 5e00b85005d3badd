"""The Redis connection every shared store uses: short timeouts, so an outage is noticed in time."""

from __future__ import annotations

from redis.asyncio import Redis

CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 2.0


def connect(url: str) -> Redis:
    """A client for `url` (connections are opened on first use, in the running event loop)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=COMMAND_TIMEOUT_S,
    )
