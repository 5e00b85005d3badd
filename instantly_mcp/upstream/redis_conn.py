"""The Redis connection every shared store uses: short timeouts, so an outage is noticed in time, and
one immediate retry on a fresh connection, so a connection left over from before a Redis restart
is not taken for an outage."""

from __future__ import annotations

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError, TimeoutError

CONNECT_TIMEOUT_S = 0.5
COMMAND_TIMEOUT_S = 2.0
HEALTH_CHECK_S = 1  # a connection idle longer than this is checked (PING) before use


def connect(url: str) -> Redis:
    """A client for `url` (connections are opened on first use, in the running event loop)."""
    return Redis.from_url(
        url,
        decode_responses=True,
        socket_connect_timeout=CONNECT_TIMEOUT_S,
        socket_timeout=COMMAND_TIMEOUT_S,
        health_check_interval=HEALTH_CHECK_S,
        retry=Retry(NoBackoff(), 1),
        retry_on_error=[ConnectionError, TimeoutError, OSError],
    )
