"""The composition root: the one place that reads Settings to build the server's collaborators.

Clients, limiters, stores (in memory, or Redis with --redis-url), the token signer, the audit log,
the drift log, the approval desk, the human channel, the policy and the code runner are built here
and handed in; nothing else builds its own. What the mode does not use is not built (Redis only
with --redis-url, the code runner only with --tools code, the drift log only with --log-drift).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import httpx2
import mcp_types as types
from mcp.shared.inbound import find_invalid_x_mcp_header, x_mcp_header_map

from instantly_mcp import tracing
from instantly_mcp.calls.input_limits import default_limits
from instantly_mcp.catalog.operations import Operation, load_operations
from instantly_mcp.config import SANDBOX_BASE_URL, SANDBOX_KEY, Settings
from instantly_mcp.gates.approvals import ApprovalDesk, ApprovalStore, MemoryApprovalStore
from instantly_mcp.gates.audit import AuditLog
from instantly_mcp.gates.confirm import TokenSigner, process_secret
from instantly_mcp.gates.discovery import Discovery, near_names
from instantly_mcp.gates.human import HumanChannel
from instantly_mcp.gates.lookups import Lookups
from instantly_mcp.gates.policy import Policy
from instantly_mcp.redaction import install_log_scrubber, register
from instantly_mcp.transport.resources import ResourceProvider
from instantly_mcp.transport.sessions import CallCaps
from instantly_mcp.transport.surfaces import CodeSurface, DiscoverSurface, FullSurface, ToolSurface
from instantly_mcp.transport.tenant_caps import TenantCounters, tenant_counters
from instantly_mcp.upstream.client import AnsweredKeys, ConnectionShares, InstantlyClient, key_fingerprint
from instantly_mcp.upstream.ratelimit import LimiterSource, RateLimiters, per_worker_limits
from instantly_mcp.upstream.tenancy import TenantSandboxes

if TYPE_CHECKING:
    from instantly_mcp.codemode.tools import CodeMode
    from instantly_mcp.drift.log import DriftLog
    from instantly_mcp.gates.autonomy import Autonomy
    from instantly_mcp.gates.redis_stores import RedisUsedTokens


@dataclass
class Runtime:
    """What every handler shares: all operations, the policy over them, the visible tool
    definitions, the client and the fingerprint of the key it sends (which confirmations bind to)."""

    settings: Settings
    operations: dict[str, Operation]
    policy: Policy
    surface: ToolSurface  # what tools/list shows and where tools/call goes (full, discover or code)
    listed: dict[str, Any]  # tools/list's answer, dumped once (listed_tools)
    key_fingerprint: str
    client: InstantlyClient | None = None
    discovery: Discovery | None = None  # --tools discover: the three tools that reach the others
    resource_providers: list[ResourceProvider] = field(default_factory=list)  # served beside the workspace's
    call_caps: CallCaps = field(default_factory=lambda: CallCaps(None))  # capped per tenant with --per-request-key
    code: CodeMode | None = None  # --tools code: search_tools and run_code
    counters: TenantCounters | None = None  # open sessions and calls per tenant (shared through Redis when set)

    @cached_property
    def input_schemas(self) -> dict[str, Any]:
        """The inputSchema, by name, of each listed tool that declares an Mcp-Param header (the listed
        answer's own dicts, not copies): the SDK's header check on 2026-07-28 calls can only refuse
        a call to one of those, so for every other tool it is skipped (about 10 µs a call)."""
        return {
            tool["name"]: tool["inputSchema"] for tool in self.listed["tools"] if declares_headers(tool["inputSchema"])
        }

    @property
    def tools(self) -> list[types.Tool]:
        """The listed tools as models, made again from the answer (to read them, not to serve them)."""
        return types.ListToolsResult.model_validate(self.listed).tools


def sandbox_transport(settings: Settings) -> httpx2.AsyncBaseTransport:
    """The built-in sandbox served in-process: no port, no network; one workspace per tenant key
    with --per-request-key."""
    from instantly_mcp.sandbox import create_app

    if settings.per_request_key:
        return TenantSandboxes(settings.sandbox_db, scale=settings.sandbox_scale)
    return httpx2.ASGITransport(app=create_app(db_path=settings.sandbox_db, scale=settings.sandbox_scale))


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
        client = InstantlyClient(
            base_url=SANDBOX_BASE_URL,
            api_key=key,
            transport=sandbox_transport(settings),
            timeout=settings.timeout_s,
            limiters=limiters,
        )
    else:
        client = InstantlyClient(base_url=settings.base_url, api_key=key, timeout=settings.timeout_s, limiters=limiters)
    if settings.per_request_key:  # which tenants' keys upstream answered; each tenant's share of the pool
        client.answered = AnsweredKeys()
        client.shares = ConnectionShares(settings.max_calls_per_tenant)
    return client


def shared_stores(
    settings: Settings, secret: bytes, clock: Callable[[], float]
) -> tuple[ApprovalStore, RedisUsedTokens | None]:
    """Approvals and used tokens in Redis when replicas share them (--redis-url; the records sealed with
    the server secret), else in this process."""
    if not settings.redis_url:
        return MemoryApprovalStore(clock), None
    from instantly_mcp.gates.redis_stores import RedisApprovalStore, RedisUsedTokens
    from instantly_mcp.upstream.redis_conn import connect

    redis = connect(settings.redis_url)
    return RedisApprovalStore(redis, secret, clock), RedisUsedTokens(redis, clock)


def human_channel(
    settings: Settings,
    secret: bytes,
    clock: Callable[[], float],
    store: ApprovalStore,
    used_tokens: RedisUsedTokens | None,
) -> HumanChannel:
    """The signer, the used tokens and, when pages are served, the approval desk."""
    return HumanChannel(
        confirm_mode=settings.confirm,
        confirm_timeout_s=settings.confirm_timeout_s,
        tokens=TokenSigner(secret, clock=clock),
        used_tokens=used_tokens,
        desk=ApprovalDesk(store, clock=clock) if settings.serves_approvals else None,
        discover=settings.discover,
    )


def audit_log(settings: Settings) -> AuditLog | None:
    if not settings.audit_log:
        return None
    secrets = [s for s in (settings.api_key, settings.secret, settings.auth_token) if s]
    return AuditLog(
        settings.audit_log,
        secrets=secrets,
        max_bytes=settings.audit_log_max_bytes,
        backups=settings.audit_log_backups,
    )


def drift_log() -> DriftLog:
    """--log-drift; its module is imported only then."""
    from instantly_mcp.drift.log import DriftLog

    return DriftLog()


def build_policy(
    settings: Settings, operations: dict[str, Operation], *, clock: Callable[[], float] = time.time
) -> Policy:
    secret = settings.secret.encode() if settings.secret else process_secret()  # INSTANTLY_MCP_SECRET
    store, used_tokens = shared_stores(settings, secret, clock)
    return Policy(
        settings,
        operations,
        human=human_channel(settings, secret, clock, store, used_tokens),
        lookups=Lookups(operations),
        store=store,
        audit=audit_log(settings),
        drift=drift_log() if settings.log_drift else None,
        autonomy=load_autonomy(settings, operations, clock),
        clock=clock,
        hint=near_names,
    )


def load_autonomy(
    settings: Settings, operations: Mapping[str, Operation], clock: Callable[[], float]
) -> Autonomy | None:
    """The operator's --policy file, imported and read only when one is given."""
    if not settings.policy:
        return None
    from instantly_mcp.gates.autonomy import load_autonomy as load

    return load(settings.policy, operations, clock, settings.redis_url)


def code_mode(policy: Policy, settings: Settings) -> CodeMode:
    """--tools code; pydantic-monty is imported only then."""
    from instantly_mcp.codemode.tools import CodeMode

    return CodeMode(policy, settings)


def listed_tools(tools: list[types.Tool]) -> dict[str, Any]:
    """tools/list's answer dumped once, as the SDK dumps a result (by alias, without nulls): each
    list then copies no tool, and the Tool models are not kept beside it (about 1 MB less at the
    peak of listing 255 tools). The SDK shapes it once per protocol version (ShapedToolList)."""
    return types.ListToolsResult(tools=tools).model_dump(by_alias=True, mode="json", exclude_none=True)


def build_runtime(settings: Settings, *, clock: Callable[[], float] = time.time) -> Runtime:
    """Raises ConfigError for unknown names in the policy flags or a bad INSTANTLY_MCP_MAX_* input
    limit, before anything is served."""
    default_limits()
    key = api_key_in_use(settings)
    register(key, settings.api_key, settings.auth_token, settings.secret)
    install_log_scrubber()
    tracing.configure()
    operations = dict(load_operations())
    policy = build_policy(settings, operations, clock=clock)
    discovery = Discovery(policy) if settings.discover else None
    code = code_mode(policy, settings) if settings.code else None
    surface: ToolSurface = (
        DiscoverSurface(discovery)
        if discovery is not None
        else CodeSurface(code)
        if code is not None
        else FullSurface(policy)
    )
    fingerprint = key_fingerprint(key or "")
    counters = tenant_counters(settings.redis_url)
    call_caps = CallCaps(settings.max_calls_per_tenant if settings.per_request_key else None, counters)
    return Runtime(
        settings=settings,
        operations=operations,
        policy=policy,
        surface=surface,
        listed=listed_tools(surface.tools()),
        key_fingerprint=fingerprint,
        discovery=discovery,
        call_caps=call_caps,
        code=code,
        counters=counters,
    )


def declares_headers(schema: Any) -> bool:
    """Whether a tool's schema annotates a property with x-mcp-header in a form the SDK checks."""
    return find_invalid_x_mcp_header(schema) is None and bool(x_mcp_header_map(schema))
