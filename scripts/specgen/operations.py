"""Per-operation metadata: tool name, risk class, scopes, toolset, pagination, rate limits."""

from __future__ import annotations

import re
from typing import Any

from .economy import restates
from .spec import SpecOperation
from .text import short_description, strip_markdown, strip_scopes

_ARTICLES = {"a", "an", "the"}
_VERBS = {"patch": "update", "retrieve": "get", "fetch": "get", "stop": "pause"}
_READ_VERBS = {"list", "get", "count", "preview", "retrieve", "check", "search", "generate", "facet"}
_UNCOUNTABLE = ("analytics", "status", "details", "data", "stats", "settings", "info", "summary")


def pluralize(word: str) -> str:
    if word.endswith(_UNCOUNTABLE) or word.endswith("s"):
        return word
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh")):
        return word + "es"
    return word + "s"


def tool_name(summary: str) -> str:
    """`verb_resource` from the summary, never from the operationId (which has typos)."""
    text = re.sub(r"\([^)]*\)", "", summary.lower())
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w and w not in _ARTICLES]
    verb, rest = words[0], words[1:]
    verb = _VERBS.get(verb, verb)
    if verb == "bulk" and rest:
        verb, rest = f"bulk_{_VERBS.get(rest[0], rest[0])}", rest[1:]
    if verb == "list" and rest:
        rest[-1] = pluralize(rest[-1])
    return "_".join([verb, *rest])


_ACRONYMS = {"ai": "AI", "csv": "CSV", "dfy": "DFY", "esp": "ESP", "api": "API", "oauth": "OAuth", "json": "JSON"}


def title(name: str) -> str:
    """A human title from the tool name, so the two always agree."""
    words = [_ACRONYMS.get(w, w) for w in name.split("_")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


SCOPE_SENTENCE = re.compile(r"Requires one of the following scopes:\s*(.+)", re.I)


def parse_scopes(description: str) -> list[str]:
    match = SCOPE_SENTENCE.search(description or "")
    if not match:
        return []
    scopes: list[str] = []
    for scope in re.findall(r"`([^`]+)`", match.group(1)):
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def infer_scopes(resource: str, action: str) -> list[str]:
    return [f"{resource}:{action}", f"{resource}:all", f"all:{action}", "all:all"]


def default_risk(op: SpecOperation, name: str) -> str:
    if op.method == "get":
        return "read"
    if op.method == "delete":
        return "destructive"
    if op.method == "post" and name.split("_", 1)[0] in _READ_VERBS:
        return "read"
    return "write"


def default_action(op: SpecOperation, risk: str) -> str:
    if risk == "read":
        return "read"
    return {"post": "create", "delete": "delete"}.get(op.method, "update")


def pagination(op: SpecOperation, response_schema: dict[str, Any] | None) -> str | None:
    query = {p["name"] for p in op.query_params}
    body = set((op.body_schema or {}).get("properties", {}))
    returns_cursor = bool(response_schema and "next_starting_after" in (response_schema.get("properties") or {}))
    if "starting_after" in query and returns_cursor:
        return "cursor"
    if "starting_after" in body and returns_cursor:
        return "cursor_body"
    if {"skip", "offset"} & query:
        return "offset"
    return None


_RATE = re.compile(r"(\d[\d,]*)\s+requests?\s+per\s+(second|minute|hour|day|30 days)(?!\s+per\s+IP)", re.I)
_PERIODS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "30 days": 30 * 86400}


def rate_limits(description: str) -> list[dict[str, int]]:
    """Per-endpoint limits stated in prose ("20 requests per minute"), per-IP limits excluded."""
    limits: list[dict[str, int]] = []
    for count, period in _RATE.findall(description or ""):
        limit = {"requests": int(count.replace(",", "")), "period_s": _PERIODS[period.lower()]}
        if limit not in limits:
            limits.append(limit)
    return limits


_HTML = re.compile(r"<[^>]+>")
# Sentences about the HTTP mechanics rather than what the tool does (rate limits are kept by the
# server itself, and the POST-for-a-read deviation is the API's business, not the agent's).
_MECHANICS = re.compile(r"^(rate limit\b|this endpoint is a post endpoint|note:)", re.I)
_PREAMBLE = re.compile(r"^this endpoint (?:will |allows you to |lets you |can be used to )?", re.I)


def describe(op: SpecOperation, summary: str, name: str, limit: int = 160) -> str:
    """Purpose in one or two short sentences. Where the spec's words only restate the tool name,
    the title stands in (every tool needs a description: MCP conformance checks it)."""
    prose = strip_markdown(_HTML.sub(". ", strip_scopes(op.raw.get("description") or "")))
    sentences = [
        s for s in re.split(r"(?<=[.!?])\s+", " ".join(prose.split())) if s.strip(". ") and not _MECHANICS.match(s)
    ]
    text = short_description(_PREAMBLE.sub("", " ".join(sentences)), limit)
    text = text[:1].upper() + text[1:]
    if not text or text.lower().rstrip(".") == summary.lower().rstrip("."):
        text = re.sub(r"\s*\([^)]*\)", "", summary)
    text = re.sub(r"^Patch\b", "Update", text).rstrip(".")
    if restates(text, "", name):
        return title(name) + "."
    return text if text.endswith("…") else text + "."
