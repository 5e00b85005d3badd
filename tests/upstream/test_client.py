"""InstantlyClient against a real HTTP server: URLs, auth, encoding, error mapping, retries, secrecy of the key."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import socket
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import httpx2
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from instantly_mcp import __version__
from instantly_mcp.calls.advice import describe_api_error, describe_transport_error
from instantly_mcp.catalog.operations import Limit
from instantly_mcp.errors import ApiError, TransportError
from instantly_mcp.upstream.client import (
    ApiRequest,
    ApiResponse,
    InstantlyClient,
    full_jitter,
    key_fingerprint,
    parse_retry_after,
)
from instantly_mcp.upstream.ratelimit import RateLimiters

from support.fake_time import FakeTime

pytestmark = pytest.mark.anyio

KEY = "sk_live_SECRETKEY_0123456789abcdef"
READ_SCOPES = ("campaigns:read", "campaigns:all", "all:read", "all:all")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    method: str
    raw_path: str
    query: str
    headers: dict[str, str]
    body: bytes


class Upstream:
    """A stand-in for Instantly: answers each path with scripted replies and records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self._scripts: dict[str, deque[Reply | Callable[[Received], Reply]]] = defaultdict(deque)
        self.url = ""

    def script(self, path: str, *replies: Reply | Callable[[Received], Reply]) -> None:
        """Answer the next requests to `path` with `replies` in order; the last one repeats."""
        self._scripts[path].extend(replies)

    def reset(self) -> None:
        self.received.clear()
        self._scripts.clear()

    def count(self, path: str) -> int:
        return sum(1 for r in self.received if r.raw_path == path)

    def last(self) -> Received:
        return self.received[-1]

    async def handle(self, request: Request) -> Response:
        received = Received(
            method=request.method,
            raw_path=request.scope["raw_path"].decode(),
            query=request.scope["query_string"].decode(),
            headers={k.decode().lower(): v.decode() for k, v in request.scope["headers"]},
            body=await request.body(),
        )
        self.received.append(received)
        script = self._scripts.get(received.raw_path)
        reply = (script.popleft() if len(script) > 1 else script[0]) if script else Reply()
        if callable(reply):
            reply = reply(received)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.body is None:
            content, media_type = b"", reply.content_type
        elif isinstance(reply.body, (bytes, str)):
            content, media_type = reply.body, reply.content_type or "text/plain"
        else:
            content, media_type = json.dumps(reply.body), reply.content_type or "application/json"
        return Response(content, status_code=reply.status, media_type=media_type, headers=reply.headers)


@pytest.fixture(scope="module")
def server() -> Iterator[Upstream]:
    upstream = Upstream()
    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", upstream.handle, methods=methods)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    upstream.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1)
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    yield upstream
    uv.should_exit = True
    thread.join(timeout=5)
    sock.close()


@pytest.fixture
def upstream(server: Upstream) -> Upstream:
    server.reset()
    return server


def make_client(base_url: str, fake: FakeTime | None = None, **options: Any) -> InstantlyClient:
    fake = fake or FakeTime()
    options.setdefault("api_key", KEY)
    return InstantlyClient(base_url=base_url, sleep=fake.sleep, clock=fake.clock, **options)


def closed_port_url() -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


def instantly_error(status: int, error: str, message: str, **reply: Any) -> Reply:
    return Reply(status=status, body={"statusCode": status, "error": error, "message": message}, **reply)


# --- URLs, headers, encoding --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base_suffix", "path", "sent_path"),
    [
        ("", "/api/v2/campaigns", "/api/v2/campaigns"),
        ("/", "/api/v2/campaigns", "/api/v2/campaigns"),
        ("/api/v2", "/api/v2/campaigns", "/api/v2/campaigns"),
        ("/api/v2/", "/api/v2/campaigns", "/api/v2/campaigns"),
        ("/_mock/api/v2/", "/api/v2/campaigns", "/_mock/api/v2/campaigns"),
        ("/proxy", "/api/v2/campaigns", "/proxy/api/v2/campaigns"),
        ("/proxy/", "/api/v2/campaigns", "/proxy/api/v2/campaigns"),
        ("/api/v2", "/api/v2/supersearch-enrichment/", "/api/v2/supersearch-enrichment/"),
        ("", "/api/v2/block-lists-entries/abc%2F..", "/api/v2/block-lists-entries/abc%2F.."),
        ("", "/api/v2/leads/%2E%2E", "/api/v2/leads/%2E%2E"),
    ],
)
async def test_base_url_joining(upstream: Upstream, base_suffix: str, path: str, sent_path: str) -> None:
    async with make_client(upstream.url + base_suffix) as client:
        response = await client.request(ApiRequest("GET", path))
    assert upstream.last().raw_path == sent_path
    assert response == ApiResponse(status=200, data={"ok": True}, content_type="application/json", attempts=1)


