"""Approvals and used confirmation tokens in Redis, so every replica honours each of them once.

An approval is a hash (`data`: the approval as JSON, `mac`, `status`, and `used:<i>` per call used)
kept until a TTL after it expires, as MemoryApprovalStore keeps it; a sorted set indexes the
pending ones by expiry for the approvals page. The data and every decided status carry an HMAC
under the server secret, so whoever can write to Redis still cannot plant or approve an approval:
a record that does not verify is unknown. Deciding and using are Lua scripts: atomic across
replicas. A used token is a key that lives until the token's own expiry, set only if absent.
Every Redis failure becomes StoreUnavailable, on which the gates refuse (fail closed).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import asdict, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from instantly_mcp.errors import StoreUnavailable
from instantly_mcp.gates.approvals import (
    APPROVAL_TTL_S,
    MAX_KEPT,
    OPERATOR,
    Approval,
    ApprovalItem,
    Decision,
)

PREFIX = "instantly-mcp"
PENDING = f"{PREFIX}:approvals:pending"
KEPT_TTL_S = 90 * 24 * 3600  # content last approved or seen live: long enough to span a paused campaign

_DECIDE = """
if redis.call('HGET', KEYS[1], 'status') == 'pending' then
  redis.call('HSET', KEYS[1], 'status', ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
end
return redis.call('HGET', KEYS[1], 'status')
"""

_USE = """
if string.sub(redis.call('HGET', KEYS[1], 'status') or '', 1, 9) ~= 'approved:' then return 0 end
return redis.call('HSETNX', KEYS[1], ARGV[1], '1')
"""


def _key(approval_id: str) -> str:
    return f"{PREFIX}:approval:{approval_id}"


class Seal:
    """HMACs over what Redis holds of an approval: its data, and each decision with its id."""

    def __init__(self, secret: bytes) -> None:
        self.key = hmac.new(secret, b"instantly-mcp approvals in redis", hashlib.sha256).digest()

    def mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()

    def status(self, approval_id: str, status: str) -> str:
        return f"{status}:{self.mac(approval_id + chr(0) + status)}"

    def encode(self, approval: Approval) -> Mapping[Any, Any]:
        data = asdict(replace(approval, items=tuple(replace(item, used=False) for item in approval.items)))
        data.pop("status")
        text = json.dumps(data, separators=(",", ":"))
        return {"data": text, "mac": self.mac(text), "status": "pending"}

    def decode(self, fields: Mapping[Any, Any]) -> Approval | None:
        """None for a record that is missing, or that this server's secret did not seal."""
        text, mac = fields.get("data"), fields.get("mac")
        if not isinstance(text, str) or not isinstance(mac, str) or not hmac.compare_digest(mac, self.mac(text)):
            return None
        data: dict[str, Any] = json.loads(text)
        status = str(fields.get("status", "pending")).partition(":")[0]
        if status not in ("pending", "approved", "denied"):
            return None
        if status != "pending" and not hmac.compare_digest(fields["status"], self.status(data["id"], status)):
            return None
        items = tuple(
            ApprovalItem(
                **{
                    **item,
                    "details": tuple(tuple(pair) for pair in item["details"]),
                    "risks": tuple(item.get("risks", ())),
                    "used": f"used:{i}" in fields,
                }
            )
            for i, item in enumerate(data.pop("items"))
        )
        return Approval(**data, items=items, status=status)  # type: ignore[arg-type]


class RedisApprovalStore:
    """The ApprovalStore of approvals.py, shared by every replica pointing at the same Redis."""

    def __init__(self, redis: Redis, secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.seal = Seal(secret)
        self.clock = clock
        self._decide = redis.register_script(_DECIDE)
        self._use = redis.register_script(_USE)

    async def add(self, approval: Approval) -> None:
        keep_s = max(1, int(approval.expires - self.clock()) + APPROVAL_TTL_S)
        async with _unavailable_as_refusal(), self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(_key(approval.id), mapping=self.seal.encode(approval))
            pipe.expire(_key(approval.id), keep_s)
            pipe.zadd(PENDING, {approval.id: approval.expires})
            pipe.zremrangebyscore(PENDING, "-inf", self.clock())
            pipe.zremrangebyrank(PENDING, 0, -MAX_KEPT - 1)
            await pipe.execute()

    async def get(self, approval_id: str) -> Approval | None:
        async with _unavailable_as_refusal():
            return self.seal.decode(await self.redis.hgetall(_key(approval_id)))

    async def decide(self, approval_id: str, decision: Decision) -> Approval | None:
        approval = await self.get(approval_id)
        if approval is None or approval.status != "pending" or approval.expired(self.clock()):
            return approval
        status = self.seal.status(approval_id, "approved" if decision == "approve" else "denied")
        async with _unavailable_as_refusal():
            await self._decide(keys=[_key(approval_id), PENDING], args=[status, approval_id])
        return await self.get(approval_id)

    async def use(self, approval_id: str, index: int) -> bool:
        async with _unavailable_as_refusal():
            return bool(await self._use(keys=[_key(approval_id)], args=[f"used:{index}"]))

    async def recall(self, key: str) -> str | None:
        """What was kept under `key`, unless its seal does not verify (then as if nothing was)."""
        async with _unavailable_as_refusal():
            sealed = await self.redis.get(f"{PREFIX}:kept:{_digest(key)}")
        mac, _, value = sealed.partition(":") if isinstance(sealed, str) else ("", "", "")
        return value if mac and hmac.compare_digest(mac, self.seal.mac(key + chr(0) + value)) else None

    async def keep(self, key: str, value: str) -> None:
        sealed = f"{self.seal.mac(key + chr(0) + value)}:{value}"
        async with _unavailable_as_refusal():
            await self.redis.set(f"{PREFIX}:kept:{_digest(key)}", sealed, ex=KEPT_TTL_S)

    async def pending(self, viewer: str = OPERATOR) -> list[Approval]:
        now = self.clock()
        async with _unavailable_as_refusal():
            ids = await self.redis.zrangebyscore(PENDING, now, "+inf")
        found = [await self.get(str(approval_id)) for approval_id in ids]
        return [
            a for a in found if a is not None and a.status == "pending" and not a.expired(now) and a.seen_by(viewer)
        ]


class RedisUsedTokens:
    """Confirmation tokens already used, across replicas: each key lives until its token expires."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.clock = clock

    async def claim(self, token: str, expiry: float) -> bool:
        """True for the first use of `token` on any replica; False when it was used before."""
        ttl_ms = max(1, int((expiry - self.clock()) * 1000))
        async with _unavailable_as_refusal():
            return bool(await self.redis.set(f"{PREFIX}:used-token:{_digest(token)}", "1", nx=True, px=ttl_ms))


def _digest(token: str) -> str:
    """The token's hash: Redis never holds a token that could still be replayed."""
    return hashlib.sha256(token.encode()).hexdigest()


@asynccontextmanager
async def _unavailable_as_refusal() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StoreUnavailable(f"Redis is unreachable ({type(exc).__name__})") from None
