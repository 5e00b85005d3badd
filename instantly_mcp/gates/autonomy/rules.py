"""The autonomy policy file (TOML): its model, and a parser whose errors name the line.

owner = "ops@example.com"          # who can change the policy (told to the agent on deny)
hard_block = ["create_api_key"]    # optional: replaces the default list below
[quiet_hours]                      # outbound calls ask a person in these hours
start = "18:00"
end = "08:00"
timezone = "America/New_York"
[limits.emails]                    # counted from what calls send, per workspace, whichever rule allows them
per_day = 1000
[[rule]]                           # the first rule that matches decides
name = "q3-leads"
tools = ["add_leads"]              # and/or toolsets, effects, risk; none: every tool
campaigns = ["Q3 *"]               # ids or name patterns; also not_campaigns, lead_lists, not_lead_lists
decision = "allow"                 # allow | ask | deny (+ reason = "...")
limits.leads_added = { per_day = 200 }   # these count only the calls this rule allows
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import time as day_time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from instantly_mcp.catalog.effects import EFFECTS
from instantly_mcp.errors import ConfigError

RuleDecision = Literal["allow", "ask", "deny"]
DECISIONS: tuple[RuleDecision, ...] = ("allow", "ask", "deny")
RISKS = ("read", "write", "destructive", "outbound", "privileged")
COUNTERS = ("leads_added", "emails", "campaigns_activated", "deletes")
WINDOWS = {"per_hour": 3_600, "per_day": 86_400, "per_week": 604_800}
WINDOW_WORDS = {3_600: "this hour", 86_400: "today", 604_800: "this week"}
DEFAULT_HARD_BLOCK = (
    "create_api_key",
    "create_workspace_member",
    "create_workspace_group_member",
    "create_webhook",
    "delete_campaign",
    "schedule_workspace_removal",
)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
TOP_KEYS = {"owner", "hard_block", "quiet_hours", "limits", "rule"}
RULE_KEYS = {
    "name",
    "decision",
    "reason",
    "tools",
    "toolsets",
    "effects",
    "risk",
    "campaigns",
    "not_campaigns",
    "lead_lists",
    "not_lead_lists",
    "limits",
}
QUIET_KEYS = {"start", "end", "timezone", "effects"}


@dataclass(frozen=True)
class Targets:
    """Where a rule applies: ids or case-insensitive name patterns ("Q3 *"); empty: anywhere."""

    only: tuple[str, ...] = ()
    never: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.only or self.never)

    def admits(self, target_id: str, name: str | None) -> bool:
        return (not self.only or matches(self.only, target_id, name)) and not matches(self.never, target_id, name)


def matches(patterns: tuple[str, ...], target_id: str, name: str | None) -> bool:
    lowered = (name or "").lower()
    return any(p == target_id or (name is not None and fnmatchcase(lowered, p.lower())) for p in patterns)


@dataclass(frozen=True)
class Limit:
    """One counter's caps: per call, and per rolling window (seconds -> at most)."""

    counter: str
    per_call: int | None = None
    windows: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Rule:
    name: str
    decision: RuleDecision
    line: int
    reason: str = ""
    tools: tuple[str, ...] = ()
    toolsets: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    risk: tuple[str, ...] = ()
    campaigns: Targets = Targets()
    lead_lists: Targets = Targets()
    limits: dict[str, Limit] = field(default_factory=dict)  # count only the calls this rule allows

    def covers(self, name: str, toolset: str, risk: str, effects: frozenset[str]) -> bool:
        """Matches the tool itself; the campaign and lead-list conditions are checked per call."""
        return (
            (not self.tools or any(fnmatchcase(name, pattern) for pattern in self.tools))
            and (not self.toolsets or toolset in self.toolsets)
            and (not self.risk or risk in self.risk)
            and (not self.effects or bool(effects.intersection(self.effects)))
        )


