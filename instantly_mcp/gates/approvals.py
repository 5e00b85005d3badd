"""Approvals a person gives on a page the agent cannot reach through MCP: the store and its rules.

An approval covers one gated call or a batch of them. Each call in it is bound to the tool, the
canonical arguments, the key fingerprint and the tenant, may run once, and only while the
approval is unexpired and approved. It belongs to the principal that asked (`owner`, the caller's
tenant as transport/auth.principal_of names it): the OAuth user, else (multi-tenant) the tenant's
key, else the installation; only that principal's person, or the operator, sees and decides it.
The store is a small async interface so that a shared store (Redis) can back several replicas;
`MemoryApprovalStore` serves one process, bounded by bytes.
"""

from __future__ import annotations

import hashlib
import secrets
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, Protocol

import anyio

from instantly_mcp.errors import ApprovalRefused
from instantly_mcp.gates.confirm import canonical_json

APPROVAL_TTL_S = 600
MAX_KEPT = 10_000  # an agent looping on gated calls must not grow the store without bound
MAX_BYTES = 24 * 1024 * 1024  # what the approvals of this process may hold in all
MAX_OWNER_BYTES = 6 * 1024 * 1024  # ... and those of one principal: its oldest go first
OPERATOR = "*"  # the viewer who sees every approval: the operator's approver credential
Status = Literal["pending", "approved", "denied"]
Decision = Literal["approve", "deny"]


def call_digest(tool: str, arguments: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json([tool, dict(arguments)]).encode()).hexdigest()


@dataclass(frozen=True)
class ApprovalItem:
    """One gated call as the person reads it, plus the digest it is redeemed against."""

    tool: str
    title: str
    summary: str
    details: tuple[tuple[str, str], ...]
    request: str
    digest: str
    used: bool = False
    body: str = ""  # an email's body as plain text (links with their URL), shown whole on the page
    risks: tuple[str, ...] = ()  # one sentence per effect: what approving causes
    target: str = ""  # who or what the call reaches, for the index


@dataclass(frozen=True)
class Approval:
    id: str
    items: tuple[ApprovalItem, ...]
    fingerprint: str
    tenant: str
    created: float
    expires: float
    status: Status = "pending"
    owner: str = ""

    def expired(self, now: float) -> bool:
        return now >= self.expires

    def seen_by(self, viewer: str) -> bool:
        return viewer in (OPERATOR, self.owner)

    def size(self) -> int:
        """Bytes it holds in memory (its texts, which an agent sizes), for the store's byte bound."""
        texts = [t for item in self.items for t in (item.summary, item.request, *(v for _, v in item.details))]
        return sum(sys.getsizeof(t) for t in texts) + 256 * (1 + len(self.items))


class ApprovalStore(Protocol):
    """What any store must do; `use` must be atomic across the replicas that share the store."""

    async def add(self, approval: Approval) -> None: ...

    async def get(self, approval_id: str) -> Approval | None: ...

    async def decide(self, approval_id: str, decision: Decision) -> Approval | None:
        """Pending -> approved/denied; returns the approval as it now is (None: unknown id)."""

    async def use(self, approval_id: str, index: int) -> bool:
        """Mark item `index` of an approved approval used; False when it already was."""

    async def pending(self, viewer: str = OPERATOR) -> list[Approval]:
        """The pending approvals `viewer` may see: all for the operator, else the viewer's own."""

    async def recall(self, key: str) -> str | None:
        """What was kept under `key` (content a person approved or saw live, activation.py), or None."""

    async def keep(self, key: str, value: str) -> None: ...


