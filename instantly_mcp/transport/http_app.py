"""The server over HTTP: streamable HTTP at /mcp, legacy HTTP+SSE at /sse and /messages/, /healthz.

    --transport http   /mcp (both protocol generations) plus /sse + /messages/ (unless --stateless)
    --transport sse    /sse + /messages/ only (the 2024-11-05 transport)

In front of the MCP endpoints, in this order: Host/Origin validation against DNS rebinding (421,
403), the optional bearer token (401, constant-time compare), and with --per-request-key the
tenant's X-Instantly-Api-Key (401 when missing). A session (SSE or stateful streamable HTTP) is
bound to the tenant that opened it: the SDK answers another tenant's request for it as unknown.

--stateless keeps nothing between requests, so any replica or worker can answer any request;
confirmation tokens are HMACs that every replica sharing INSTANTLY_MCP_SECRET accepts.

Shutdown (SIGTERM or Ctrl-C): uvicorn stops accepting connections, /healthz says "draining",
tool calls in flight run to completion (up to --shutdown-timeout) and their answers are
delivered, and only then are the long-lived SSE streams closed.
"""

from __future__ import annotations

import dataclasses
import gc
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp
from mcp_types.version import SUPPORTED_PROTOCOL_VERSIONS
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from instantly_mcp import __version__, metrics
from instantly_mcp.config import Settings, is_loopback
from instantly_mcp.errors import StoreUnavailable
from instantly_mcp.rebinding import rebinding_refusal, refusal
from instantly_mcp.transport.auth import (
    TENANT_KEY_HEADER,
    authorized,
    bearer_of,
    default_hosts,
    default_origins,
    public_base,
    tenant_of_scope,
    tenant_user,
    valid_tenant_key,
)
from instantly_mcp.transport.events import MemoryEventLog, ResumableSessionManager
from instantly_mcp.transport.runtime import Runtime, build_runtime, make_client
from instantly_mcp.transport.server import build_server
from instantly_mcp.transport.sessions import SseCaps, TenantSessionManager
from instantly_mcp.transport.slow_clients import BodyDeadline, set_read_timeout
from instantly_mcp.transport.tenant_caps import TenantCounters, counted

if TYPE_CHECKING:
    from instantly_mcp.transport.oauth import OAuthGate

log = logging.getLogger(__name__)

MCP_PATH = "/mcp"
SSE_PATH = "/sse"
MESSAGES_PATH = "/messages/"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
SECRET_ENV = ("INSTANTLY_API_KEY", "INSTANTLY_MCP_SECRET", "INSTANTLY_MCP_AUTH_TOKEN")
SETTINGS_ENV = "INSTANTLY_MCP_HTTP_SETTINGS_FILE"  # `--workers N`: the 0600 file holding each worker's settings
# Python's default is (700, 10, 10); see collect_less_often.
COLLECTOR_THRESHOLDS = (2000, 20, 20)


# ---------------------------------------------------------------- request checks


SEND_TOKEN = (
    "send the header Authorization: Bearer <token> (the server's --auth-token; Claude Code: "
    'claude mcp add --transport http NAME URL --header "Authorization: Bearer <token>"). '
    "This server offers no OAuth sign-in"
)


def token_refusal(headers: Headers) -> Response:
    """401 that names the header to send, in the body and in WWW-Authenticate, so that a client which tries
    OAuth sign-in on any 401 (Claude Code) shows the user what is missing instead of a registration error."""
    if bearer_of(headers) is None:
        message, error = f"Missing bearer token: {SEND_TOKEN}", ""
    else:
        message, error = (
            "Wrong bearer token: send Authorization: Bearer <INSTANTLY_MCP_AUTH_TOKEN>",
            'error="invalid_token", ',
        )
    challenge = f'Bearer realm="instantly-mcp", {error}error_description="{message.replace(chr(34), chr(39))}"'
    return refusal(401, message, {"WWW-Authenticate": challenge})


def unsupported_version(headers: Headers) -> str | None:
    """The spec's answer to an MCP-Protocol-Version header the server does not speak: 400 naming the
    supported ones (the SDK would route it to the newest protocol and complain about params._meta)."""
    given = headers.get("mcp-protocol-version")
    if given is None or given in SUPPORTED_PROTOCOL_VERSIONS:
        return None
    return f"Bad Request: unsupported protocol version {given!r}, supported: {', '.join(SUPPORTED_PROTOCOL_VERSIONS)}"


def valid_event_id(value: str) -> bool:
    return 0 < len(value) <= 20 and value.isascii() and value.isdigit()


