"""Sentences that change an answer: a unit, a time zone or date reading, a default, a limit, a side
effect, a required combination. Schema compaction (economy.py) may drop repetition, never one of
these; tests/test_schema_meaning.py checks that each survives in the served schema of its tool.

PATTERNS is the reviewed list: add to it when the spec states a new kind of such fact.
"""

from __future__ import annotations

import re

PATTERNS = (
    r"\bUTC\b",
    r"\bmidnight\b",
    r"\btime ?zone\b",
    r"\binterpreted as\b",
    r"\bdefaults? (?:to|is)\b",
    r"\bby default\b",
    r"\bdefault:",
    r"\(default\b",
    r"\bat most\b",
    r"\bat least\b",
    r"\bmaximum\b",
    r"\bminimum\b",
    r"\btriggers?\b",
    r"\bcannot be undone\b",
    r"\bpermanently\b",
    r"\bin cents\b",
    r"\bin (?:milli)?seconds\b",
    r"\bin (?:minutes|hours|days)\b",
    r"\brequired (?:if|when|unless|for)\b",
    r"\bmust be sent together\b",
)
MEANINGFUL = re.compile("|".join(PATTERNS), re.I)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")
_EXAMPLE_TAIL = re.compile(r"\s*(?:[\u2014\u2013-]\s*)?\(?\b(?:e\.g\.|for example|for instance).*$", re.I)
_DEFAULT_IF_OMITTED = re.compile(
    r"^(?:if not provided, (?:it will )?default to|defaults? to) (.+?)(?:,? (?:if|when) (?:omitted|not provided))?$",
    re.I,
)
_DEFAULT_IN_PARENTHESES = re.compile(r"\(default:? ([^)]+)\)", re.I)
_EXAMPLE = re.compile(r"^(?:example|for example|e\.g\.)\b", re.I)  # an illustration, not a fact
_RATIONALE = re.compile(r"\s+for backward compatibility$", re.I)
_UNIT_FIELD = re.compile(r"^the unit is determined by the (\w+) field \(defaults? to (\w+)\)$", re.I)
_SALIENT = re.compile(r"[a-z]+_[a-z_]+|\d[\d.,:-]*|date-only", re.I)


def first_sentence(text: str) -> str:
    return _SENTENCE.split(" ".join(text.split()), maxsplit=1)[0]


def sentences(text: str) -> list[str]:
    """The description's sentences that state such a fact, examples left out."""
    found = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        sentence = _EXAMPLE_TAIL.sub("", sentence).strip().rstrip(".").strip()
        if sentence and MEANINGFUL.search(sentence) and not _EXAMPLE.match(sentence):
            found.append(sentence)
    return found


def compact(sentence: str) -> str:
    """The sentence as the schema states it: "Defaults to 30 if omitted" -> "Default: 30"; "The unit
    is determined by the delay_unit field (defaults to days)" -> "Unit: delay_unit (default days)"."""
    sentence = _RATIONALE.sub("", sentence)
    unit = _UNIT_FIELD.match(sentence)
    if unit:
        return f"Unit: {unit.group(1)} (default {unit.group(2)})"
    match = _DEFAULT_IF_OMITTED.match(sentence) or _DEFAULT_IN_PARENTHESES.search(sentence)
    return f"Default: {match.group(1)}" if match else sentence


def salient(sentence: str) -> set[str]:
    """What must survive of the sentence: the words that make it a fact (the pattern's), its
    numbers and the field names it mentions, lower-cased."""
    words = {m.group(0).lower().split()[0].strip("(:") for m in MEANINGFUL.finditer(sentence)}
    words = {"default" if w.startswith("default") else w for w in words}
    return words | {m.group(0).lower().rstrip(".,:-") for m in _SALIENT.finditer(sentence)}


def survives(sentence: str, served: str) -> bool:
    served = served.lower()
    return all(word in served for word in salient(sentence))
