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


def _pattern_in_play(extra: Iterable[str | None]) -> re.Pattern[str] | None:
    """One compiled pattern per set of secrets in play, looked up rather than rebuilt on every text."""
    added = tuple(s for s in extra if s and len(s) >= MIN_SECRET_CHARS)
    return _pattern_of(_process, _call.get() + added)


@lru_cache(maxsize=256)
def _pattern_of(process: tuple[str, ...], call: tuple[str, ...]) -> re.Pattern[str] | None:
    return _pattern(tuple(sorted({*process, *call})))


@lru_cache(maxsize=256)
def _pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    if not secrets:
        return None
    longest_first = sorted(secrets, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in longest_first), re.IGNORECASE)


def scrub_text(text: str, extra: Iterable[str | None] = (), mask: str = REDACTED) -> str:
    pattern = _pattern_in_play(extra)
    return pattern.sub(mask, text) if pattern is not None else text


def scrub(value: Any, extra: Iterable[str | None] = (), mask: str = REDACTED) -> Any:
    """A copy of `value` with every secret cut out of its strings, dict keys included."""
    pattern = _pattern_in_play(extra)
    return value if pattern is None else _scrub(value, pattern, mask)


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