def test_base_url_must_be_http() -> None:
    with pytest.raises(ValueError):
        InstantlyClient(base_url="ftp://example.com", api_key=KEY)
    with pytest.raises(ValueError):
        InstantlyClient(base_url="https://example.com/api/v2?x=1", api_key=KEY)


def test_literal_dot_segments_are_refused() -> None:
    with pytest.raises(ValueError, match="%2E"):
        ApiRequest("GET", "/api/v2/leads/..")
    with pytest.raises(ValueError):
        ApiRequest("TRACE", "/api/v2/leads")


async def test_headers_and_per_call_key(upstream: Upstream) -> None:
    async with make_client(upstream.url) as client:
        await client.request(ApiRequest("GET", "/api/v2/campaigns"))
        default = upstream.last().headers
        await client.request(ApiRequest("GET", "/api/v2/campaigns"), api_key="tenant-two-key")
        override = upstream.last().headers
    assert default["authorization"] == f"Bearer {KEY}"
    assert default["accept"] == "application/json, text/csv"
    assert default["user-agent"] == f"instantly-mcp/{__version__}"
    assert override["authorization"] == "Bearer tenant-two-key"


async def test_query_encoding(upstream: Upstream) -> None:
    query = {
        "emails": ["a@x.com", "b@x.com"],
        "include": True,
        "skip": False,
        "limit": 10,
        "search": "a b&c",
        "gone": None,
    }
    async with make_client(upstream.url) as client:
        await client.request(ApiRequest("GET", "/api/v2/accounts/analytics/daily", query=query))
    assert upstream.last().query == "emails=a%40x.com&emails=b%40x.com&include=true&skip=false&limit=10&search=a+b%26c"


async def test_json_body_is_sent_and_none_sends_no_body(upstream: Upstream) -> None:
    async with make_client(upstream.url) as client:
        await client.request(ApiRequest("POST", "/api/v2/campaigns", body={"name": "Ünïcode", "n": 1}))
        with_body = upstream.last()
        await client.request(ApiRequest("POST", "/api/v2/campaigns/abc/activate"))
        without_body = upstream.last()
        await client.request(ApiRequest("DELETE", "/api/v2/campaigns/abc"))
        delete = upstream.last()
    assert with_body.headers["content-type"] == "application/json"
    assert json.loads(with_body.body) == {"name": "Ünïcode", "n": 1}
    for bare in (without_body, delete):
        assert bare.body == b""
        assert "content-type" not in bare.headers
        assert bare.headers.get("content-length", "0") == "0"


async def test_csv_download_is_text(upstream: Upstream) -> None:
    csv = "bl_value,is_domain\nexample.com,true\n"
    upstream.script("/api/v2/block-lists-entries/download", Reply(body=csv, content_type="text/csv; charset=utf-8"))
    async with make_client(upstream.url) as client:
        response = await client.request(ApiRequest("GET", "/api/v2/block-lists-entries/download"))
    assert response.data == csv
    assert response.content_type.startswith("text/csv")


async def test_empty_204_is_none(upstream: Upstream) -> None:
    upstream.script("/api/v2/leads/x", Reply(status=204, body=None))
    async with make_client(upstream.url) as client:
        response = await client.request(ApiRequest("DELETE", "/api/v2/leads/x"))
    assert (response.status, response.data) == (204, None)


async def test_malformed_json_is_a_transport_error_and_not_resent(upstream: Upstream) -> None:
    upstream.script("/api/v2/leads", Reply(body='{"id": "trunc', content_type="application/json"))
    async with make_client(upstream.url) as client:
        with pytest.raises(TransportError) as caught:
            await client.request(ApiRequest("POST", "/api/v2/leads", body={"email": "a@x.com"}))
    assert caught.value.reason == "Instantly answered HTTP 200 with malformed JSON"
    assert caught.value.may_have_been_sent is True
    assert upstream.count("/api/v2/leads") == 1