@dataclass(frozen=True)
class QuietHours:
    start: day_time
    end: day_time
    zone: ZoneInfo
    effects: tuple[str, ...] = ("emails_people",)

    def holds(self, now: float) -> bool:
        from datetime import datetime

        local = datetime.fromtimestamp(now, self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class PolicyFile:
    path: str
    rules: tuple[Rule, ...]
    limits: dict[str, Limit] = field(default_factory=dict)
    hard_block: tuple[str, ...] = DEFAULT_HARD_BLOCK
    quiet_hours: QuietHours | None = None
    owner: str = ""

    def hard_blocked(self, name: str) -> bool:
        return any(fnmatchcase(name, pattern) for pattern in self.hard_block)


class Lines:
    """Line numbers of the file's keys, for errors a TOML parser cannot place (it checks syntax only)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rules = [i + 1 for i, line in enumerate(self.lines) if line.strip().startswith("[[rule]]")]

    def of(self, key: str, rule: int | None = None, section: str | None = None) -> int:
        start, end = 0, len(self.lines)
        if rule is not None and rule < len(self.rules):
            start = self.rules[rule] - 1
            end = self.rules[rule + 1] - 1 if rule + 1 < len(self.rules) else end
        if section is not None:
            found = [i for i, line in enumerate(self.lines) if line.strip().startswith(f"[{section}")]
            start = found[0] if found else start
        pattern = re.compile(rf"^\s*(\[+\s*)?[\w.\"]*\b{re.escape(key)}\b")
        for index in range(start, end):
            if pattern.match(self.lines[index]):
                return index + 1
        return start + 1


def load_policy_file(path: str | Path) -> PolicyFile:
    """Read and check the whole file at start-up; ConfigError names the file, the line and the fix."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--policy {path}: cannot read it ({exc.strerror})") from None
    return parse_policy(text, str(path))


def parse_policy(text: str, path: str = "<policy>") -> PolicyFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return _Parser(path, Lines(text)).policy(data)


