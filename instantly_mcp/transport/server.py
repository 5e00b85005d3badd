"""Builds the MCP server: tools/list and tools/call over one shared Instantly client."""

from __future__ import annotations

import sys
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types.methods import validate_client_request

from instantly_mcp import __version__
from instantly_mcp.calls.pipeline import error_result
from instantly_mcp.catalog.effects import gate_of
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.config import Settings
from instantly_mcp.errors import PromptError
from instantly_mcp.gates.audit import acting_principal
from instantly_mcp.gates.confirm import CONFIRM_FORM, Caller
from instantly_mcp.gates.controls import SERVER_ARGUMENTS, risk_summary
from instantly_mcp.gates.discovery import near_names
from instantly_mcp.gates.filter import unknown_tool
from instantly_mcp.redaction import call_secrets, scrub, scrub_text
from instantly_mcp.transport.auth import TENANT_KEY_HEADER, header_key, principal_of, tenant_of
from instantly_mcp.transport.progress import set_logging_level, tracked_call
from instantly_mcp.transport.resources import RESOURCE_NOT_FOUND, WorkspaceResources
from instantly_mcp.transport.runtime import Runtime, build_runtime, make_client
from instantly_mcp.upstream.tenancy import Tenant

if TYPE_CHECKING:
    from instantly_mcp.codemode.tools import Script
    from instantly_mcp.transport import prompts

INSTRUCTIONS = (
    "Tools for the Instantly.ai API V2 (cold email): campaigns, leads, sending accounts, unibox emails, "
    "analytics, deliverability. List tools paginate with starting_after / next_starting_after. " + SERVER_ARGUMENTS
)
AGENT_CONFIRMS = (
    "When this client cannot ask its user (no elicitation), confirmation is up to you: "
    "pass confirm_token only after the user agreed."
)


def announce_backend(settings: Settings) -> None:
    if settings.per_request_key:
        where = "the built-in SANDBOX" if settings.uses_sandbox else f"the Instantly API at {settings.base_url}"
        print(
            f"instantly-mcp: multi-tenant: each request's {TENANT_KEY_HEADER} header is sent to {where}",
            file=sys.stderr,
        )
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
    counts = risk_summary(visible)
    gated = sum(gate_of(op.name) != "runs" for op in visible)
    mode = runtime.settings.confirm
    print(
        f"instantly-mcp: {len(visible)} of {len(runtime.operations)} tools visible ({counts}); confirm mode {mode}",
        file=sys.stderr,
    )
    if mode == "off" and gated:
        print(
            f"instantly-mcp: WARNING --confirm off: {gated} tools that can email people, run agents, grant access, "
            "send data out, spend credits or delete "
            "run WITHOUT asking anyone. "
            "Use this only for trusted automation.",
            file=sys.stderr,
        )
    if mode == "auto" and not runtime.settings.serves_approvals and gated:
        print(
            "instantly-mcp: WARNING no approval pages are served: clients without elicitation get confirm tokens, "
            "which the agent can pass back itself. Use --confirm human, or serve pages (--approvals-port on stdio).",
            file=sys.stderr,
        )
    if runtime.policy.audit is not None:
        print(f"instantly-mcp: audit log of non-read calls: {runtime.policy.audit.path}", file=sys.stderr)
    if (autonomy := runtime.policy.autonomy) is not None:
        where = "shared by every replica through Redis" if autonomy.store.shared else "PER PROCESS (no --redis-url)"
        print(
            f"instantly-mcp: autonomy policy {autonomy.policy.path}: {len(autonomy.policy.rules)} rules; "
            f"its counters are {where}",
            file=sys.stderr,
        )


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
        tenant=principal_of(ctx.request),
    )


def instructions_for(settings: Settings) -> str:
    """The server instructions; they say so when a confirmation may end up in the agent's hands."""
    if settings.code:
        from instantly_mcp.codemode.tools import INSTRUCTIONS as CODE_INSTRUCTIONS

        return CODE_INSTRUCTIONS
    if settings.confirm == "token" or (settings.confirm == "auto" and not settings.serves_approvals):
        return INSTRUCTIONS + " " + AGENT_CONFIRMS
    return INSTRUCTIONS


