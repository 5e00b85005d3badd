"""The HTTP client for Instantly API V2: URL joining, auth, client-side rate limits, safe retries, error mapping.

One InstantlyClient (one connection pool) serves the whole process; the API key may be given
per request so several workspaces can share it without sharing rate-limit budgets.
The key is sent only in the Authorization header and is scrubbed from every error text.
"""

from __future__ import annotations

import asyncio
import email.utils
import enum
import hashlib
import json
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

import httpx2

from instantly_mcp import __version__, metrics
from instantly_mcp.catalog.operations import Limit
from instantly_mcp.errors import ApiError, TransportError, UpstreamError
from instantly_mcp.redaction import scrub, scrub_and_cut
from instantly_mcp.tracing import span
from instantly_mcp.upstream.ratelimit import Admitted, Limiter, LimiterSource, RateLimiters

__all__ = [
    "DEFAULT_BASE_URL",
    "ApiError",
    "ApiRequest",
    "ApiResponse",
    "InstantlyClient",
    "Requester",
    "TransportError",
    "UpstreamError",
    "full_jitter",
    "key_fingerprint",
    "parse_retry_after",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.instantly.ai"
SPEC_PREFIX = "/api/v2"
USER_AGENT = f"instantly-mcp/{__version__}"
METHODS = frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"})
# Statuses after which the same request may well succeed: retried only when repeating it is safe.
RETRYABLE_STATUSES = frozenset({500, 502, 503, 504})
MAX_MESSAGE_CHARS = 1000
MAX_SUMMARY_SOURCE_CHARS = 64 * 1024

_NOTHING_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.ProxyError,
    httpx2.UnsupportedProtocol,
    httpx2.LocalProtocolError,
)
_TRANSIENT = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)
_TRANSPORT_PHRASES: dict[type[Exception], str] = {
    httpx2.ConnectTimeout: "timed out connecting to Instantly",
    httpx2.ConnectError: "could not connect to Instantly",
    httpx2.PoolTimeout: "timed out waiting for a free connection",
    httpx2.ReadTimeout: "timed out waiting for Instantly's answer",
    httpx2.WriteTimeout: "timed out sending the request",
    httpx2.RemoteProtocolError: "the connection closed before a complete answer",
    httpx2.ReadError: "the connection broke while reading the answer",
    httpx2.WriteError: "the connection broke while sending the request",
}


@dataclass(frozen=True)
class ApiRequest:
    """One Instantly operation with its parameters filled in.

    `path` is the spec path with path parameters substituted and percent-encoded. `endpoint`
    names the operation for per-endpoint rate limits (e.g. the path template); it defaults to
    "METHOD path".
    """

    method: str
    path: str
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    retry_safe: bool = False
    endpoint_limits: tuple[Limit, ...] = ()
    endpoint: str | None = None

    def __post_init__(self) -> None:
        method = self.method.upper()
        if method not in METHODS:
            raise ValueError(f"unsupported HTTP method {self.method!r}")
        object.__setattr__(self, "method", method)
        object.__setattr__(self, "endpoint_limits", tuple(self.endpoint_limits))
        if not self.path.startswith("/") or "?" in self.path or "#" in self.path:
            raise ValueError(f"path must be an absolute path without query or fragment, got {self.path!r}")
        if any(segment in (".", "..") for segment in self.path.split("/")):
            raise ValueError(
                f"path {self.path!r} has a literal '.' or '..' segment, which URL normalisation would remove "
                "(encode dots in path parameters as %2E)"
            )

    @property
    def limiter_endpoint(self) -> str:
        return self.endpoint or f"{self.method} {self.path}"


@dataclass(frozen=True)
class Attempt:
    """One HTTP exchange of a call, as it goes on the wire. The request's parts are made once per
    call; each attempt is a copy with its number and the time the call has left. `key` is kept to
    scrub it from error texts; `req` says the method, the endpoint and whether a repeat is safe."""

    req: ApiRequest
    url: str
    params: tuple[tuple[str, str], ...]
    headers: Mapping[str, str] = field(repr=False)  # the key is in Authorization: never in a repr
    content: bytes | None = field(repr=False)
    key: str = field(repr=False)
    number: int = 0
    remaining: float = 0.0

    @property
    def retry_safe(self) -> bool:
        return self.req.retry_safe


