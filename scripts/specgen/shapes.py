"""One class per distinct shape: the spec repeats whole objects (a campaign schedule in six
operations, the lead finder's filters in seven), and each repeat would otherwise be a class of its own.

A class is written once its fields are known, so a parent sees its children's shapes, not their
names: two parents with equal children are equal too. Names are settled after every module is
written, because a shared class is named after all of its uses: a class used once keeps the name
it would have had alone; a shared one takes the shortest of its uses' paths below their tool
(CampaignScheduleSchedulesItemTiming), a tool's class after its fields (DeleteIdInput), and the
shortest full name of a use is the last resort.

An object the arguments of several modules contain lives in the shared module, which they import;
a tool class that tools of several modules take lives in shared_tools, which their first call
imports alone (get_lead's first call no longer imports all of lead.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import camel

SHARED = "shared"
SHARED_TOOLS = "shared_tools"
_TOKEN = re.compile(r"__shape\d+__")
_MAX_NAMED_FIELDS = 3
_MAX_NAME = 40
_WORD = re.compile(r"[A-Z][a-z0-9]*|[a-z0-9]+")


@dataclass(frozen=True)
class Use:
    """One place a shape occurs, with the name the class would have there alone."""

    module: str
    name: str
    path: str  # the name below its tool's class (CampaignSchedule); "" for the tool's class itself
    docstring: str | None


@dataclass
class Shape:
    token: str
    base: str
    lines: tuple[str, ...]
    fields: tuple[str, ...]
    uses: list[Use] = field(default_factory=list)
    name: str = ""
    home: str = ""

    def candidates(self) -> list[str]:
        """Names to try, best first; the last is one of its own uses' names, so never taken."""
        shortest = min(self.uses, key=lambda u: len(u.name)).name
        if len(self.uses) == 1:
            return [shortest]
        paths = sorted((u.path for u in self.uses if u.path), key=len)
        if paths:
            return [*[p for p in paths[:1] if p.isidentifier() and p[0].isupper()], shortest]
        return [*self._tool_names(), shortest]

    def _tool_names(self) -> list[str]:
        """For a class several tools take: its fields, after the verb they share (DeleteIdInput),
        or the noun of its shortest use (CampaignInput)."""
        verbs = {_WORD.findall(u.name)[0] for u in self.uses}
        fields = camel("_".join(self.fields)) or "NoArguments"
        named = [f"{verb}{fields}Input" for verb in verbs if len(verbs) == 1] + [f"{fields}Input"]
        named = [n for n in named if len(n) <= _MAX_NAME] if len(self.fields) <= _MAX_NAMED_FIELDS else []
        noun = "".join(_WORD.findall(min(self.uses, key=lambda u: len(u.name)).name)[1:])
        return [*named, noun]

    def docstring(self) -> str | None:
        """A docstring belongs to the class only when every use agrees (a tool's title, one tool)."""
        docstrings = {u.docstring for u in self.uses}
        return docstrings.pop() if len(docstrings) == 1 else None


class Shapes:
    """Every distinct class of a set of modules, with where each is used."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[object, ...], Shape] = {}
        self._by_token: dict[str, Shape] = {}
        self.all: list[Shape] = []

    def add(self, base: str, lines: list[str], fields: list[str], use: Use, *, own_class: bool = False) -> str:
        """The token that stands for this shape's class name until names are settled; with
        `own_class`, one that no other use shares (a union member, whose name agents see)."""
        key = (base, tuple(lines), use.docstring if base != "ToolInput" else None, use.name if own_class else None)
        shape = self._by_key.get(key)
        if shape is None:
            shape = Shape(f"__shape{len(self.all)}__", base, tuple(lines), tuple(fields))
            self._by_key[key] = self._by_token[shape.token] = shape
            self.all.append(shape)
        shape.uses.append(use)
        return shape.token

    def settle(self) -> None:
        """Give every shape its name and module (a class of one module stays there)."""
        taken = {s.uses[0].name for s in self.all if len(s.uses) == 1}
        for shape in self.all:
            modules = {u.module for u in shape.uses}
            shape.home = modules.pop() if len(modules) == 1 else SHARED_TOOLS if shape.base == "ToolInput" else SHARED
            if len(shape.uses) > 1:
                shape.name = next(n for n in shape.candidates() if n not in taken)
                taken.add(shape.name)
            else:
                shape.name = shape.uses[0].name

    def named(self, text: str) -> str:
        return _TOKEN.sub(lambda m: self._by_token[m.group(0)].name, text)

    def ref(self, token: str) -> tuple[str, str]:
        """(module, class name) of a token."""
        shape = self._by_token[token]
        return shape.home, shape.name

    def modules(self) -> list[str]:
        return sorted({s.home for s in self.all})

    def source(self, module: str) -> tuple[str, list[str]]:
        """The module's classes, and the shared names they use."""
        classes = [self._class_source(s) for s in self.all if s.home == module]
        body = "\n\n\n".join(classes)
        imported = sorted(
            {s.name for s in self.all if s.home == SHARED != module and re.search(rf"\b{s.token}\b", body)}
        )
        return self.named(body), imported

    def _class_source(self, shape: Shape) -> str:
        docstring = shape.docstring()
        lines = [f"class {shape.token}({shape.base}):"]
        if docstring:
            lines.append(f"    {docstring!r}")
        lines.extend(shape.lines)
        if len(lines) == 1:
            lines.append("    pass")
        return "\n".join(lines)