# --- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "message", "advice"),
    [
        (400, "Bad Request", 'body/email must match format "email"', "fix the named field"),
        (401, "Unauthorized", "Invalid API key", "Check INSTANTLY_API_KEY (missing, invalid or revoked)"),
        (402, "Payment Required", "No active plan", "no active paid plan"),
        (403, "Forbidden", "Insufficient scope", "needs one of: campaigns:read, campaigns:all, all:read, all:all"),
        (404, "Not Found", "Campaign not found", "Check the id (use the list tool to find it)"),
        (409, "Conflict", "Campaign name already exists", "Conflict"),
        (422, "Unprocessable Entity", "daily_limit must be >= 1", "fix the named field"),
        (500, "Internal Server Error", "Something broke", "internal error; safe to retry later"),
    ],
)
async def test_error_statuses_map_to_api_error(
    upstream: Upstream, status: int, error: str, message: str, advice: str
) -> None:
    upstream.script("/api/v2/campaigns/c1", instantly_error(status, error, message))
    async with make_client(upstream.url, max_retries=0) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns/c1", retry_safe=True))
    err = caught.value
    assert (err.status, err.error, err.message, err.attempts) == (status, error, message, 1)
    assert err.body == {"statusCode": status, "error": error, "message": message}
    assert upstream.count("/api/v2/campaigns/c1") == 1
    described = describe_api_error(err, tool="get_campaign", required_scopes=READ_SCOPES)
    assert described.startswith(
        f"get_campaign failed: Instantly answered HTTP {status} {error} ({message.rstrip('.')})"
    )
    assert advice in described
    assert "\n" not in described


async def test_429_is_described_with_retry_after(upstream: Upstream) -> None:
    upstream.script(
        "/api/v2/campaigns",
        instantly_error(429, "Too Many Requests", "Rate limit exceeded", headers={"Retry-After": "7"}),
    )
    fake = FakeTime()
    async with make_client(upstream.url, fake, max_retries=2, deadline_s=10) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    assert caught.value.retry_after == 7.0 and caught.value.attempts == 2
    assert fake.sleeps == [7.0]
    described = describe_api_error(caught.value, tool="list_campaigns", required_scopes=READ_SCOPES)
    assert "Rate limited; retry after 7 s" in described


async def test_5xx_on_unsafe_tool_says_to_check_before_retrying(upstream: Upstream) -> None:
    upstream.script("/api/v2/campaigns", instantly_error(500, "Internal Server Error", "boom"))
    async with make_client(upstream.url) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("POST", "/api/v2/campaigns", body={"name": "x"}))
    described = describe_api_error(caught.value, tool="create_campaign", required_scopes=())
    assert "Instantly had an internal error" in described
    assert "check whether it took effect before retrying" in described


@pytest.mark.parametrize(
    ("reply", "error", "message"),
    [
        (Reply(status=404, body={"message": "Lead not found"}), "Not Found", "Lead not found"),
        (Reply(status=400, body={"error": "Invalid cursor"}), "Bad Request", "Invalid cursor"),
        (
            Reply(status=400, body={"message": ["name is required", "limit must be <= 100"]}),
            "Bad Request",
            "name is required; limit must be <= 100",
        ),
        (
            Reply(
                status=502,
                body="<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>",
                content_type="text/html",
            ),
            "Bad Gateway",
            "502 Bad Gateway",
        ),
        (Reply(status=503, body=None), "Service Unavailable", "Service Unavailable"),
        (Reply(status=418, body="plain words", content_type="text/plain"), "I'm a teapot", "plain words"),
    ],
)
async def test_error_body_variants(upstream: Upstream, reply: Reply, error: str, message: str) -> None:
    upstream.script("/api/v2/leads/l1", reply)
    async with make_client(upstream.url) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("PATCH", "/api/v2/leads/l1", body={"first_name": "A"}))
    assert (caught.value.status, caught.value.error, caught.value.message) == (reply.status, error, message)


def test_parse_retry_after() -> None:
    from datetime import datetime

    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("1.5") == 1.5
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0
    for unreadable in (None, "", "soon", "-5", "nan"):
        assert parse_retry_after(unreadable) is None


# --- retries ------------------------------------------------------------------------------------