class Guard:
    """ASGI middleware in front of the MCP endpoints; /healthz and unknown paths pass untouched."""

    def __init__(self, app: ASGIApp, settings: Settings, oauth: OAuthGate | None = None) -> None:
        self.app = app
        self.oauth = oauth
        self.hosts = default_hosts(settings)
        self.origins = default_origins(settings)
        self.settings = settings
        self.per_request_key = settings.per_request_key

    @staticmethod
    def guards(path: str) -> bool:
        return path in (MCP_PATH, MCP_PATH + "/", SSE_PATH, METRICS_PATH) or path.startswith(MESSAGES_PATH)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.guards(scope["path"]):
            await self.app(scope, receive, send)
            return
        refused = self.check(scope)
        if refused is None and self.oauth is not None:
            refused = await self.oauth.check(scope, bearer_of(Headers(scope=scope)))
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> Response | None:
        headers = Headers(scope=scope)
        refused = rebinding_refusal(headers, self.hosts, self.origins)
        if refused is not None:
            return refused
        if not authorized(self.settings, headers):
            return token_refusal(headers)
        if (unsupported := unsupported_version(headers)) is not None:
            return refusal(400, unsupported)
        if (resumed := headers.get("last-event-id")) is not None and not valid_event_id(resumed):
            return refusal(400, "Bad Request: Last-Event-ID must be an event id this server sent (ASCII digits)")
        if self.per_request_key and scope["path"] != METRICS_PATH:  # a scraper is no tenant
            key = valid_tenant_key(headers.get(TENANT_KEY_HEADER))
            if key is None:
                return refusal(
                    401, f"Multi-tenant server: send your Instantly API key in the {TENANT_KEY_HEADER} header"
                )
            scope["user"] = tenant_user(key)
        return None


# ---------------------------------------------------------------- drain on shutdown


class Drain:
    """Counts MCP requests in flight; on shutdown waits for them before closing the SSE streams."""

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        self.inflight = 0
        self.draining = False

    async def middleware(self, ctx: Any, call_next: Callable[[Any], Awaitable[Any]]) -> Any:
        """A server middleware around every request handler (tools/call above all)."""
        self.inflight += 1
        try:
            return await call_next(ctx)
        finally:
            self.inflight -= 1

    async def watch(self) -> None:
        """Wait for uvicorn to start shutting down, let the calls in flight finish, then end the streams."""
        from sse_starlette.sse import AppStatus

        while not shutdown_requested():
            await anyio.sleep(0.1)
        self.draining = True
        print(f"instantly-mcp: shutting down; waiting for {self.inflight} call(s) in flight", file=sys.stderr)
        with anyio.move_on_after(max(0.5, self.timeout_s - 1.0)):
            while self.inflight:
                await anyio.sleep(0.05)
        await anyio.sleep(0.3)  # let the last answers leave before their streams are ended
        AppStatus.should_exit = True


def shutdown_requested() -> bool:
    """True once uvicorn (single process or a worker) got SIGTERM/SIGINT: its handler is a bound method."""
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    return bool(getattr(server, "should_exit", False))


# ---------------------------------------------------------------- the app


class SseEndpoint:
    """GET /sse: one legacy SSE connection, served by the same MCP server as /mcp."""

    def __init__(
        self, transport: SseServerTransport, server: Any, caps: SseCaps, counters: TenantCounters | None = None
    ) -> None:
        self.transport = transport
        self.server = server
        self.caps = caps
        self.counters = counters

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tenant = tenant_of_scope(scope)
        refused = refusal(503, "Too many open sessions for this tenant or server; close one or try later")
        if not self.caps.admits(tenant):
            await refused(scope, receive, send)
            return
        async with self.caps.held(tenant), counted(self.counters, "session", tenant, self.caps.cap_of(tenant)) as ok:
            if not ok:  # the tenant's cap is reached across replicas
                await refused(scope, receive, send)
                return
            async with self.transport.connect_sse(scope, receive, send) as (read_stream, write_stream):
                await self.server.run(read_stream, write_stream, self.server.create_initialization_options())


async def metrics_endpoint(request: Request) -> Response:
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)


async def store_unavailable(request: Request, exc: Exception) -> Response:
    """The approval pages while Redis is down: nothing can be shown or decided."""
    return PlainTextResponse(
        f"The shared approval store is unreachable ({exc}); nothing can be approved or denied until it is back.",
        status_code=503,
    )