@dataclass
class MemoryApprovalStore:
    """Approvals in this process, bounded by bytes: expired ones are dropped as new ones arrive, then
    the oldest of a principal beyond `max_owner_bytes`, then the oldest of the largest principal
    beyond `max_bytes`, so one principal's flood of maximal calls drops its own approvals first."""

    clock: Callable[[], float] = time.time
    max_bytes: int = MAX_BYTES
    max_owner_bytes: int = MAX_OWNER_BYTES
    _items: dict[str, Approval] = field(default_factory=dict)
    _sizes: dict[str, int] = field(default_factory=dict)
    _changed: dict[str, anyio.Event] = field(default_factory=dict)
    _kept: dict[str, str] = field(default_factory=dict)

    @property
    def bytes_held(self) -> int:
        return sum(self._sizes.values())

    async def add(self, approval: Approval) -> None:
        """Drops approvals that expired a TTL ago (until then they still explain a refusal), then
        the oldest beyond the byte bounds and MAX_KEPT."""
        now = self.clock()
        for key in [k for k, a in self._items.items() if a.expired(now - APPROVAL_TTL_S)]:
            self._drop(key)
        self._items[approval.id] = approval
        self._sizes[approval.id] = approval.size()
        self._shrink(approval.owner)

    def _shrink(self, owner: str) -> None:
        by_owner: dict[str, int] = {}
        for key, approval in self._items.items():
            by_owner[approval.owner] = by_owner.get(approval.owner, 0) + self._sizes[key]
        while len(self._items) > 1 and (
            by_owner.get(owner, 0) > self.max_owner_bytes or sum(by_owner.values()) > self.max_bytes
        ):
            over = by_owner.get(owner, 0) > self.max_owner_bytes
            largest = owner if over else max(by_owner, key=by_owner.__getitem__)
            oldest = next(k for k, a in self._items.items() if a.owner == largest)
            by_owner[largest] -= self._sizes[oldest]
            self._drop(oldest)
        while len(self._items) > MAX_KEPT:
            self._drop(next(iter(self._items)))

    def _drop(self, key: str) -> None:
        self._items.pop(key, None)
        self._sizes.pop(key, None)
        event = self._changed.pop(key, None)
        if event is not None:
            event.set()  # a waiter sees the approval gone, as unknown

    async def get(self, approval_id: str) -> Approval | None:
        return self._items.get(approval_id)

    async def decide(self, approval_id: str, decision: Decision) -> Approval | None:
        approval = self._items.get(approval_id)
        if approval is None or approval.status != "pending" or approval.expired(self.clock()):
            return approval
        approval = replace(approval, status="approved" if decision == "approve" else "denied")
        self._items[approval_id] = approval
        self._changed.pop(approval_id, anyio.Event()).set()
        return approval

    async def use(self, approval_id: str, index: int) -> bool:
        approval = self._items.get(approval_id)
        if approval is None or approval.status != "approved" or approval.items[index].used:
            return False
        items = list(approval.items)
        items[index] = replace(items[index], used=True)
        self._items[approval_id] = replace(approval, items=tuple(items))
        return True

    async def pending(self, viewer: str = OPERATOR) -> list[Approval]:
        now = self.clock()
        return [a for a in self._items.values() if a.status == "pending" and not a.expired(now) and a.seen_by(viewer)]

    async def recall(self, key: str) -> str | None:
        return self._kept.get(key)

    async def keep(self, key: str, value: str) -> None:
        """The newest MAX_KEPT keys are kept; the oldest go first."""
        self._kept.pop(key, None)
        self._kept[key] = value
        while len(self._kept) > MAX_KEPT:
            del self._kept[next(iter(self._kept))]

    async def wait(self, approval_id: str, timeout_s: float) -> Approval | None:
        """The approval once decided, or as it is after `timeout_s` (in-process only: others poll)."""
        approval = self._items.get(approval_id)
        if approval is not None and approval.status == "pending":
            event = self._changed.setdefault(approval_id, anyio.Event())
            with anyio.move_on_after(timeout_s):
                await event.wait()
        return self._items.get(approval_id)


@dataclass(frozen=True)
class Redeemed:
    """What an approval id means for one call: go (approved, now used), or wait, or stop."""

    status: Literal["approved", "pending", "denied"]
    approval: Approval


def pasteable_token(nbytes: int) -> str:
    """`secrets.token_urlsafe(nbytes)` that never opens with "-": a person pastes it into a command
    line (`instantly-mcp approvals approve ID`, `--approver-token TOKEN`), where a leading dash reads
    as an option (1 token in 64)."""
    while True:
        candidate = secrets.token_urlsafe(nbytes)
        if not candidate.startswith("-"):
            return candidate


@dataclass
class ApprovalDesk:
    """Opens approvals, builds their URLs and redeems them for exactly the calls they cover."""

    store: ApprovalStore
    base_url: str | None = None  # set once the pages are served (stdio learns its port late)
    clock: Callable[[], float] = time.time
    ttl_s: int = APPROVAL_TTL_S

    def url(self, approval: Approval) -> str:
        return f"{(self.base_url or '').rstrip('/')}/approvals/{approval.id}"

    async def open(self, items: Sequence[ApprovalItem], fingerprint: str, tenant: str) -> Approval:
        now = self.clock()
        approval = Approval(
            id=pasteable_token(24),
            items=tuple(items),
            fingerprint=fingerprint,
            tenant=tenant,
            created=now,
            expires=now + self.ttl_s,
            owner=tenant,  # the caller's principal (transport/auth.principal_of)
        )
        await self.store.add(approval)
        return approval

    async def redeem(
        self, approval_id: str, tool: str, arguments: Mapping[str, Any], fingerprint: str, tenant: str
    ) -> Redeemed:
        """Raises ApprovalRefused unless the id covers this very call, unused and unexpired."""
        approval = await self.store.get(approval_id) if isinstance(approval_id, str) else None
        if approval is None:
            raise ApprovalRefused("this server knows no such approval (it may have been forged, mistyped or dropped)")
        digest = call_digest(tool, arguments)
        index = next((i for i, item in enumerate(approval.items) if item.digest == digest), None)
        if index is None or approval.fingerprint != fingerprint or approval.tenant != tenant:
            raise ApprovalRefused(
                "it was given for a different call: the arguments, the tool, the API key or the tenant differ"
            )
        now = self.clock()
        if approval.expired(now):
            raise ApprovalRefused(
                f"it expired {int(now - approval.expires)} s ago (approvals last {self.ttl_s // 60} minutes)"
            )
        if approval.items[index].used:
            raise ApprovalRefused("it was already used; one approval covers each call once")
        if approval.status != "approved":
            return Redeemed(approval.status, approval)
        if not await self.store.use(approval_id, index):
            raise ApprovalRefused("it was already used; one approval covers each call once")
        return Redeemed("approved", approval)

    async def wait(self, approval: Approval, timeout_s: float) -> Approval:
        """Until the person decides or `timeout_s` passes; any store works (polled unless it can wait)."""
        waiter = getattr(self.store, "wait", None)
        if waiter is not None:
            return await waiter(approval.id, timeout_s) or approval
        with anyio.move_on_after(timeout_s):
            while approval.status == "pending":
                await anyio.sleep(0.5)
                approval = await self.store.get(approval.id) or approval
        return approval
