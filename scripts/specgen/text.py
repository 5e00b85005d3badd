"""Shortening the spec's prose to what an agent needs."""

from __future__ import annotations

import re

_SCOPES = re.compile(r"\s*Requires one of the following scopes:[^\n]*", re.I)
_MARKDOWN = re.compile(r"[`*]{1,2}|(?<![A-Za-z0-9])_{1,2}|_{1,2}(?![A-Za-z0-9])")  # not the _ inside snake_case names
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(])")


def strip_markdown(text: str) -> str:
    return _MARKDOWN.sub("", text)


def strip_scopes(text: str) -> str:
    return _SCOPES.sub("", text).strip()


def short_description(text: str, limit: int = 120) -> str:
    """The first sentence, without markdown, cut at a word boundary near `limit` characters."""
    text = _MARKDOWN.sub("", strip_scopes(text))
    text = " ".join(text.split())
    if not text:
        return ""
    first = _SENTENCE_END.split(text, maxsplit=1)[0].rstrip()
    if len(first) > limit:
        first = first[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return first.rstrip(".")


def camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)
