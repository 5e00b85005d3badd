"""The effects table (tool_specs/effects.toml): what each write tool can cause, and when it asks a person.

Read once, on first use (one small TOML file), into plain rows; gates/effects_gate.py decides per call
from them. A table that names an unknown effect or gate, or a trigger without a test, stops the load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from instantly_mcp.catalog.paths import tool_specs_dir

Effect = Literal["emails_people", "runs_agent", "grants_access", "sends_data_out", "spends_credits", "deletes"]
EFFECTS: tuple[Effect, ...] = get_args(Effect)
Gate = Literal["runs", "asks", "asks_when_live"]
GATES: tuple[Gate, ...] = get_args(Gate)
# Draft, paused and completed send nothing; any other status of a campaign or subsequence may.
IDLE_STATUSES = frozenset({0, 2, 3})
TESTS = ("equals", "present", "outside_url", "lookup", "subsequence")


@dataclass(frozen=True)
class Trigger:
    """One way an `asks_when_live` call takes effect: `argument` passes one test (see effects.toml)."""

    argument: str
    equals: tuple[Any, ...] = ()
    absent: bool = False
    present: bool = False
    outside_url: bool = False
    lookup: str | None = None
    target: str | None = None
    active: frozenset[int] | None = None
    subsequence: bool = False
    campaign: str | None = None
    lead: str | None = None

    @property
    def target_argument(self) -> str:
        return self.target or self.argument

    def is_live(self, status: Any) -> bool:
        """A looked-up status that counts as live; one that is not a number cannot be known, so it counts."""
        if isinstance(status, bool) or not isinstance(status, (int, float)):
            return True
        if self.active is not None:
            return int(status) in self.active
        return int(status) not in IDLE_STATUSES

    def describe(self) -> str:
        """The trigger as the README names it."""
        if self.equals:
            shown = " or ".join(f"{self.argument}={_literal(v)}" for v in self.equals)
            return shown + (f" (or no {self.argument})" if self.absent else "")
        if self.present:
            return f"any {self.argument}"
        if self.outside_url:
            return f"{self.argument} with a URL outside Instantly"
        if self.subsequence:
            return f"{self.argument} that a running subsequence's conditions.crm_status match (lookup)"
        active = "status " + "/".join(str(s) for s in sorted(self.active)) if self.active else "live"
        subject = self.argument if self.target is None else f"{self.argument}, while {self.target}"
        return f"{subject} is {active} by {self.lookup}"


@dataclass(frozen=True)
class EffectRow:
    tool: str
    effects: frozenset[Effect]
    gate: Gate
    why: str
    arguments: tuple[str, ...] = ()
    when: tuple[Trigger, ...] = ()

    def conditions(self) -> str:
        """The triggers in words: "status=1; or automations with a URL outside Instantly"."""
        return "; or ".join(trigger.describe() for trigger in self.when)


def effects_of(tool: str) -> frozenset[Effect]:
    """Every effect the tool can have (empty for reads and for writes that stay in the workspace)."""
    row = load_effects().get(tool)
    return row.effects if row is not None else frozenset()


def row_of(tool: str) -> EffectRow | None:
    return load_effects().get(tool)


def gate_of(tool: str) -> Gate:
    """How the tool is gated; reads (no row) run."""
    row = load_effects().get(tool)
    return row.gate if row is not None else "runs"


def when_it_asks(tool: str) -> str:
    row = load_effects().get(tool)
    return row.conditions() if row is not None else ""


@cache
def load_effects(path: Path | None = None) -> dict[str, EffectRow]:
    table = tomllib.loads((path or tool_specs_dir() / "effects.toml").read_text())
    return {tool: _row(tool, data) for tool, data in table.items()}


def _row(tool: str, data: dict[str, Any]) -> EffectRow:
    effects = data.get("effects", [])
    unknown = [e for e in effects if e not in EFFECTS]
    if unknown or data.get("gate") not in GATES or not data.get("why"):
        raise ValueError(
            f"tool_specs/effects.toml [{tool}]: needs effects from {', '.join(EFFECTS)}, "
            f"gate one of {', '.join(GATES)} and a why (unknown: {unknown or data.get('gate')!r})"
        )
    when = tuple(_trigger(tool, t) for t in data.get("when", []))
    return EffectRow(tool, frozenset(effects), data["gate"], data["why"], tuple(data.get("arguments", ())), when)


def _trigger(tool: str, data: dict[str, Any]) -> Trigger:
    if "argument" not in data or sum(bool(data.get(test)) for test in TESTS) != 1:
        raise ValueError(f"tool_specs/effects.toml [{tool}]: each trigger names an argument and one of {TESTS}")
    fields = {**data, "equals": tuple(data.get("equals", ()))}
    if "active" in data:
        fields["active"] = frozenset(data["active"])
    return Trigger(**fields)


def _literal(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