@dataclass(frozen=True)
class ApiResponse:
    status: int
    data: Any
    content_type: str
    attempts: int


class Requester(Protocol):
    """What a tool call needs of a client: send one request, with another tenant's key if given.
    InstantlyClient implements it, and so do the views the server puts over it for one call
    (upstream.tenancy.KeyedClient, transport.progress.TrackedClient)."""

    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse: ...


class ConnectionShares:
    """At most `per_key` requests of one key on the wire at once, so no tenant (a script's
    `asyncio.gather` included) holds the whole pool; a key's entry goes when it holds none."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self._keys: dict[str, tuple[asyncio.Semaphore, list[int]]] = {}

    @asynccontextmanager
    async def held(self, fingerprint: str) -> AsyncIterator[None]:
        semaphore, users = self._keys.setdefault(fingerprint, (asyncio.Semaphore(self.per_key), [0]))
        users[0] += 1
        try:
            async with semaphore:
                yield
        finally:
            users[0] -= 1
            if not users[0]:
                del self._keys[fingerprint]


class AnsweredKeys:
    """Fingerprints of the keys Instantly answered as valid, the most recent `limit` of them: a key
    never seen here may be made up (any header-safe string is a tenant key), so its sessions go first."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._seen: dict[str, None] = {}

    def add(self, fingerprint: str) -> None:
        self._seen.pop(fingerprint, None)
        self._seen[fingerprint] = None
        if len(self._seen) > self.limit:
            del self._seen[next(iter(self._seen))]

    def __contains__(self, fingerprint: object) -> bool:
        return fingerprint in self._seen


@lru_cache(maxsize=1024)
def key_fingerprint(api_key: str) -> str:
    """A stable, non-reversible id for a key: for rate-limit buckets and logs, never the key itself.
    Kept for the keys in use, since every request needs its key's."""
    return hashlib.sha256(api_key.encode()).hexdigest()[:16]