async def run_operation(
    runtime: Runtime,
    ctx: ServerRequestContext[Any, Any],
    params: types.CallToolRequestParams,
    op: Operation | None,
    arguments: dict[str, Any] | None,
    script: Script | None = None,
) -> types.CallToolResult | types.InputRequiredResult:
    """One operation (or a run_code script) for the caller of this request (a tool call, or a read
    behind a resource): the tenant's client and fingerprint, the caller's identity for the audit, then the policy."""
    tenant = tenant_of(
        runtime.client, runtime.key_fingerprint, per_request_key=runtime.settings.per_request_key, ctx=ctx
    )
    if isinstance(tenant, str):
        return error_result(tenant)
    async with runtime.call_caps.slot(tenant.fingerprint) as admitted:
        if not admitted:
            return error_result(
                f"Too many calls in flight for this tenant (at most {runtime.call_caps.per_tenant}); "
                "wait for one to finish, then retry. Nothing was sent."
            )
        return await run_as(runtime, ctx, params, op, arguments, tenant, script)


async def run_as(
    runtime: Runtime,
    ctx: ServerRequestContext[Any, Any],
    params: types.CallToolRequestParams,
    op: Operation | None,
    arguments: dict[str, Any] | None,
    tenant: Tenant,
    script: Script | None = None,
) -> types.CallToolResult | types.InputRequiredResult:
    """The policy's call (or a run_code script) as this tenant, with the caller's identity for the
    audit and every secret in play scrubbed from the answer."""
    acting = acting_principal.set(tenant.principal)
    try:
        with call_secrets(header_key(ctx)):
            async with tracked_call(ctx, tenant.client) as client:
                caller = caller_of(ctx, params)
                if script is not None and runtime.code is not None:
                    result = await runtime.code.runner.run(
                        script.source,
                        dry_run=script.dry_run,
                        caller=caller,
                        client=client,
                        fingerprint=tenant.fingerprint,
                        approval_id=script.approval_id,
                    )
                else:
                    assert op is not None
                    result = await runtime.policy.call(caller, op, arguments, client, tenant.fingerprint)
            return scrubbed(result)
    finally:
        acting_principal.reset(acting)


def scrubbed(
    result: types.CallToolResult | types.InputRequiredResult,
) -> types.CallToolResult | types.InputRequiredResult:
    """The result without any secret in play, in its text and its structured content; the same
    object when there was none to cut (nearly always)."""
    if not isinstance(result, types.CallToolResult):
        return result  # an elicitation: its message is the summary, scrubbed where it is made
    content = [scrubbed_block(c) for c in result.content]
    structured = scrub(result.structured_content)
    if structured is result.structured_content and all(a is b for a, b in zip(content, result.content, strict=True)):
        return result
    return result.model_copy(update={"content": content, "structured_content": structured})


def scrubbed_block(block: types.ContentBlock) -> types.ContentBlock:
    if not isinstance(block, types.TextContent):
        return block
    clean = scrub_text(block.text)
    return block if clean == block.text else block.model_copy(update={"text": clean})


def workspace_reader(runtime: Runtime, ctx: ServerRequestContext[Any, Any]) -> prompts.Reader:
    """Read tools run for prompt completions, through the same filter, pipeline, caps and tenant
    client as tools/call; a refused or failed read reads as None."""

    async def read(name: str, arguments: dict[str, Any]) -> Any:
        op = runtime.operations.get(name)
        if op is None or op.risk != "read":
            return None
        params = types.CallToolRequestParams(name=name, arguments=arguments)
        from instantly_mcp.transport import prompts

        return prompts.parsed(await run_operation(runtime, ctx, params, op, arguments))

    return read


