"""/metrics series of the autonomy policy, labelled by rule name and counter only (never a value
from a call), registered when a policy is loaded."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from prometheus_client import Counter

from instantly_mcp.metrics import REGISTRY

if TYPE_CHECKING:
    from instantly_mcp.gates.autonomy.decide import Ruling

log = logging.getLogger(__name__)

DECISIONS = Counter(
    "instantly_mcp_policy_decisions",
    "Autonomy policy decisions by rule and decision (allow, ask, deny)",
    ["rule", "decision"],
    registry=REGISTRY,
)
COUNTED = Counter(
    "instantly_mcp_policy_counted",
    "Amounts counted against the autonomy policy's limits, by rule and counter",
    ["rule", "counter"],
    registry=REGISTRY,
)


def decided(ruling: Ruling) -> None:
    DECISIONS.labels(ruling.rule, ruling.verdict).inc()
    if ruling.verdict == "allow":
        counted(ruling)


def counted(ruling: Ruling) -> None:
    for counter, amount in ruling.amounts.items():
        COUNTED.labels(ruling.rule, counter).inc(amount)


def uncounted(ruling: Ruling) -> None:
    log.error(
        "instantly-mcp: an approved call under policy rule %s could not be counted: Redis is unreachable", ruling.rule
    )