async def test_get_is_retried_on_503_until_it_succeeds(upstream: Upstream) -> None:
    path = "/api/v2/campaigns"
    upstream.script(path, Reply(status=503, body=None), Reply(status=503, body=None), Reply(body={"items": []}))
    fake = FakeTime()
    async with make_client(upstream.url, fake) as client:
        response = await client.request(ApiRequest("GET", path, retry_safe=True))
    assert response.data == {"items": []} and response.attempts == 3
    assert upstream.count(path) == 3
    assert len(fake.sleeps) == 2


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_unsafe_post_is_not_retried_on_server_errors(upstream: Upstream, status: int) -> None:
    upstream.script("/api/v2/leads", Reply(status=status, body=None))
    fake = FakeTime()
    async with make_client(upstream.url, fake) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("POST", "/api/v2/leads", body={"email": "a@x.com"}))
    assert caught.value.status == status
    assert upstream.count("/api/v2/leads") == 1 and fake.sleeps == []


async def test_unsafe_post_that_times_out_is_sent_exactly_once(upstream: Upstream) -> None:
    upstream.script("/api/v2/emails/reply", Reply(delay=0.5))
    fake = FakeTime()
    async with make_client(upstream.url, fake, timeout=0.1) as client:
        with pytest.raises(TransportError) as caught:
            await client.request(ApiRequest("POST", "/api/v2/emails/reply", body={"body": "hi"}))
    assert upstream.count("/api/v2/emails/reply") == 1
    assert caught.value.may_have_been_sent is True and caught.value.attempts == 1
    assert "ReadTimeout" in caught.value.reason
    assert fake.sleeps == []
    described = describe_transport_error(caught.value, tool="reply_to_email")
    assert "may have reached Instantly" in described and "check whether it did" in described


async def test_safe_get_that_times_out_is_retried(upstream: Upstream) -> None:
    upstream.script("/api/v2/campaigns", Reply(delay=3), Reply(body={"items": [1]}))
    async with make_client(upstream.url, timeout=1.0) as client:  # ample for the answer that is not held back
        response = await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    assert response.data == {"items": [1]} and response.attempts == 2
    assert upstream.count("/api/v2/campaigns") == 2


async def test_post_on_429_is_retried_after_retry_after(upstream: Upstream) -> None:
    path = "/api/v2/leads"
    upstream.script(
        path,
        instantly_error(429, "Too Many Requests", "Rate limit exceeded", headers={"Retry-After": "3"}),
        Reply(body={"id": "l1"}),
    )
    fake = FakeTime()
    async with make_client(upstream.url, fake, backoff_cap=1.0) as client:
        response = await client.request(ApiRequest("POST", path, body={"email": "a@x.com"}))
    assert response.data == {"id": "l1"} and response.attempts == 2
    assert upstream.count(path) == 2
    assert fake.sleeps == [3.0]


async def test_connect_error_is_retried_even_for_unsafe_requests() -> None:
    fake = FakeTime()
    async with make_client(closed_port_url(), fake, max_retries=3) as client:
        with pytest.raises(TransportError) as caught:
            await client.request(ApiRequest("POST", "/api/v2/leads", body={"email": "a@x.com"}))
    err = caught.value
    assert err.may_have_been_sent is False and err.attempts == 4
    assert "could not connect" in err.reason
    assert len(fake.sleeps) == 3
    assert "safe to retry" in describe_transport_error(err, tool="create_lead")


async def test_connect_error_then_success() -> None:
    calls = 0

    def handler(request: httpx2.Request) -> httpx2.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx2.ConnectError("connection refused", request=request)
        return httpx2.Response(200, json={"id": "l1"})

    async with make_client("https://api.instantly.ai", transport=httpx2.MockTransport(handler)) as client:
        response = await client.request(ApiRequest("POST", "/api/v2/leads", body={"email": "a@x.com"}))
    assert (response.data, response.attempts, calls) == ({"id": "l1"}, 2, 2)


@pytest.mark.parametrize("exc_type", [httpx2.RemoteProtocolError, httpx2.ReadError])
async def test_connection_broken_after_sending(exc_type: type[httpx2.HTTPError]) -> None:
    calls: list[str] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        calls.append(request.method)
        raise exc_type("connection reset by peer", request=request)

    async with make_client(
        "https://api.instantly.ai", transport=httpx2.MockTransport(handler), max_retries=2
    ) as client:
        with pytest.raises(TransportError) as unsafe:
            await client.request(ApiRequest("POST", "/api/v2/leads", body={"email": "a@x.com"}))
        assert calls == ["POST"] and unsafe.value.may_have_been_sent is True
        with pytest.raises(TransportError) as safe:
            await client.request(ApiRequest("GET", "/api/v2/leads/l1", retry_safe=True))
    assert calls == ["POST", "GET", "GET", "GET"] and safe.value.attempts == 3