def full_jitter(retry: int, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Backoff before retry number `retry` (1-based): uniform in [0, min(cap, base * 2**(retry-1))].

    Full jitter spreads the retries of many clients hit by the same outage.
    """
    return rng() * min(cap, base * 2.0 ** min(retry - 1, 64))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class InstantlyClient:
    """Sends ApiRequests to Instantly, retrying only where a repeat cannot change the outcome.

    Retried: 429 and failures to connect (nothing was processed) for every request; 500/502/503/504,
    timeouts, broken connections and unreadable answers only for `retry_safe` requests, because
    Instantly may already have acted on the first attempt. Backoff is capped exponential with full
    jitter, at least the Retry-After. The whole call, rate-limit waits, attempts and backoff
    included, ends within `deadline_s`.

    `in_flight` counts the HTTP attempts under way; a cancelled call gives its connection back.
    """

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None,
        transport: httpx2.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        deadline_s: float = 60.0,
        limiters: LimiterSource | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
        max_connections: int = 50,
    ) -> None:
        self._origin, self._base_path = _split_base_url(base_url)
        self._api_key = _checked_key(api_key) if api_key is not None else None
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._deadline_s = deadline_s
        self._limiters: LimiterSource = limiters if limiters is not None else RateLimiters()
        self._sleep = sleep
        self._clock = clock
        self._rng = rng
        self.in_flight = 0
        self.answered: AnsweredKeys | None = None  # multi-tenant: the keys Instantly has accepted
        self.shares: ConnectionShares | None = None  # multi-tenant: each key's share of the pool
        self._http = httpx2.AsyncClient(
            transport=transport,
            timeout=httpx2.Timeout(timeout, connect=10.0),
            limits=httpx2.Limits(
                max_connections=max_connections,
                max_keepalive_connections=min(20, max_connections),
                keepalive_expiry=5.0,
            ),
            headers={"Accept": "application/json, text/csv", "User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        key = key_fingerprint(self._api_key) if self._api_key else None
        return f"InstantlyClient(base_url={self._origin + self._base_path!r}, key_fingerprint={key!r})"

    async def __aenter__(self) -> InstantlyClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    def url_for(self, path: str) -> str:
        """The absolute URL of a spec path, without doubling /api/v2 when the base already ends in it."""
        base = self._base_path
        if base.endswith(SPEC_PREFIX) and (path == SPEC_PREFIX or path.startswith(SPEC_PREFIX + "/")):
            base = base[: -len(SPEC_PREFIX)]
        return self._origin + base + path

    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse:
        """Send `req` (with `api_key`, else the client's key); raises ApiError or TransportError."""
        try:
            key = _checked_key(api_key) if api_key is not None else self._api_key
        except ValueError as exc:
            raise ApiError(401, "Unauthorized", str(exc), attempts=0, retry_safe=req.retry_safe) from None
        if key is None:
            raise ApiError(
                401,
                "Unauthorized",
                "no Instantly API key configured: set INSTANTLY_API_KEY or pass a key with the request",
                attempts=0,
                retry_safe=req.retry_safe,
            )
        fingerprint = key_fingerprint(key)
        limiter = self._limiters.for_key(fingerprint)
        wire = self._wire(req, key)
        started = self._clock()
        last_failure: UpstreamError | None = None
        attempt = 0
        while True:
            attempt += 1
            remaining = self._deadline_s - (self._clock() - started)
            slot = await self._acquire(limiter, req, remaining, last_failure, attempts=attempt - 1)
            this = replace(wire, number=attempt, remaining=self._deadline_s - (self._clock() - started))
            try:
                if self.shares is None:
                    response = await self._attempt(this)
                else:
                    async with self.shares.held(fingerprint):
                        response = await self._attempt(this)
                if self.answered is not None:
                    self.answered.add(fingerprint)
                return response
            except UpstreamError as failure:
                last_failure = failure
                _note_rate_limited(limiter, req, failure)
                if self.answered is not None and isinstance(failure, ApiError) and failure.status != 401:
                    self.answered.add(fingerprint)
            finally:
                slot.release()
            if attempt > self._max_retries or not _should_retry(last_failure, req):
                raise last_failure
            delay = max(
                _retry_after(last_failure), full_jitter(attempt, self._backoff_base, self._backoff_cap, self._rng)
            )
            operation = _operation(req)
            if self._clock() - started + delay > self._deadline_s:
                log.warning(
                    "%s: %s; not retrying, waiting %.2f s would pass the %g s deadline (key %s)",
                    operation,
                    last_failure,
                    delay,
                    self._deadline_s,
                    fingerprint,
                )
                raise last_failure
            log.warning(
                "%s: %s; retry %d/%d in %.2f s (key %s)",
                operation,
                last_failure,
                attempt,
                self._max_retries,
                delay,
                fingerprint,
            )
            metrics.retried(operation)
            await self._sleep(delay)

    def _wire(self, req: ApiRequest, key: str) -> Attempt:
        """The request's URL, query pairs, headers and body, made once for all its attempts."""
        headers = {"Authorization": f"Bearer {key}"}
        content = None
        if req.body is not None:
            content = json.dumps(req.body, separators=(",", ":"), ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        return Attempt(req, self.url_for(req.path), tuple(encode_query(req.query)), headers, content, key)

    async def _acquire(
        self, limiter: Limiter, req: ApiRequest, remaining: float, last_failure: UpstreamError | None, attempts: int
    ) -> Admitted:
        """Take a rate-limit slot, giving up (with the last error, or a local 429) when the deadline comes first."""
        waited_from = time.monotonic()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                slot = await limiter.acquire(req.limiter_endpoint, req.endpoint_limits, within_s=remaining)
            metrics.limiter_waited(time.monotonic() - waited_from)
            return slot
        except TimeoutError:
            metrics.limiter_refused(_operation(req))
            if last_failure is not None:
                raise last_failure from None
            raise ApiError(
                429,
                "Too Many Requests",
                f"client-side rate limit for {req.limiter_endpoint}: no free slot within {self._deadline_s:g} s",
                retry_after=limiter.wait_estimate(req.limiter_endpoint, req.endpoint_limits),
                attempts=attempts,
                retry_safe=req.retry_safe,
            ) from None

    async def _attempt(self, attempt: Attempt) -> ApiResponse:
        """One HTTP exchange, timed and counted by operation and status (0: no answer)."""
        operation = _operation(attempt.req)
        status = 0
        started = time.monotonic()
        with span("instantly.request", operation=operation, method=attempt.req.method) as current:
            try:
                response = await self._exchange(attempt)
                status = response.status
                return response
            except ApiError as exc:
                status = exc.status
                raise
            finally:
                current.set_attribute("http.status_code", status)
                metrics.upstream_request(operation, status, time.monotonic() - started)

    async def _exchange(self, attempt: Attempt) -> ApiResponse:
        """One HTTP exchange, cut short when the call's deadline comes; every failure becomes ApiError
        or TransportError."""
        number, key = attempt.number, attempt.key

        def failed(reason: str, *, transient: bool = True) -> TransportError:
            return TransportError(
                reason, may_have_been_sent=True, transient=transient, attempts=number, retry_safe=attempt.retry_safe
            )

        self.in_flight += 1
        try:
            async with asyncio.timeout(max(attempt.remaining, 0.0)):
                response = await self._http.request(
                    attempt.req.method,
                    attempt.url,
                    params=attempt.params,
                    headers=attempt.headers,
                    content=attempt.content,
                )
        except TimeoutError:
            raise failed(f"no answer within the {self._deadline_s:g} s deadline for the whole call") from None
        except httpx2.HTTPError as exc:
            raise _transport_error(exc, key, attempts=number, retry_safe=attempt.retry_safe) from None
        except Exception as exc:  # a bug below us must end as an error result, not a crashed call
            log.exception("%s: unexpected %s from the HTTP stack", _operation(attempt.req), type(exc).__name__)
            raise failed(f"unexpected error in the HTTP client ({type(exc).__name__})", transient=False) from None
        finally:
            self.in_flight -= 1
        content_type = response.headers.get("content-type", "")
        if not response.is_success:
            raise _api_error(response, key, attempts=number, retry_safe=attempt.retry_safe)
        if _media_type(content_type) == "text/html":
            page = scrub_and_cut(_text_summary(response.text), 200, (key,))
            raise failed(f"Instantly answered HTTP {response.status_code} with an HTML page instead of JSON ({page})")
        try:
            data = _success_data(response)
        except ValueError:
            raise failed(f"Instantly answered HTTP {response.status_code} with malformed JSON") from None
        return ApiResponse(status=response.status_code, data=data, content_type=content_type, attempts=number)


def encode_query(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs as Instantly reads them: lists repeat the name, bools are true/false, None is left out."""
    return [
        (name, _query_value(item))
        for name, value in query.items()
        for item in (value if isinstance(value, (list, tuple)) else (value,))
        if item is not None
    ]


def _query_value(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _operation(req: ApiRequest) -> str:
    return metrics.operation_label(req.endpoint, req.method)


def _note_rate_limited(limiter: Limiter, req: ApiRequest, failure: UpstreamError) -> None:
    """Count a 429 and hold the workspace's other requests back for its Retry-After (every replica, when shared)."""
    if isinstance(failure, ApiError) and failure.status == 429 and failure.attempts > 0:
        metrics.rate_limited(_operation(req))
        if failure.retry_after:
            limiter.hold_off(failure.retry_after)


def _should_retry(failure: UpstreamError, req: ApiRequest) -> bool:
    if isinstance(failure, ApiError):
        return failure.status == 429 or (failure.status in RETRYABLE_STATUSES and req.retry_safe)
    if isinstance(failure, TransportError):
        return failure.transient and (req.retry_safe or not failure.may_have_been_sent)
    return False


def _retry_after(failure: UpstreamError) -> float:
    return (failure.retry_after or 0.0) if isinstance(failure, ApiError) else 0.0


def _split_base_url(base_url: str) -> tuple[str, str]:
    """(scheme://host[:port], path prefix without trailing slash) of a base URL."""
    url = httpx2.URL(base_url)
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"base_url must be an http(s) URL, got {base_url!r}")
    if url.query or url.fragment:
        raise ValueError(f"base_url must not have a query or fragment, got {base_url!r}")
    origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
    return origin, url.raw_path.decode("ascii").rstrip("/")


_HEADER_SAFE_KEY = re.compile(r"[\x21-\x7e]+")


def _checked_key(api_key: str) -> str:
    """The key without surrounding whitespace; rejected (without echoing it) if it cannot go in a header."""
    key = api_key.strip()
    if not _HEADER_SAFE_KEY.fullmatch(key):
        raise ValueError("the Instantly API key is empty or has characters that cannot be sent in an HTTP header")
    return key


def _transport_error(exc: httpx2.HTTPError, key: str, *, attempts: int, retry_safe: bool) -> TransportError:
    phrase = next((_TRANSPORT_PHRASES[cls] for cls in type(exc).__mro__ if cls in _TRANSPORT_PHRASES), None)
    detail = str(exc).strip()
    reason = f"{phrase or 'request failed'} ({type(exc).__name__}{': ' + detail if detail else ''})"
    return TransportError(
        scrub(reason, (key,)),
        may_have_been_sent=not isinstance(exc, _NOTHING_SENT),
        transient=isinstance(exc, _TRANSIENT),
        attempts=attempts,
        retry_safe=retry_safe,
    )


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_json(content_type: str) -> bool:
    media = _media_type(content_type)
    return media == "application/json" or media.endswith("+json")


def _success_data(response: httpx2.Response) -> Any:
    """Parsed JSON, text for text/* (CSV downloads), None for an empty body; ValueError for unparsable JSON."""
    if not response.content:
        return None
    content_type = response.headers.get("content-type", "")
    if _is_json(content_type):
        return response.json()
    if content_type:
        return response.text
    try:
        return response.json()
    except ValueError:
        return response.text


_HTML_TAG = re.compile(r"<[^<>]*>")  # stops at the next "<": linear, where <[^>]+> is quadratic on "<<<<"


def _api_error(response: httpx2.Response, key: str, *, attempts: int, retry_safe: bool) -> ApiError:
    status = response.status_code
    reason = httpx2.codes.get_reason_phrase(status) or "Error"
    body: Any = None
    if response.content:
        try:
            body = response.json()
        except ValueError:
            body = response.text
    error, message = reason, reason
    if isinstance(body, dict):
        upstream_error, upstream_message = body.get("error"), body.get("message")
        if upstream_message not in (None, "", []):
            message = _as_text(upstream_message)
            if upstream_error not in (None, ""):
                error = _as_text(upstream_error)
        elif upstream_error not in (None, ""):
            message = _as_text(upstream_error)
    elif isinstance(body, str) and body.strip():
        message = _text_summary(body)
    return ApiError(
        status,
        scrub_and_cut(error, MAX_MESSAGE_CHARS, (key,)),
        scrub_and_cut(message, MAX_MESSAGE_CHARS, (key,)),
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        body=scrub(body, (key,)),
        attempts=attempts,
        retry_safe=retry_safe,
    )


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return "; ".join(value)
    return json.dumps(value, ensure_ascii=False)


def _text_summary(text: str) -> str:
    """A readable line from a non-JSON error body, e.g. the <title> of a proxy's HTML error page.
    Only the start of the body is read, so a huge page (which may echo our request) costs little."""
    text = text[:MAX_SUMMARY_SOURCE_CHARS]
    title = _html_title(text)
    if title.strip():
        return " ".join(title.split())
    return " ".join(_HTML_TAG.sub(" ", text).split())


def _html_title(text: str) -> str:
    """The text of the first <title> element, found with plain scans (a lazy regex backtracks
    quadratically on a page of unclosed <title> tags)."""
    lower = text.lower()
    start = lower.find("<title")
    opened = lower.find(">", start) if start >= 0 else -1
    closed = lower.find("</title>", opened) if opened >= 0 else -1
    return text[opened + 1 : closed] if closed >= 0 else ""
