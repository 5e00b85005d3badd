"""Builds the MCP server: tools/list and tools/call over one shared Instantly client."""

from __future__ import annotations

import sys
import time
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPDeprecationWarning

from instantly_mcp import __version__
from instantly_mcp.calls.input_limits import default_limits
from instantly_mcp.calls.pipeline import error_result
from instantly_mcp.catalog.operations import Operation, load_operations
from instantly_mcp.config import SANDBOX_BASE_URL, SANDBOX_KEY, Settings
from instantly_mcp.gates.confirm import CONFIRM_FORM, Caller
from instantly_mcp.gates.discovery import Discovery
from instantly_mcp.gates.policy import GATED_RISKS, SERVER_ARGUMENTS, Policy, risk_counts
from instantly_mcp.transport.progress import set_logging_level, tracked_call
from instantly_mcp.upstream.client import InstantlyClient, key_fingerprint
from instantly_mcp.upstream.ratelimit import LimiterSource, RateLimiters, per_worker_limits
from instantly_mcp.upstream.tenancy import TENANT_KEY_HEADER, tenant_of
from instantly_mcp.upstream.tenant_counters import TenantCounters, counted, tenant_counters

INSTRUCTIONS = (
    "Tools for the Instantly.ai API V2 (cold email): campaigns, leads, sending accounts, unibox emails, "
    "analytics, deliverability. List tools paginate with starting_after / next_starting_after. "
    + SERVER_ARGUMENTS
)
AGENT_CONFIRMS = (
    "When this client cannot ask its user (no elicitation), confirmation is up to you: "
    "pass confirm_token only after the user agreed."
)


@dataclass
class Runtime:
    """What every handler shares: all operations, the policy over them, the visible tool
    definitions, the client and the fingerprint of the key it sends (which confirmations bind to)."""

    settings: Settings
    operations: dict[str, Operation]
    policy: Policy
    tools: list[types.Tool]
    key_fingerprint: str
    client: InstantlyClient | None = None
    discovery: Discovery | None = None  # --tools discover: the three tools that reach the others
    counters: TenantCounters | None = None  # open sessions and calls per tenant (shared through Redis when set)


def sandbox_transport(settings: Settings) -> httpx2.AsyncBaseTransport:
    """The built-in sandbox served in-process: no port, no network."""
    from instantly_mcp.sandbox import create_app

    return httpx2.ASGITransport(app=create_app(db_path=settings.sandbox_db))


def api_key_in_use(settings: Settings) -> str | None:
    """The server's own key; None with --per-request-key, where every request brings its tenant's."""
    if settings.per_request_key:
        return None
    return SANDBOX_KEY if settings.uses_sandbox else settings.api_key


def make_limiters(settings: Settings) -> LimiterSource:
    """Redis keeps one budget for all replicas and workers; without it each worker gets its share."""
    if settings.redis_url:
        from instantly_mcp.upstream.redis_conn import connect
        from instantly_mcp.upstream.shared_limiter import SharedRateLimiters

        return SharedRateLimiters(connect(settings.redis_url), replicas=settings.replicas * settings.workers)
    return RateLimiters(per_worker_limits(settings.workers))


def make_client(settings: Settings) -> InstantlyClient:
    limiters = make_limiters(settings)
    key = api_key_in_use(settings)
    if settings.uses_sandbox:
        return InstantlyClient(base_url=SANDBOX_BASE_URL, api_key=key, transport=sandbox_transport(settings),
                               timeout=settings.timeout_s, limiters=limiters)
    return InstantlyClient(base_url=settings.base_url, api_key=key, timeout=settings.timeout_s, limiters=limiters)


def announce_backend(settings: Settings) -> None:
    if settings.per_request_key:
        where = "the built-in SANDBOX" if settings.uses_sandbox else f"the Instantly API at {settings.base_url}"
        print(f"instantly-mcp: multi-tenant: each request's {TENANT_KEY_HEADER} header is sent to {where}", file=sys.stderr)
    elif settings.uses_sandbox:
        reason = "--sandbox was given" if settings.sandbox else "INSTANTLY_API_KEY is not set"
        print(
            f"instantly-mcp: serving the built-in SANDBOX ({reason}); no real Instantly workspace is touched. "
            "Set INSTANTLY_API_KEY to use your workspace.",
            file=sys.stderr,
        )
    else:
        print(f"instantly-mcp: using the Instantly API at {settings.base_url}", file=sys.stderr)


