"""Rolling-window counters of what allowed calls put out, per workspace.

A store checks every window of every counter a call takes and records the call in all of them in
one step (`take`), so two calls racing for the last of a budget cannot both pass. In this process
by default; gates/redis_counters.py keeps them in Redis for replicas that share a budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

from instantly_mcp.gates.autonomy.rules import WINDOWS

Mode = Literal["check", "force", "peek"]  # record if every window has room / record anyway / never record
MAX_KEYS = 10_000  # workspaces x counters held before expired ones are swept (made-up tenant keys)


@dataclass(frozen=True)
class Want:
    """What one call takes of one counter, and that counter's windows: (seconds, at most)."""

    counter: str
    amount: int
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Over:
    counter: str
    window_s: int
    used: int
    limit: int


@dataclass(frozen=True)
class Taken:
    """`used`: (counter, window seconds) -> the amount counted before this call; `over`: the first
    window this call would pass (then nothing was recorded, unless forced)."""

    used: dict[tuple[str, int], int] = field(default_factory=dict)
    over: Over | None = None


class CounterStore(Protocol):
    shared: bool

    async def take(self, workspace: str, wants: Sequence[Want], mode: Mode = "check") -> Taken: ...


def judge(wants: Sequence[Want], totals: Callable[[Want, int], int]) -> Taken:
    """The windows' totals and the first one the call would pass: one rule for every store."""
    used: dict[tuple[str, int], int] = {}
    over: Over | None = None
    for want in wants:
        for window_s, limit in want.windows:
            total = totals(want, window_s)
            used[(want.counter, window_s)] = total
            if over is None and total + want.amount > limit:
                over = Over(want.counter, window_s, total, limit)
    return Taken(used, over)


class MemoryCounters:
    """Counters of this process only: replicas and workers each count their own calls."""

    shared = False

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._entries: dict[tuple[str, str], list[tuple[float, int]]] = {}

    async def take(self, workspace: str, wants: Sequence[Want], mode: Mode = "check") -> Taken:
        """No await inside: atomic on the event loop."""
        now = self.clock()
        if len(self._entries) > MAX_KEYS:
            self.sweep(now, max(WINDOWS.values()))
        for want in wants:
            longest = max((w for w, _ in want.windows), default=0)
            key = (workspace, want.counter)
            self._entries[key] = [(at, n) for at, n in self._entries.get(key, []) if at > now - longest]

        def totals(want: Want, window_s: int) -> int:
            return sum(n for at, n in self._entries[(workspace, want.counter)] if at > now - window_s)

        taken = judge(wants, totals)
        if mode == "force" or (mode == "check" and taken.over is None):
            for want in wants:
                if want.windows:
                    self._entries[(workspace, want.counter)].append((now, want.amount))
        return taken

    def sweep(self, now: float, longest: int) -> None:
        """Forget every counter with nothing inside the longest window, so keys that never come back
        do not hold memory."""
        for key, entries in list(self._entries.items()):
            if not any(at > now - longest for at, _ in entries):
                del self._entries[key]
