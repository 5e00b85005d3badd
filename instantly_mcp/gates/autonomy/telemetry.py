"""/metrics series of the autonomy policy, labelled by rule name and counter only (never a value
from a call), counted once /metrics is served (metrics.enable)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from instantly_mcp import metrics

if TYPE_CHECKING:
    from instantly_mcp.gates.autonomy.decide import Ruling

log = logging.getLogger(__name__)


def decided(ruling: Ruling) -> None:
    metrics.policy_decision(ruling.rule, ruling.verdict)
    if ruling.verdict == "allow":
        counted(ruling)


def counted(ruling: Ruling) -> None:
    for counter, amount in ruling.amounts.items():
        metrics.policy_counted(ruling.rule, counter, amount)


def uncounted(ruling: Ruling) -> None:
    log.error(
        "instantly-mcp: an approved call under policy rule %s could not be counted: Redis is unreachable", ruling.rule
    )