def announce_policy(runtime: Runtime) -> None:
    """One stderr line on what the agent gets; a loud one when confirmations are switched off."""
    visible = runtime.policy.visible_operations()
    counts = ", ".join(f"{n} {risk}" for risk, n in risk_counts(visible).items())
    gated = sum(op.risk in GATED_RISKS for op in visible)
    mode = runtime.settings.confirm
    print(f"instantly-mcp: {len(visible)} of {len(runtime.operations)} tools visible ({counts}); confirm mode {mode}", file=sys.stderr)
    if mode == "off" and gated:
        print(
            f"instantly-mcp: WARNING --confirm off: {gated} destructive and outbound tools run WITHOUT asking anyone. "
            "Use this only for trusted automation.",
            file=sys.stderr,
        )
    if mode == "auto" and not runtime.settings.serves_approvals and gated:
        print(
            "instantly-mcp: WARNING no approval pages are served: clients without elicitation get confirm tokens, "
            "which the agent can pass back itself. Use --confirm human, or serve pages (--approvals-port on stdio).",
            file=sys.stderr,
        )
    if runtime.policy.desk is not None and gated and runtime.settings.approver_secret is None:
        print(
            "instantly-mcp: approval pages without --approver-token: whoever can reach them and has an approval link "
            "can approve. Set one when the agent can make HTTP requests to this host itself.",
            file=sys.stderr,
        )
    if runtime.policy.audit is not None:
        print(f"instantly-mcp: audit log of non-read calls: {runtime.policy.audit.path}", file=sys.stderr)


def build_runtime(settings: Settings, *, clock: Callable[[], float] = time.time) -> Runtime:
    """Raises ConfigError for unknown names in the policy flags or a bad INSTANTLY_MCP_MAX_* input
    limit, before anything is served."""
    default_limits()
    operations = dict(load_operations())
    policy = Policy(settings, operations, clock=clock)
    discovery = Discovery(policy) if settings.discover else None
    tools = discovery.tools() if discovery is not None else policy.tools()
    fingerprint = key_fingerprint(api_key_in_use(settings) or "")
    return Runtime(settings=settings, operations=operations, policy=policy, tools=tools, key_fingerprint=fingerprint,
                   discovery=discovery, counters=tenant_counters(settings.redis_url))


def caller_of(ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams) -> Caller:
    async def elicit(message: str) -> types.ElicitResult:
        return await ctx.session.elicit_form(message, CONFIRM_FORM, related_request_id=ctx.request_id)

    async def elicit_url(message: str, url: str, elicitation_id: str) -> types.ElicitResult:
        return await ctx.session.elicit_url(message, url, elicitation_id, related_request_id=ctx.request_id)

    return Caller(
        protocol_version=ctx.protocol_version,
        capabilities=ctx.session.client_capabilities,
        can_send_request=ctx.session.can_send_request,
        elicit=elicit,
        input_responses=params.input_responses,
        request_state=params.request_state,
        elicit_url=elicit_url,
        tenant=principal_of(ctx),
    )


def principal_of(ctx: Any) -> str:
    """Who the HTTP layer authenticated (the tenant, with --per-request-key); empty on stdio."""
    request = getattr(ctx, "request", None)
    user = request.scope.get("user") if request is not None and hasattr(request, "scope") else None
    return str(getattr(user, "username", "") or "")


def instructions_for(settings: Settings) -> str:
    """The server instructions; they say so when a confirmation may end up in the agent's hands."""
    if settings.confirm == "token" or (settings.confirm == "auto" and not settings.serves_approvals):
        return INSTRUCTIONS + " " + AGENT_CONFIRMS
    return INSTRUCTIONS


def build_server(settings: Settings, runtime: Runtime | None = None) -> Server[Runtime]:
    runtime = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: Server[Runtime]) -> AsyncIterator[Runtime]:
        owns_client = runtime.client is None
        if owns_client:
            runtime.client = make_client(settings)
        try:
            yield runtime
        finally:
            if owns_client and runtime.client is not None:
                await runtime.client.aclose()
                runtime.client = None

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=runtime.tools)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        op, arguments = runtime.operations.get(params.name), params.arguments
        if runtime.discovery is not None:  # search/describe answer here; call_tool names the op to run
            routed = runtime.discovery.route(params.name, params.arguments)
            if isinstance(routed, types.CallToolResult):
                return routed
            op, arguments = routed
        if op is None:
            return error_result(f"Unknown tool {params.name!r}. Call tools/list for the available tools.")
        tenant = tenant_of(runtime, ctx)
        if isinstance(tenant, str):
            return error_result(tenant)
        async with counted(runtime.counters, "call", tenant.fingerprint), tracked_call(ctx, tenant.client) as client:
            return await runtime.policy.call(caller_of(ctx, params), op, arguments, client, tenant.fingerprint)

    with warnings.catch_warnings():  # logging/setLevel is deprecated from 2026-07-28; handshake clients use it
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        return Server(
            "instantly-mcp",
            version=__version__,
            title="Instantly.ai",
            instructions=instructions_for(settings),
            lifespan=lifespan,
            on_list_tools=list_tools,
            on_call_tool=call_tool,
            on_set_logging_level=set_logging_level,
        )


async def serve_stdio(settings: Settings, runtime: Runtime | None = None) -> None:
    from mcp.server.stdio import stdio_server

    runtime = runtime or build_runtime(settings)
    server = build_server(settings, runtime)
    desk = runtime.policy.desk
    sock = None
    if desk is not None and settings.approvals_port is not None:
        from instantly_mcp.transport.approval_pages import bind_pages, serve_pages

        sock = bind_pages(settings)
    async with anyio.create_task_group() as tg:
        if desk is not None and sock is not None:
            await tg.start(serve_pages, desk, settings, sock)
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
        tg.cancel_scope.cancel()