def create_app(settings: Settings, runtime: Runtime | None = None) -> Starlette:
    from sse_starlette.sse import AppStatus

    metrics.enable()  # counted from the first request, for /metrics
    runtime = runtime or build_runtime(settings)
    server = build_server(settings, runtime)
    drain = Drain(settings.shutdown_timeout_s)
    server.middleware.append(drain.middleware)
    # Our Drain ends the SSE streams once the calls in flight are answered; sse-starlette's own
    # reaction to SIGTERM would cut them at once, answers and all.
    AppStatus.disable_automatic_graceful_drain()

    oauth = oauth_gate(settings)
    routes: list[Route | Mount] = [
        Route(HEALTH_PATH, health_endpoint(settings, runtime, drain, oauth), methods=["GET"]),
        Route(METRICS_PATH, metrics_endpoint, methods=["GET"]),
    ]
    if oauth is not None:
        from instantly_mcp.transport.oauth import WELL_KNOWN

        routes += [
            Route(path, oauth.metadata_endpoint, methods=["GET"]) for path in (WELL_KNOWN, WELL_KNOWN + MCP_PATH)
        ]
    manager: TenantSessionManager | None = None
    if settings.transport == "http":
        # Host/Origin checks are Guard's, the same for every endpoint; the SDK still checks Content-Type.
        manager = streamable_manager(settings, server, runtime.counters, proven_tenant(runtime))
        routes.append(Route(MCP_PATH, endpoint=StreamableHTTPASGIApp(manager)))
    if runtime.policy.desk is not None:
        from instantly_mcp.transport.approval_pages import pages_for

        runtime.policy.desk.base_url = public_base(settings)
        routes.extend(pages_for(runtime.policy.desk, settings).routes())
    if not settings.stateless:
        sse = SseServerTransport(MESSAGES_PATH, security_settings=None)
        caps = SseCaps(settings)
        routes.append(Route(SSE_PATH, endpoint=SseEndpoint(sse, server, caps, runtime.counters), methods=["GET"]))
        routes.append(Mount(MESSAGES_PATH, app=sse.handle_post_message))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        AppStatus.should_exit = False
        owns_client = runtime.client is None
        if owns_client:
            runtime.client = make_client(settings)
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(drain.watch)
                if manager is not None:
                    async with manager.run():
                        yield
                else:
                    yield
                tg.cancel_scope.cancel()
        finally:
            if owns_client and runtime.client is not None:
                await runtime.client.aclose()
                runtime.client = None

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={StoreUnavailable: store_unavailable})
    app.add_middleware(Guard, settings=settings, oauth=oauth)
    app.add_middleware(BodyDeadline, timeout_s=settings.request_read_timeout_s)
    set_read_timeout(settings.request_read_timeout_s)
    app.state.runtime = runtime
    app.state.drain = drain
    return app


def oauth_gate(settings: Settings) -> OAuthGate | None:
    """The JWT checks of --oauth-issuer; PyJWT and cryptography are imported only then."""
    if not settings.oauth_issuer:
        return None
    from instantly_mcp.transport.oauth import OAuthGate, OAuthSettings

    oauth = OAuthSettings.from_settings(settings)
    return OAuthGate(oauth) if oauth is not None else None


class ResumableTenantSessions(ResumableSessionManager, TenantSessionManager):
    """Per-tenant session caps (sessions.py) and resumable SSE streams (events.py) on one manager."""


def streamable_manager(
    settings: Settings,
    server: Any,
    counters: TenantCounters | None = None,
    proven: Callable[[str], bool] | None = None,
) -> TenantSessionManager:
    """With --resumable-streams, sessions keep their SSE events for resumption (Last-Event-ID). Off by
    default: every call then pays for one more event on the wire (a priming event with its id)."""
    if not settings.resumable_streams:
        return TenantSessionManager(
            server,
            settings=settings,
            stateless=settings.stateless,
            security_settings=None,
            counters=counters,
            proven=proven,
        )
    return ResumableTenantSessions(
        server,
        settings=settings,
        security_settings=None,
        event_log=MemoryEventLog(),
        counters=counters,
        proven=proven,
    )


def proven_tenant(runtime: Runtime) -> Callable[[str], bool]:
    """Whether Instantly has answered a tenant's key (`tenant:<fingerprint>`) as valid."""

    def proven(tenant: str) -> bool:
        answered = runtime.client.answered if runtime.client is not None else None
        return answered is None or tenant.removeprefix("tenant:") in answered

    return proven


