"""The operator's autonomy policy (--policy FILE): which calls run unattended, within which limits,
which ask a person and which are refused. Imported only when a policy is configured.

rules.py reads the file; decide.py rules on one call; counting.py says what a call puts out;
counters.py (and gates/redis_counters.py, with --redis-url) keeps the rolling windows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from instantly_mcp.catalog.operations import Operation
from instantly_mcp.gates.autonomy.counters import CounterStore, MemoryCounters
from instantly_mcp.gates.autonomy.decide import Autonomy, Ruling
from instantly_mcp.gates.autonomy.rules import PolicyFile, load_policy_file

__all__ = ["Autonomy", "PolicyFile", "Ruling", "load_autonomy", "load_policy_file"]


def load_autonomy(
    path: str, operations: Mapping[str, Operation], clock: Callable[[], float], redis_url: str | None
) -> Autonomy:
    """The policy file checked against the catalog: a rule naming no known tool or toolset is refused."""
    from instantly_mcp.catalog.effects import effects_of

    policy = load_policy_file(path)
    check_names(policy, operations)
    return Autonomy(policy, operations, counter_store(redis_url, clock), clock, effects_of)


def counter_store(redis_url: str | None, clock: Callable[[], float]) -> CounterStore:
    if not redis_url:
        return MemoryCounters(clock)
    from instantly_mcp.gates.redis_counters import RedisCounters
    from instantly_mcp.upstream.redis_conn import connect

    return RedisCounters(connect(redis_url))


def check_names(policy: PolicyFile, operations: Mapping[str, Operation]) -> None:
    """A misspelt tool or toolset would silently match nothing; say so at start-up instead."""
    from fnmatch import fnmatchcase

    from instantly_mcp.errors import ConfigError

    toolsets = {op.toolset for op in operations.values()}
    for rule in policy.rules:
        for pattern in rule.tools:
            if not any(fnmatchcase(name, pattern) for name in operations):
                raise ConfigError(f"{policy.path}, line {rule.line}: rule {rule.name!r}: no tool matches {pattern!r}")
        unknown = [t for t in rule.toolsets if t not in toolsets]
        if unknown:
            raise ConfigError(
                f"{policy.path}, line {rule.line}: rule {rule.name!r}: unknown toolsets {', '.join(unknown)}; "
                f"toolsets are {', '.join(sorted(toolsets))}"
            )
    for pattern in policy.hard_block:
        if not any(fnmatchcase(name, pattern) for name in operations):
            raise ConfigError(f"{policy.path}: hard_block: no tool matches {pattern!r}")
