"""Secrets never leave the process: every outgoing text is scrubbed of every secret in play.

The secrets in play are the server's own (its API key, the bearer token, the confirmation secret),
registered once at start-up, plus the current call's (a tenant's key), set for the duration of
the call in a context variable that the tasks it starts inherit. Matching ignores case, since an
API may echo a key lower-cased, and always runs before any text is cut, so that a key straddling
the cut cannot leave its prefix behind.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 8  # shorter "secrets" would mask ordinary words, and no real key is that short

_process: tuple[str, ...] = ()
_call: ContextVar[tuple[str, ...]] = ContextVar("instantly_mcp_call_secrets", default=())


def register(*secrets: str | None) -> None:
    """Secrets of this process (server key, bearer token, confirmation secret): scrubbed everywhere."""
    global _process
    _process = tuple(sorted({*_process, *(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)}))


@contextmanager
def call_secrets(*secrets: str | None) -> Iterator[None]:
    """Secrets of one call (a tenant's key), scrubbed from what that call sends out."""
    extra = tuple(s for s in secrets if s and len(s) >= MIN_SECRET_CHARS)
    token = _call.set(_call.get() + extra)
    try:
        yield
    finally:
        _call.reset(token)


def in_play(extra: Iterable[str | None] = ()) -> tuple[str, ...]:
    wanted = {*_process, *_call.get(), *(s for s in extra if s and len(s) >= MIN_SECRET_CHARS)}
    return tuple(sorted(wanted))


@dataclass(frozen=True)
class _Secrets:
    """The secrets in play as one pattern and, when all are ASCII, lower-cased for a quick search."""

    pattern: re.Pattern[str]
    folded: tuple[str, ...] | None

    def found_in(self, text: str) -> bool:
        """Whether the pattern matches `text`. On ASCII text, lower() and `in` answer as IGNORECASE
        does for ASCII secrets, several times faster, so a clean text (nearly every one) is cheap."""
        if self.folded is not None and text.isascii():
            lowered = text.lower()
            return any(secret in lowered for secret in self.folded)
        return self.pattern.search(text) is not None

    def held_by(self, value: Any) -> bool:
        """Whether any string in `value` holds one: one walk, and one search of all the strings at
        once (joined by NUL, which no secret holds)."""
        return self.found_in("\0".join(_strings(value)))


def _in_play(extra: Iterable[str | None]) -> _Secrets | None:
    """One compiled pattern per set of secrets in play, looked up rather than rebuilt on every text."""
    added = tuple(s for s in extra if s and len(s) >= MIN_SECRET_CHARS)
    return _secrets_of(_process, _call.get() + added)


@lru_cache(maxsize=256)
def _secrets_of(process: tuple[str, ...], call: tuple[str, ...]) -> _Secrets | None:
    return _secrets(tuple(sorted({*process, *call})))


@lru_cache(maxsize=256)
def _secrets(secrets: tuple[str, ...]) -> _Secrets | None:
    if not secrets:
        return None
    longest_first = sorted(secrets, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(s) for s in longest_first), re.IGNORECASE)
    folded = tuple(s.lower() for s in secrets) if all(s.isascii() for s in secrets) else None
    return _Secrets(pattern, folded)


def scrub_text(text: str, extra: Iterable[str | None] = (), mask: str = REDACTED) -> str:
    secrets = _in_play(extra)
    return secrets.pattern.sub(mask, text) if secrets is not None and secrets.found_in(text) else text


def scrub(value: Any, extra: Iterable[str | None] = (), mask: str = REDACTED) -> Any:
    """A copy of `value` with every secret cut out of its strings, dict keys included; `value`
    itself when it holds none, so a clean value (nearly every one) is walked once and not copied."""
    secrets = _in_play(extra)
    return _scrub(value, secrets.pattern, mask) if secrets is not None and secrets.held_by(value) else value


def holds_secret(value: Any, extra: Iterable[str | None] = ()) -> bool:
    """Whether any string in `value` (dict keys included) holds a secret in play."""
    secrets = _in_play(extra)
    return secrets is not None and secrets.held_by(value)


def _strings(value: Any) -> list[str]:
    found: list[str] = []
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(k for k in item if isinstance(k, str))
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return found


def _scrub(value: Any, pattern: re.Pattern[str], mask: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(mask, value)
    if isinstance(value, dict):
        return {_scrub(k, pattern, mask): _scrub(v, pattern, mask) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(v, pattern, mask) for v in value]
    return value


def scrub_and_cut(text: str, limit: int, extra: Iterable[str | None] = ()) -> str:
    """Redact first, then cut: never the other way round."""
    clean = scrub_text(text, extra)
    return clean if len(clean) <= limit else clean[:limit] + "…"


def scrubbed_record(record: logging.LogRecord) -> logging.LogRecord:
    """The record with its message (and traceback) scrubbed, formatted once here."""
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # a bad format string is logging's to report, at emit time
        return record
    clean = scrub_text(message)
    if record.exc_info:
        clean += "\n" + scrub_text(logging.Formatter().formatException(record.exc_info))
        record.exc_info, record.exc_text = None, None
    if clean != message:
        record.msg, record.args = clean, None
    return record


def install_log_scrubber() -> None:
    """Every log record of the process, ours and our libraries' (stderr, uvicorn), is scrubbed when
    it is made: a logger filter would miss records of child loggers and of other packages."""
    make = logging.getLogRecordFactory()
    if getattr(make, "scrubs", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrubbed_record(make(*args, **kwargs))

    factory.scrubs = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)