def health_endpoint(
    settings: Settings, runtime: Runtime, drain: Drain, oauth: OAuthGate | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """ok or draining for anyone (load balancers carry no token); the details only to a request that
    passes the Host/Origin checks and carries the bearer token when one is set (under OAuth: a valid
    access token)."""

    hosts, origins = default_hosts(settings), default_origins(settings)

    async def credentialed(headers: Headers) -> bool:
        if oauth is None:
            return authorized(settings, headers)
        token = bearer_of(headers)
        return token is not None and await oauth.verifier.verify_token(token) is not None

    async def healthz(request: Request) -> Response:
        body: dict[str, Any] = {"status": "draining" if drain.draining else "ok"}
        trusted = rebinding_refusal(request.headers, hosts, origins) is None and await credentialed(request.headers)
        if trusted:
            body.update(
                version=__version__,
                tools=len(runtime.listed["tools"]),
                stateless=settings.stateless,
                inflight=drain.inflight,
            )
        return JSONResponse(body, status_code=503 if drain.draining else 200)

    return healthz


# ---------------------------------------------------------------- running it


def write_settings_file(settings: Settings) -> Path:
    """The settings, secrets included, in a file only this user can read, in a directory only this
    user can list: workers read it at start; the environment names only its path."""
    directory = Path(tempfile.mkdtemp(prefix="instantly-mcp-"))
    path = directory / "settings.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(dataclasses.asdict(settings), handle)
    return path


def remove_settings_file(path: Path) -> None:
    path.unlink(missing_ok=True)
    path.parent.rmdir()


def settings_from_file(path: str) -> Settings:
    with open(path, encoding="utf-8") as handle:
        values = json.load(handle)
    fields = {f.name: f.type for f in dataclasses.fields(Settings)}
    for name, value in values.items():
        if isinstance(value, list) and "tuple" in str(fields.get(name, "")):
            values[name] = tuple(value)
    return Settings(**values)


def app_from_env() -> Starlette:
    """The uvicorn factory each worker process calls (`--workers N`)."""
    collect_less_often()
    return create_app(settings_from_file(os.environ[SETTINGS_ENV]))


def collect_less_often() -> None:
    """Every SSE answer leaves a cycle of cancelled tasks and their tracebacks (the SDK's), and
    concurrent calls keep each other's alive through young collections, so the older generations
    collect the same garbage again: 0.2 ms of a 2.2 ms call at 8 sessions. Rarer collections halve
    that for about 3 MB more peak RSS (measured with bench/http_bench.py's load; README)."""
    gc.set_threshold(*COLLECTOR_THRESHOLDS)


def announce_http(settings: Settings) -> None:
    base = f"http://{settings.host if ':' not in settings.host else f'[{settings.host}]'}:{settings.port}"
    endpoints = []
    if settings.transport == "http":
        endpoints.append(f"{base}{MCP_PATH} (streamable HTTP)")
    if settings.serves_approvals:
        endpoints.append(f"{public_base(settings)}/approvals (approval pages)")
    if not settings.stateless:
        endpoints.append(f"{base}{SSE_PATH} (legacy SSE)")
    guard = f"OAuth tokens from {settings.oauth_issuer}" if settings.oauth_issuer else "no bearer token"
    extras = [
        "bearer token required" if settings.auth_token else guard,
        "stateless" if settings.stateless else "sessions in memory",
        f"{settings.workers} worker(s)",
    ]
    print(f"instantly-mcp: serving MCP at {' and '.join(endpoints)}; {', '.join(extras)}", file=sys.stderr)
    if not is_loopback(settings.host) and not (settings.auth_token or settings.oauth_issuer):
        print(
            f"instantly-mcp: WARNING listening on {settings.host} without --auth-token: anyone who can reach "
            "this port can call the tools. Put it behind an authenticating proxy or set INSTANTLY_MCP_AUTH_TOKEN.",
            file=sys.stderr,
        )


def serve_http(settings: Settings, runtime: Runtime | None = None) -> None:
    import uvicorn

    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "timeout_graceful_shutdown": settings.shutdown_timeout_s,
        "log_level": "warning",
        "access_log": False,  # paths carry SSE session ids; never headers, so never keys
        "http": "instantly_mcp.transport.slow_clients:BoundedH11Protocol",  # a deadline for each request head
        "lifespan": "on",
        "ws": "none",  # MCP has no WebSocket transport: uvicorn need not import a WebSocket library
    }
    if settings.log_format == "json":
        options["log_config"] = None  # uvicorn's loggers then reach the JSON handler configure_logging set
    from instantly_mcp.sockets import listen_socket

    sock = listen_socket(settings.host, settings.port, "--port")
    if settings.workers > 1:
        if not settings.secret:  # the workers must accept each other's confirmation tokens
            settings = dataclasses.replace(settings, secret=secrets.token_urlsafe(32))
        settings_file = write_settings_file(settings)
        os.environ[SETTINGS_ENV] = str(settings_file)
        for name in SECRET_ENV:  # read into the settings file already; the workers need not inherit them
            os.environ.pop(name, None)
        config = uvicorn.Config(
            "instantly_mcp.transport.http_app:app_from_env", factory=True, workers=settings.workers, **options
        )
    else:
        config = uvicorn.Config(create_app(settings, runtime), **options)
    announce_http(settings)
    server = uvicorn.Server(config)
    if config.workers > 1:
        from uvicorn.supervisors import Multiprocess

        try:
            Multiprocess(config, sockets=[sock]).run()
        finally:
            remove_settings_file(settings_file)
    else:
        collect_less_often()
        server.run(sockets=[sock])
        if not server.started:
            raise SystemExit(f"instantly-mcp: could not serve on {settings.host}:{settings.port}")
