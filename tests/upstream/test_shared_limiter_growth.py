"""Made-up tenant keys must not pile up shared (Redis) limiters in a replica's memory either."""

from __future__ import annotations

from redis.asyncio import Redis

from instantly_mcp.upstream.ratelimit import MAX_KEYS
from instantly_mcp.upstream.shared_limiter import SharedRateLimiters


def test_made_up_keys_leave_at_most_max_keys_shared_limiters() -> None:
    """Looking a limiter up touches no Redis (its counts live there; only idle local state is dropped)."""
    limiters = SharedRateLimiters(Redis.from_url("redis://127.0.0.1:1"))
    for number in range(MAX_KEYS * 3):
        limiters.for_key(f"made-up-{number}")
    assert len(limiters) == MAX_KEYS
    kept = limiters.for_key("made-up-last-one")
    assert limiters.for_key("made-up-last-one") is kept