@pytest.mark.parametrize("status", [400, 404, 409])
async def test_4xx_are_not_retried(upstream: Upstream, status: int) -> None:
    upstream.script("/api/v2/campaigns", Reply(status=status, body=None))
    fake = FakeTime()
    async with make_client(upstream.url, fake) as client:
        with pytest.raises(ApiError):
            await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    assert upstream.count("/api/v2/campaigns") == 1 and fake.sleeps == []


async def test_max_retries_is_respected(upstream: Upstream) -> None:
    upstream.script("/api/v2/campaigns", instantly_error(429, "Too Many Requests", "Rate limit exceeded"))
    fake = FakeTime()
    async with make_client(upstream.url, fake, max_retries=2) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    assert caught.value.attempts == 3 and upstream.count("/api/v2/campaigns") == 3


async def test_deadline_is_never_slept_past(upstream: Upstream) -> None:
    upstream.script("/api/v2/campaigns", Reply(status=503, body=None, headers={"Retry-After": "10"}))
    fake = FakeTime()
    async with make_client(upstream.url, fake, max_retries=10, deadline_s=25) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    assert caught.value.status == 503 and caught.value.attempts == 3
    assert fake.sleeps == [10.0, 10.0]
    assert upstream.count("/api/v2/campaigns") == 3


async def test_backoff_is_capped_exponential_full_jitter(upstream: Upstream) -> None:
    upstream.script("/api/v2/campaigns", Reply(status=503, body=None))
    fake = FakeTime()
    async with make_client(
        upstream.url, fake, max_retries=6, backoff_base=0.5, backoff_cap=4.0, deadline_s=1000
    ) as client:
        with pytest.raises(ApiError):
            await client.request(ApiRequest("GET", "/api/v2/campaigns", retry_safe=True))
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert len(fake.sleeps) == 6
    assert all(0.0 <= slept <= ceiling for slept, ceiling in zip(fake.sleeps, ceilings, strict=True))
    assert len(set(fake.sleeps)) > 1


def test_full_jitter_bounds() -> None:
    assert full_jitter(1, 0.5, 8.0, rng=lambda: 1.0) == 0.5
    assert full_jitter(4, 0.5, 8.0, rng=lambda: 1.0) == 4.0
    assert full_jitter(10, 0.5, 8.0, rng=lambda: 1.0) == 8.0
    assert full_jitter(1000, 0.5, 8.0, rng=lambda: 1.0) == 8.0
    assert full_jitter(3, 0.5, 8.0, rng=lambda: 0.0) == 0.0
    samples = [full_jitter(3, 0.5, 8.0) for _ in range(2000)]
    assert all(0.0 <= s <= 2.0 for s in samples)
    assert min(samples) < 0.2 and max(samples) > 1.8


# --- rate limiting ------------------------------------------------------------------------------


class RecordingLimiters(RateLimiters):
    def __init__(self) -> None:
        super().__init__()
        self.acquired: list[tuple[str, str, tuple[Limit, ...]]] = []

    def for_key(self, key_fingerprint: str):
        limiter = super().for_key(key_fingerprint)
        acquired = self.acquired

        class Recording:
            async def acquire(self, endpoint: str, endpoint_limits=(), *, within_s: float = math.inf) -> None:
                acquired.append((key_fingerprint, endpoint, tuple(endpoint_limits)))
                return await limiter.acquire(endpoint, endpoint_limits, within_s=within_s)

            def wait_estimate(self, endpoint: str, endpoint_limits=()) -> float:
                return limiter.wait_estimate(endpoint, endpoint_limits)

        return Recording()


async def test_every_attempt_takes_a_rate_limit_slot_for_its_key(upstream: Upstream) -> None:
    upstream.script("/api/v2/emails", Reply(status=503, body=None), Reply(body={"items": []}))
    limiters = RecordingLimiters()
    emails = ApiRequest(
        "GET", "/api/v2/emails", retry_safe=True, endpoint="GET /api/v2/emails", endpoint_limits=(Limit(20, 60.0),)
    )
    async with make_client(upstream.url, limiters=limiters) as client:
        await client.request(emails)
        await client.request(ApiRequest("GET", "/api/v2/campaigns/c1"), api_key="other-tenant-key")
    mine, theirs = key_fingerprint(KEY), key_fingerprint("other-tenant-key")
    assert limiters.acquired == [
        (mine, "GET /api/v2/emails", (Limit(20, 60.0),)),
        (mine, "GET /api/v2/emails", (Limit(20, 60.0),)),
        (theirs, "GET /api/v2/campaigns/c1", ()),
    ]