class ShapedToolList:
    """tools/list as the SDK shaped it, kept after the first answer of each protocol version.

    The SDK validates every tools/list answer against the protocol's schema and dumps it again: for
    255 tools, 7 ms and a 0.9 MB copy per answer. Sessions that start together (32 agents after a
    restart) held 32 copies at once, and the 26 MB of RSS they took stayed. The list does not change
    while the server runs, so the first answer of each version is served again. A request the SDK
    would refuse (params that do not validate; any before the session's initialize) is checked the
    SDK's way, or goes the whole way."""

    def __init__(self) -> None:
        self._shaped: dict[str, Any] = {}

    async def middleware(self, ctx: ServerRequestContext[Any, Any], call_next: Any) -> Any:
        if ctx.method != "tools/list":
            return await call_next(ctx)
        shaped = self._shaped.get(ctx.protocol_version)
        if shaped is not None and ctx.session.client_params is not None:
            validate_client_request(ctx.method, ctx.protocol_version, ctx.params)
            return shaped
        answer = await call_next(ctx)
        self._shaped.setdefault(ctx.protocol_version, answer)
        return answer


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
            if runtime.code is not None:
                await runtime.code.aclose()

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams) -> dict[str, Any]:
        return runtime.listed  # the SDK copies the answer before shaping it, so this one is never changed

    def input_schema(name: str) -> dict[str, Any] | None:
        """For the SDK's Mcp-Param header check on 2026-07-28 HTTP calls, which without it runs
        tools/list (every tool, validated and copied) for each tools/call that has arguments."""
        return runtime.input_schemas.get(name)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        routed = runtime.surface.route(params.name, params.arguments)
        if isinstance(routed, types.CallToolResult):  # search, describe, a mistake: answered by the surface
            return routed
        if routed.script is not None:
            return await run_operation(runtime, ctx, params, None, None, routed.script)
        if routed.op is None:  # a hidden tool answers alike, from the policy, which audits the refusal
            return error_result(unknown_tool(params.name, near_names(params.name, runtime.policy)))
        return await run_operation(runtime, ctx, params, routed.op, routed.arguments)

    with warnings.catch_warnings():  # logging/setLevel is deprecated from 2026-07-28; handshake clients use it
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        server = Server(
            "instantly-mcp",
            version=__version__,
            title="Instantly.ai",
            instructions=instructions_for(settings),
            lifespan=lifespan,
            get_tool_input_schema=input_schema,
            on_call_tool=call_tool,
            on_set_logging_level=set_logging_level,
            **resource_handlers(runtime),
            **prompt_handlers(runtime),
        )
    # registered by method, which takes the answer already dumped (on_list_tools wants a ListToolsResult)
    server.add_request_handler("tools/list", types.PaginatedRequestParams, list_tools)
    server.middleware.append(ShapedToolList().middleware)
    return server


def resource_handlers(runtime: Runtime) -> dict[str, Any]:
    """resources/list, templates and read: each read is a call of read tools through run_operation."""
    resources = WorkspaceResources(lambda name: runtime.policy.is_visible(runtime.operations[name]))

    async def read_tool(ctx: ServerRequestContext[Any, Any], name: str, arguments: dict[str, Any]) -> str:
        params = types.CallToolRequestParams(name=name, arguments=arguments)
        result = await run_operation(runtime, ctx, params, runtime.operations[name], arguments)
        text = "".join(c.text for c in getattr(result, "content", []) if isinstance(c, types.TextContent))
        if not isinstance(result, types.CallToolResult) or result.is_error:
            raise MCPError(code=types.INTERNAL_ERROR, message=text or f"{name} gave no answer")
        return text

    async def list_resources(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        page = await resources.list_page(params.cursor if params else None, lambda n, a: read_tool(ctx, n, a))
        if not (params and params.cursor):
            page.resources[:0] = [r for provider in runtime.resource_providers for r in provider.resources()]
        return page

    async def list_templates(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        extra = [t for provider in runtime.resource_providers for t in provider.templates()]
        return types.ListResourceTemplatesResult(resource_templates=extra + resources.templates())

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        for provider in runtime.resource_providers:
            if (found := await provider.read(params.uri)) is not None:
                return found
        read = await resources.read(params.uri, lambda n, a: read_tool(ctx, n, a))
        if read is None:
            raise MCPError(
                code=RESOURCE_NOT_FOUND, message=f"Unknown resource {params.uri}: see resources/templates/list"
            )
        return read

    return {
        "on_list_resources": list_resources,
        "on_list_resource_templates": list_templates,
        "on_read_resource": read_resource,
    }


def prompt_handlers(runtime: Runtime) -> dict[str, Any]:
    """The five job prompts, and completion of their arguments from the workspace (prompts.py is
    imported when a client first asks for them)."""

    async def list_prompts(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        from instantly_mcp.transport import prompts

        return types.ListPromptsResult(prompts=prompts.list_prompts())

    async def get_prompt(ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        from instantly_mcp.transport import prompts

        try:
            return prompts.get_prompt(params.name, params.arguments, discover=runtime.discovery is not None)
        except PromptError as exc:
            raise MCPError(code=types.INVALID_PARAMS, message=str(exc)) from None

    async def complete(
        ctx: ServerRequestContext[Any, Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        from instantly_mcp.transport import prompts

        return await prompts.complete(params, workspace_reader(runtime, ctx))

    return {"on_list_prompts": list_prompts, "on_get_prompt": get_prompt, "on_completion": complete}