class _Parser:
    def __init__(self, path: str, lines: Lines) -> None:
        self.path = path
        self.lines = lines

    def fail(self, line: int, message: str) -> ConfigError:
        return ConfigError(f"{self.path}, line {line}: {message}")

    def policy(self, data: dict[str, Any]) -> PolicyFile:
        for key in data:
            if key not in TOP_KEYS:
                raise self.fail(
                    self.lines.of(key), f"unknown key {key!r}; expected one of {', '.join(sorted(TOP_KEYS))}"
                )
        rules = data.get("rule", [])
        if not isinstance(rules, list) or not rules:
            raise self.fail(1, 'no [[rule]] tables: add at least one, e.g. [[rule]] name = "reads" risk = ["read"]')
        parsed = tuple(self.rule(index, raw) for index, raw in enumerate(rules))
        names = [rule.name for rule in parsed]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise self.fail(parsed[index].line, f"rule name {name!r} is used twice; names label audit lines")
        owner = data.get("owner", "")
        if not isinstance(owner, str):
            raise self.fail(self.lines.of("owner"), 'owner must be a string, e.g. "ops@example.com"')
        return PolicyFile(
            path=self.path,
            rules=parsed,
            limits=self.limits(data.get("limits", {})),
            hard_block=self.names("hard_block", data.get("hard_block", list(DEFAULT_HARD_BLOCK)), None),
            quiet_hours=self.quiet(data["quiet_hours"]) if "quiet_hours" in data else None,
            owner=owner,
        )

    def rule(self, index: int, raw: Any) -> Rule:
        line = self.lines.rules[index] if index < len(self.lines.rules) else 1
        if not isinstance(raw, dict):
            raise self.fail(line, "each [[rule]] must be a table")
        for key in raw:
            if key not in RULE_KEYS:
                raise self.fail(
                    self.lines.of(key, index),
                    f"unknown rule key {key!r}; expected one of {', '.join(sorted(RULE_KEYS))}",
                )
        name = raw.get("name")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", name):
            raise self.fail(line, 'every rule needs name = "..." (letters, digits, - _ . ; at most 40)')
        decision = raw.get("decision")
        if decision not in DECISIONS:
            raise self.fail(
                self.lines.of("decision", index),
                f"rule {name!r}: decision must be allow, ask or deny, got {decision!r}",
            )
        reason = raw.get("reason", "")
        if not isinstance(reason, str):
            raise self.fail(self.lines.of("reason", index), f"rule {name!r}: reason must be a string")
        effects = self.names("effects", raw.get("effects", []), index)
        risk = self.names("risk", raw.get("risk", []), index)
        for key, values, allowed in (("effects", effects, EFFECTS), ("risk", risk, RISKS)):
            unknown = [v for v in values if v not in allowed]
            if unknown:
                raise self.fail(
                    self.lines.of(key, index),
                    f"rule {name!r}: unknown {key} {', '.join(unknown)}; use {', '.join(allowed)}",
                )
        return Rule(
            name=name,
            decision=cast(RuleDecision, decision),
            line=line,
            reason=reason,
            tools=self.names("tools", raw.get("tools", []), index),
            toolsets=self.names("toolsets", raw.get("toolsets", []), index),
            effects=effects,
            risk=risk,
            campaigns=Targets(
                self.names("campaigns", raw.get("campaigns", []), index),
                self.names("not_campaigns", raw.get("not_campaigns", []), index),
            ),
            lead_lists=Targets(
                self.names("lead_lists", raw.get("lead_lists", []), index),
                self.names("not_lead_lists", raw.get("not_lead_lists", []), index),
            ),
            limits=self.limits(raw.get("limits", {}), index),
        )

    def names(self, key: str, value: Any, rule: int | None) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
            raise self.fail(self.lines.of(key, rule), f'{key} must be a list of strings, e.g. {key} = ["..."]')
        return tuple(value)

    def limits(self, raw: Any, rule: int | None = None) -> dict[str, Limit]:
        if not isinstance(raw, dict):
            where = self.lines.of("limits", rule)
            raise self.fail(where, "limits must be a table: [limits.leads_added] per_day = 200")
        limits = {}
        for counter, caps in raw.items():
            line = self.lines.of(counter, rule, section=None if rule is not None else "limits")
            if counter not in COUNTERS:
                raise self.fail(line, f"unknown limit {counter!r}; counters are {', '.join(COUNTERS)}")
            if not isinstance(caps, dict) or not caps:
                raise self.fail(line, f"limits.{counter} must be a table, e.g. {{ per_call = 100, per_day = 200 }}")
            for key, value in caps.items():
                if key != "per_call" and key not in WINDOWS:
                    raise self.fail(line, f"limits.{counter}: unknown {key!r}; use per_call, {', '.join(WINDOWS)}")
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    raise self.fail(line, f"limits.{counter}.{key} must be a whole number >= 0, got {value!r}")
            windows = tuple((seconds, caps[key]) for key, seconds in WINDOWS.items() if key in caps)
            limits[counter] = Limit(counter, caps.get("per_call"), windows)
        return limits

    def quiet(self, raw: Any) -> QuietHours:
        line = self.lines.of("quiet_hours")
        if not isinstance(raw, dict):
            raise self.fail(line, "quiet_hours must be a table with start, end and timezone")
        for key in raw:
            if key not in QUIET_KEYS:
                raise self.fail(self.lines.of(key, section="quiet_hours"), f"quiet_hours: unknown key {key!r}")
        try:
            zone = ZoneInfo(str(raw.get("timezone", "")))
        except (ZoneInfoNotFoundError, ValueError):
            where = self.lines.of("timezone", section="quiet_hours")
            raise self.fail(
                where, f"quiet_hours.timezone {raw.get('timezone')!r} is not an IANA zone, e.g. America/New_York"
            ) from None
        effects = self.names("effects", raw.get("effects", ["emails_people"]), None)
        unknown = [e for e in effects if e not in EFFECTS]
        if unknown:
            raise self.fail(
                self.lines.of("effects", section="quiet_hours"), f"quiet_hours: unknown effects {', '.join(unknown)}"
            )
        return QuietHours(self.clock(raw, "start"), self.clock(raw, "end"), zone, effects)

    def clock(self, raw: dict[str, Any], key: str) -> day_time:
        value = raw.get(key)
        if isinstance(value, day_time):
            return value
        try:
            return day_time.fromisoformat(str(value))
        except ValueError:
            where = self.lines.of(key, section="quiet_hours")
            raise self.fail(where, f'quiet_hours.{key} must be a time of day like "18:00", got {value!r}') from None