async def test_local_budget_exhausted_within_deadline_is_a_local_429(upstream: Upstream) -> None:
    one_per_minute = ApiRequest(
        "POST", "/api/v2/emails/test", body={"to": "a@x.com"}, endpoint_limits=(Limit(1, 60.0),)
    )
    fake = FakeTime()
    limiters = RateLimiters(clock=fake.clock, sleep=fake.sleep)
    async with InstantlyClient(base_url=upstream.url, api_key=KEY, deadline_s=30, limiters=limiters) as client:
        await client.request(one_per_minute)
        with pytest.raises(ApiError) as caught:
            await client.request(one_per_minute)
    assert fake.sleeps == []  # the next slot opens after the deadline: refused at once, not after waiting
    assert caught.value.status == 429 and caught.value.attempts == 0
    assert 59.0 < caught.value.retry_after <= 60.0
    assert upstream.count("/api/v2/emails/test") == 1
    described = describe_api_error(caught.value, tool="send_test_email", required_scopes=())
    assert described.startswith("send_test_email was not sent: client-side rate limit")
    assert "Rate limited; retry after 60 s" in described


async def test_missing_key_fails_without_sending(upstream: Upstream) -> None:
    async with make_client(upstream.url, api_key=None) as client:
        with pytest.raises(ApiError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns"))
    assert caught.value.status == 401 and caught.value.attempts == 0
    assert upstream.received == []
    assert "INSTANTLY_API_KEY" in describe_api_error(caught.value, tool="list_campaigns", required_scopes=READ_SCOPES)


# --- the key stays secret -----------------------------------------------------------------------


def test_key_fingerprint_is_not_the_key() -> None:
    assert KEY not in key_fingerprint(KEY) and len(key_fingerprint(KEY)) == 16


async def test_api_key_never_appears_in_errors_or_logs(upstream: Upstream, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    echo_key = lambda received: instantly_error(401, "Unauthorized", f"Invalid key {received.headers['authorization']}")  # noqa: E731
    upstream.script("/api/v2/echo", echo_key)
    upstream.script("/api/v2/slow", Reply(delay=3))
    upstream.script("/api/v2/bad-json", Reply(body="{", content_type="application/json"))
    upstream.script("/api/v2/busy", instantly_error(503, "Service Unavailable", "busy"))
    failures: list[Exception] = []
    async with make_client(upstream.url, timeout=1.0, max_retries=1) as client:
        for req in (
            ApiRequest("GET", "/api/v2/echo"),
            ApiRequest("POST", "/api/v2/slow"),
            ApiRequest("GET", "/api/v2/bad-json"),
            ApiRequest("GET", "/api/v2/busy", retry_safe=True),
        ):
            with pytest.raises((ApiError, TransportError)) as caught:
                await client.request(req)
            failures.append(caught.value)
        text_of_client = repr(client) + str(client)
        text_of_client += repr(client._wire(ApiRequest("POST", "/api/v2/echo", body={}), KEY))  # one attempt's request
    async with make_client(closed_port_url(), max_retries=1) as client:
        with pytest.raises(TransportError) as caught:
            await client.request(ApiRequest("GET", "/api/v2/campaigns"))
        failures.append(caught.value)
    for bad_key in (KEY + "\r\nX-Injected: 1", KEY + " " + KEY):
        with pytest.raises(ValueError) as caught:
            InstantlyClient(api_key=bad_key)
        failures.append(caught.value)

    assert upstream.last().headers["authorization"].endswith(KEY)
    assert isinstance(failures[0], ApiError) and "[redacted]" in failures[0].message
    texts = [text_of_client]
    for failure in failures:
        texts += [str(failure), repr(failure), repr(failure.args)]
        if isinstance(failure, ApiError):
            texts += [repr(failure.body), describe_api_error(failure, tool="t", required_scopes=READ_SCOPES)]
        if isinstance(failure, TransportError):
            texts.append(describe_transport_error(failure, tool="t"))
    texts += [record.getMessage() for record in caplog.records]
    assert any("retry 1/1" in record.getMessage() for record in caplog.records)
    leaks = [text for text in texts if KEY in text]
    assert leaks == []
