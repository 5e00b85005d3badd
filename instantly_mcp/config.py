"""Settings: every knob in one validated place, from flags and environment variables.

Each setting is one field of `Settings` declared with `setting(...)`: its default, flag, environment
variable, help and bounds side by side. The command line (cli.py), the environment (`env_settings`),
the range checks (`Settings.__post_init__`) and the README's settings table (scripts/generate.py) are
all read from those fields, so adding a setting is one field plus the code that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from typing import Any, Literal, get_args

from instantly_mcp.errors import ConfigError

DEFAULT_BASE_URL = "https://api.instantly.ai"
SANDBOX_BASE_URL = "http://sandbox.instantly-mcp.local"
SANDBOX_KEY = "sandbox-demo-key"
SANDBOX_SCALES = ("demo", "large")

Transport = Literal["stdio", "sse", "http"]
TRANSPORTS: tuple[str, ...] = get_args(Transport)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
ConfirmMode = Literal["auto", "human", "elicit", "token", "off"]
LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)
DISCOVER = "discover"
CODE = "code"
MODES = (DISCOVER, CODE)
MIN_RESULT_CHARS = 1_000
MIN_AUDIT_LOG_BYTES = 64 * 1024
MIN_SECRET_BYTES = 32
CONFIRM_MODES: tuple[str, ...] = get_args(ConfirmMode)
HTTP_URL = ("http://", "https://")

# Flag groups, in the order --help shows them; the first three are the server's (serve, tools,
# doctor), the others only make sense when serving (serve).
SERVER, POLICY, CODE_LIMITS = "", "what the agent may see and do", "--tools code: limits per run_code script"
HOSTING, OAUTH, CAPS = (
    "transport and HTTP hosting",
    "OAuth 2.1 resource server (instead of --auth-token)",
    "caps per tenant and per server (HTTP)",
)
SERVER_GROUPS = (SERVER, POLICY, CODE_LIMITS)
HOSTING_GROUPS = (HOSTING, OAUTH, CAPS)


@dataclass(frozen=True)
class Meta:
    """What a setting's field says about it besides its default (the metadata of `setting`)."""

    help: str
    flag: str | None = None  # --name; None: environment only
    env: str | None = None
    group: str = SERVER
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    low: float | None = None  # at least this
    high: float | None = None  # at most this
    above: float | None = None  # more than this
    schemes: tuple[str, ...] = ()  # the value starts with one of these
    example: str = ""  # shown after a refused scheme
    shown: str | None = None  # the default as help and README say it (None: from the field)
    file_flag: str | None = None  # --name-file PATH: the value from a file's first line
    file_env: str | None = None
    separators: str = ","  # for lists
    off: bool = False  # the flag takes 'off' for None
    parse_env: Callable[[str, str], object] | None = None  # None: by the default's type

    @property
    def name(self) -> str:
        """How errors name the setting: its flag, or its variable."""
        return self.flag or self.env or "?"


def setting(default: Any, help: str, **meta: Any) -> Any:
    """A Settings field with its flag, variable, help and bounds as metadata (see Meta)."""
    secret = meta.pop("secret", False)
    return field(default=default, repr=not secret, metadata={"setting": Meta(help=help, **meta)})


def meta_of(f: Field[Any]) -> Meta:
    meta: Meta = f.metadata["setting"]
    return meta


@dataclass(frozen=True)
class Settings:
    api_key: str | None = setting(None, "API key", env="INSTANTLY_API_KEY", shown="none: the sandbox is served")
    base_url: str = setting(
        DEFAULT_BASE_URL,
        "Instantly API base; may end in /api/v2",
        flag="--base-url",
        env="INSTANTLY_BASE_URL",
        schemes=HTTP_URL,
    )
    sandbox: bool = setting(False, "serve the built-in sandbox even when INSTANTLY_API_KEY is set", flag="--sandbox")
    sandbox_db: str | None = setting(
        None, "persist the sandbox workspace to this SQLite file", flag="--sandbox-db", metavar="PATH"
    )
    sandbox_scale: str = setting(
        "demo",
        "demo: a small team; large: 50 campaigns, 20,000 leads, 50,000 emails",
        flag="--sandbox-scale",
        choices=SANDBOX_SCALES,
    )
    timeout_s: float = setting(30.0, "seconds per upstream request", flag="--timeout", metavar="S", above=0)
    max_result_chars: int = setting(
        20_000,
        "cut longer results, saying so and giving the cursor to continue",
        flag="--max-result-chars",
        env="INSTANTLY_MAX_RESULT_CHARS",
        metavar="N",
        low=MIN_RESULT_CHARS,
    )
    scopes: tuple[str, ...] = setting(
        ("all:all",),
        "granted scopes, e.g. campaigns:read,leads:all",
        flag="--scopes",
        env="INSTANTLY_SCOPES",
        group=POLICY,
        metavar="LIST",
    )
    toolsets: tuple[str, ...] = setting(
        (),
        "only these groups, e.g. campaigns,leads,analytics",
        flag="--toolsets",
        env="INSTANTLY_TOOLSETS",
        group=POLICY,
        metavar="LIST",
        shown="all",
    )
    tools: tuple[str, ...] = setting(
        (),
        "only these tools, by name; or 'discover': list only search_tools, describe_tool and "
        "call_tool; or 'code': search_tools and run_code",
        flag="--tools",
        env="INSTANTLY_TOOLS",
        group=POLICY,
        metavar="LIST",
    )
    read_only: bool = setting(
        False,
        "hide every tool that changes something",
        flag="--read-only",
        env="INSTANTLY_READ_ONLY",
        group=POLICY,
    )
    confirm: ConfirmMode = setting(
        "auto",
        "how destructive, outbound and privileged calls are confirmed: auto (form elicitation, "
        "else URL elicitation, else an approval page, else a confirm token), human (never a token), "
        "elicit, token, or off for trusted automation",
        flag="--confirm",
        env="INSTANTLY_CONFIRM",
        group=POLICY,
        choices=CONFIRM_MODES,
        parse_env=lambda name, value: value.strip().lower(),
    )
    policy: str | None = setting(
        None,
        "the operator's autonomy policy (TOML): which calls run unattended within which limits, which ask "
        "a person, which are refused; see docs/policies/",
        flag="--policy",
        env="INSTANTLY_MCP_POLICY",
        group=POLICY,
        metavar="PATH",
    )
    confirm_timeout_s: float = setting(
        120.0,
        "seconds a call waits for a person's answer",
        flag="--confirm-timeout",
        group=POLICY,
        metavar="S",
        above=0,
    )
    # Approval pages (approval_pages.py): on HTTP at /approvals; on stdio on 127.0.0.1:approvals_port
    # (0: any free port, the default in --confirm auto and human; None: no pages).
    approvals_port: int | None = setting(
        0,
        "stdio: serve the approval pages on 127.0.0.1:N",
        flag="--approvals-port",
        group=POLICY,
        metavar="N",
        low=0,
        high=65535,
        shown="any free port; 'off': none",
        off=True,
    )
    approver_token: str | None = setting(
        None,
        "the operator's approver credential: required by the approvals index and buttons",
        flag="--approver-token",
        env="INSTANTLY_MCP_APPROVER_TOKEN",
        group=POLICY,
        metavar="TOKEN",
        shown="the installation's secret file",
        secret=True,
    )
    log_drift: bool = setting(
        False,
        "log, once per operation and field, where Instantly's answers differ from the spec, never values",
        flag="--log-drift",
        env="INSTANTLY_LOG_DRIFT",
        group=POLICY,
    )
    audit_log: str | None = setting(
        None,
        "append one JSON line per non-read call",
        flag="--audit-log",
        env="INSTANTLY_AUDIT_LOG",
        group=POLICY,
        metavar="PATH",
    )
    audit_log_max_bytes: int = setting(
        10 * 1024 * 1024,
        "rotate the audit log to PATH.1 when it would pass N bytes",
        flag="--audit-log-max-bytes",
        env="INSTANTLY_AUDIT_LOG_MAX_BYTES",
        group=POLICY,
        metavar="N",
        low=MIN_AUDIT_LOG_BYTES,
        shown="10 MiB",
    )
    audit_log_backups: int = setting(
        3,
        "rotated audit logs kept, PATH.1 to PATH.N",
        flag="--audit-log-backups",
        env="INSTANTLY_AUDIT_LOG_BACKUPS",
        group=POLICY,
        metavar="N",
        low=0,
    )
    raw_csv: bool = setting(
        False,
        "return CSV downloads as sent, without neutralising formula-like cells",
        flag="--raw-csv",
        env="INSTANTLY_RAW_CSV",
        group=POLICY,
    )
    code_timeout_s: float = setting(
        30.0, "wall time", flag="--code-timeout", env="INSTANTLY_CODE_TIMEOUT", group=CODE_LIMITS, metavar="S", above=0
    )
    code_memory_mb: int = setting(
        64, "heap", flag="--code-memory-mb", env="INSTANTLY_CODE_MEMORY_MB", group=CODE_LIMITS, metavar="MB", above=0
    )
    code_max_calls: int = setting(
        200,
        "API calls",
        flag="--code-max-calls",
        env="INSTANTLY_CODE_MAX_CALLS",
        group=CODE_LIMITS,
        metavar="N",
        above=0,
    )
    code_max_depth: int = setting(
        200,
        "recursion",
        flag="--code-max-depth",
        env="INSTANTLY_CODE_MAX_DEPTH",
        group=CODE_LIMITS,
        metavar="N",
        above=0,
    )
    code_workers: int = setting(
        8,
        "script workers (processes) at once; on a multi-tenant server one tenant holds at most N-1",
        flag="--code-workers",
        env="INSTANTLY_CODE_WORKERS",
        group=CODE_LIMITS,
        metavar="N",
        above=0,
    )
    secret: str | None = setting(
        None,
        f"confirmation-token secret shared by replicas (at least {MIN_SECRET_BYTES} bytes)",
        env="INSTANTLY_MCP_SECRET",
        shown="random per process",
        parse_env=lambda name, value: value,
        secret=True,
    )
    transport: Transport = setting(
        "stdio",
        "stdio; http: streamable HTTP at /mcp plus legacy SSE at /sse; sse: legacy SSE only",
        flag="--transport",
        group=HOSTING,
        choices=TRANSPORTS,
    )
    host: str = setting(
        "127.0.0.1", "address to listen on (needs --transport http or sse)", flag="--host", group=HOSTING
    )
    port: int = setting(
        8000, "port to listen on (needs --transport http or sse)", flag="--port", group=HOSTING, low=1, high=65535
    )
    auth_token: str | None = setting(
        None,
        "require Authorization: Bearer TOKEN on the MCP endpoints; visible in ps, so prefer --auth-token-file "
        "or the variable",
        flag="--auth-token",
        env="INSTANTLY_MCP_AUTH_TOKEN",
        group=HOSTING,
        metavar="TOKEN",
        file_flag="--auth-token-file",
        file_env="INSTANTLY_MCP_AUTH_TOKEN_FILE",
        secret=True,
    )
    per_request_key: bool = setting(
        False,
        "multi-tenant: every request carries its own Instantly key in the X-Instantly-Api-Key header",
        flag="--per-request-key",
        group=HOSTING,
    )
    stateless: bool = setting(
        False,
        "no per-session state: any replica or worker answers any request (http only; no /sse)",
        flag="--stateless",
        group=HOSTING,
    )
    workers: int = setting(1, "worker processes (needs --stateless)", flag="--workers", group=HOSTING, low=1)
    resumable_streams: bool = setting(
        False,
        "keep each session's streamable HTTP events so that a client that lost a stream resumes it with "
        "Last-Event-ID: worth it where networks drop long calls (approvals, code mode), and costs every call "
        "an extra event",
        flag="--resumable-streams",
        env="INSTANTLY_MCP_RESUMABLE_STREAMS",
        group=HOSTING,
    )
    allowed_hosts: tuple[str, ...] = setting(
        (),
        "Host header values accepted besides localhost, e.g. mcp.example.com; '*' for any",
        flag="--allowed-hosts",
        env="INSTANTLY_MCP_ALLOWED_HOSTS",
        group=HOSTING,
        metavar="LIST",
    )
    allowed_origins: tuple[str, ...] = setting(
        (),
        "browser Origins accepted besides localhost, e.g. https://app.example.com",
        flag="--allowed-origins",
        env="INSTANTLY_MCP_ALLOWED_ORIGINS",
        group=HOSTING,
        metavar="LIST",
    )
    public_url: str | None = setting(
        None,
        "this server as browsers reach it, e.g. https://mcp.example.com, for approval links",
        flag="--public-url",
        env="INSTANTLY_MCP_PUBLIC_URL",
        group=HOSTING,
        metavar="URL",
        schemes=HTTP_URL,
    )
    # Scale-out (upstream/shared_limiter.py, gates/redis_stores.py): Redis holds the limiter, used
    # tokens, approvals and tenant counts.
    redis_url: str | None = setting(
        None,
        "share the rate budget, confirmations, approvals and tenant counts between replicas through Redis, "
        "e.g. redis://127.0.0.1:6379/0",
        flag="--redis-url",
        env="INSTANTLY_MCP_REDIS_URL",
        group=HOSTING,
        metavar="URL",
        schemes=("redis://", "rediss://", "unix://"),
        example="redis://127.0.0.1:6379/0",
        secret=True,  # may carry a password
    )
    replicas: int = setting(
        1,
        "replicas sharing one budget: each keeps 1/N of it while Redis is unreachable",
        flag="--replicas",
        env="INSTANTLY_MCP_REPLICAS",
        group=HOSTING,
        metavar="N",
        low=1,
    )
    log_format: LogFormat = setting(
        "text",
        "text or json: one JSON object per log line",
        flag="--log-format",
        env="INSTANTLY_MCP_LOG_FORMAT",
        group=HOSTING,
        choices=LOG_FORMATS,
        parse_env=lambda name, value: value.strip().lower(),
    )
    oauth_issuer: str | None = setting(
        None,
        "accept JWT access tokens from this authorization server",
        flag="--oauth-issuer",
        env="INSTANTLY_MCP_OAUTH_ISSUER",
        group=OAUTH,
        metavar="URL",
        schemes=HTTP_URL,
    )
    oauth_resource: str | None = setting(
        None,
        "this server's MCP URL as clients reach it, e.g. https://mcp.example.com/mcp",
        flag="--oauth-resource",
        env="INSTANTLY_MCP_OAUTH_RESOURCE",
        group=OAUTH,
        metavar="URL",
        schemes=HTTP_URL,
        shown="http://HOST:PORT/mcp",
    )
    oauth_audience: str | None = setting(
        None,
        "the aud tokens must carry",
        flag="--oauth-audience",
        env="INSTANTLY_MCP_OAUTH_AUDIENCE",
        group=OAUTH,
        metavar="AUD",
        shown="the resource URL",
    )
    oauth_scopes: tuple[str, ...] = setting(
        (),
        "scopes every token must have",
        flag="--oauth-scopes",
        env="INSTANTLY_MCP_OAUTH_SCOPES",
        group=OAUTH,
        metavar="LIST",
        separators=", ",
    )
    oauth_jwks_url: str | None = setting(
        None,
        "the issuer's JWKS",
        flag="--oauth-jwks-url",
        env="INSTANTLY_MCP_OAUTH_JWKS_URL",
        group=OAUTH,
        metavar="URL",
        schemes=HTTP_URL,
        shown="from its metadata",
    )
    oauth_client_id: str | None = setting(
        None,
        "the approval page's sign-in client",
        flag="--oauth-client-id",
        env="INSTANTLY_MCP_OAUTH_CLIENT_ID",
        group=OAUTH,
        metavar="ID",
        shown="registered with the issuer",
    )
    shutdown_timeout_s: float = setting(
        30.0,
        "seconds the calls in flight get to finish on shutdown",
        flag="--shutdown-timeout",
        group=HOSTING,
        metavar="S",
    )
    request_read_timeout_s: float = setting(
        10.0,
        "seconds a client gets to send a request's headers, and then its body, before the connection is closed",
        flag="--request-read-timeout",
        env="INSTANTLY_MCP_REQUEST_READ_TIMEOUT",
        group=HOSTING,
        metavar="S",
        above=0,
    )
    # Caps that keep one tenant from locking the others out: see transport/sessions.py
    max_sessions: int = setting(
        1_000,
        "open sessions in all; at the cap the idlest session of the busiest tenant is closed",
        flag="--max-sessions",
        env="INSTANTLY_MCP_MAX_SESSIONS",
        group=CAPS,
        metavar="N",
        above=0,
    )
    max_sessions_per_tenant: int = setting(
        20,
        "open sessions per tenant key",
        flag="--max-sessions-per-tenant",
        env="INSTANTLY_MCP_MAX_SESSIONS_PER_TENANT",
        group=CAPS,
        metavar="N",
        above=0,
    )
    session_idle_timeout_s: float = setting(
        300.0,
        "close a session after S seconds without a request",
        flag="--session-idle-timeout",
        env="INSTANTLY_MCP_SESSION_IDLE_TIMEOUT",
        group=CAPS,
        metavar="S",
        above=0,
    )
    max_calls_per_tenant: int = setting(
        8,
        "tool calls in flight per tenant key, which is also its share of the upstream connection pool",
        flag="--max-calls-per-tenant",
        env="INSTANTLY_MCP_MAX_CALLS_PER_TENANT",
        group=CAPS,
        metavar="N",
        above=0,
    )

    def __post_init__(self) -> None:
        for f in fields(self):
            check_value(meta_of(f), getattr(self, f.name), shown=f.repr)
        for mode in MODES:
            if mode in self.tools and len(self.tools) > 1:
                raise ConfigError(f"--tools {mode} stands alone; narrow it with --toolsets, --scopes or --read-only")
        if self.code and self.code_workers < 2 and self.multi_tenant:
            raise ConfigError(
                "--code-workers 1 on a multi-tenant server lets one tenant's script hold the only worker; "
                "give 2 or more"
            )
        if self.secret is not None and len(self.secret.encode()) < MIN_SECRET_BYTES:
            raise ConfigError(
                f"INSTANTLY_MCP_SECRET must be at least {MIN_SECRET_BYTES} bytes (it signs confirmations); "
                "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        if self.policy and self.confirm == "off":
            raise ConfigError(
                "--policy needs a person to ask (its ask rules and limits): use --confirm auto or human, not off"
            )
        self._check_hosting()
        self._check_oauth()

    def _check_hosting(self) -> None:
        """The HTTP options that only make sense together, refused at start-up rather than half-applied."""
        http = self.transport != "stdio"
        if self.approver_token and self.auth_token and self.approver_token == self.auth_token:
            raise ConfigError(
                "--approver-token must differ from the platform bearer token (INSTANTLY_MCP_AUTH_TOKEN), "
                "which every client sends; omit it to use the installation's approver secret file"
            )
        if self.per_request_key and not http:
            raise ConfigError(
                "--per-request-key needs --transport http or sse: on stdio there are no requests to carry a key"
            )
        if self.per_request_key and self.api_key and not self.sandbox:
            raise ConfigError(
                "INSTANTLY_API_KEY is set together with --per-request-key; unset it, so that no request "
                "without its own X-Instantly-Api-Key header can fall back to the server's workspace"
            )
        if self.stateless and self.transport != "http":
            raise ConfigError("--stateless needs --transport http (legacy SSE keeps a session per connection)")
        if self.resumable_streams and (self.transport != "http" or self.stateless):
            raise ConfigError(
                "--resumable-streams needs --transport http without --stateless: streams resume within a session"
            )
        if self.workers > 1 and not (self.transport == "http" and self.stateless):
            raise ConfigError(
                f"--workers {self.workers} needs --transport http --stateless: a session lives in one worker process, "
                "and the next request of a client may reach another one"
            )
        if http and not is_loopback(self.host) and not self.allowed_hosts:
            raise ConfigError(
                f"--host {self.host} accepts connections from other machines: name the host names clients use "
                "with --allowed-hosts (e.g. mcp.example.com), or --allowed-hosts '*' behind a proxy that checks Host"
            )

    def _check_oauth(self) -> None:
        """OAuth options without an issuer, or next to a second way of guarding the same endpoints."""
        if self.oauth_issuer is None:
            if (
                self.oauth_scopes
                or self.oauth_resource
                or self.oauth_audience
                or self.oauth_jwks_url
                or self.oauth_client_id
            ):
                raise ConfigError(
                    "--oauth-scopes, --oauth-resource, --oauth-audience, --oauth-jwks-url and --oauth-client-id "
                    "need --oauth-issuer"
                )
            return
        if self.transport == "stdio":
            raise ConfigError(
                "--oauth-issuer needs --transport http or sse: on stdio the client starts the server itself"
            )
        if self.auth_token:
            raise ConfigError(
                "--oauth-issuer and --auth-token (INSTANTLY_MCP_AUTH_TOKEN) both guard the endpoints: choose one"
            )

    def __repr__(self) -> str:
        shown = "set" if self.api_key else "unset"
        return (
            f"Settings(api_key={shown}, base_url={self.base_url!r}, sandbox={self.sandbox}, "
            f"transport={self.transport!r})"
        )

    @property
    def serves_approvals(self) -> bool:
        """Approval pages in this process: a person's channel for --confirm auto and human. Not with
        several workers unless Redis holds the approvals: one made on one would be unknown to the others."""
        if self.confirm not in ("auto", "human") or (self.workers > 1 and not self.redis_url):
            return False
        return self.transport != "stdio" or self.approvals_port is not None

    @property
    def discover(self) -> bool:
        """--tools discover: list search_tools, describe_tool and call_tool instead of every tool."""
        return self.tools == (DISCOVER,)

    @property
    def code(self) -> bool:
        """--tools code: list search_tools and run_code (scripts call the others)."""
        return self.tools == (CODE,)

    @property
    def tool_names(self) -> tuple[str, ...]:
        """The --tools allow-list (empty: no allow-list, which discover and code mode also mean)."""
        return () if self.discover or self.code else self.tools

    @property
    def multi_tenant(self) -> bool:
        """Several tenants share this server: each request brings its key, or OAuth names its user."""
        return self.per_request_key or self.oauth_issuer is not None

    @property
    def uses_sandbox(self) -> bool:
        """No key means the built-in sandbox; a key (or --per-request-key: every request brings one)
        means the real API unless --sandbox is given."""
        return self.sandbox or not (self.api_key or self.per_request_key)


def check_value(meta: Meta, value: Any, *, shown: bool = True) -> None:
    """The bounds a setting's metadata declares; the message names the flag and what it got."""
    if value is None or isinstance(value, bool):
        return
    got = f", got {value!r}" if shown else ""
    if meta.choices and value not in meta.choices:
        raise ConfigError(f"{meta.name} must be one of {', '.join(meta.choices)}{got}")
    if meta.schemes and not str(value).startswith(meta.schemes):
        e_g = f", e.g. {meta.example}" if meta.example else ""
        raise ConfigError(f"{meta.name} must start with {' or '.join(meta.schemes)}{e_g}{got}")
    if not isinstance(value, int | float):
        return
    if meta.low is not None and meta.high is not None and not meta.low <= value <= meta.high:
        raise ConfigError(f"{meta.name} must be between {meta.low:g} and {meta.high:g}{got}")
    if meta.low is not None and value < meta.low:
        raise ConfigError(f"{meta.name} must be at least {meta.low:g}{got}")
    if meta.above is not None and not value > meta.above:
        raise ConfigError(f"{meta.name} must be above {meta.above:g}{got}")


def settings_fields() -> list[tuple[str, Meta, Any]]:
    """Every setting as (field name, metadata, default), in declaration order."""
    return [(f.name, meta_of(f), f.default) for f in fields(Settings)]


def shown_default(meta: Meta, default: Any) -> str:
    """The default as --help and the README say it ("" when there is nothing to say)."""
    if meta.shown is not None:
        return meta.shown
    if default is None or default is False or default == ():
        return ""
    if isinstance(default, tuple):
        return ",".join(default)
    if isinstance(default, float) and default.is_integer():
        return str(int(default))
    return str(default)


def split_list(value: str | None, separators: str = ",") -> tuple[str, ...]:
    text = value or ""
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return tuple(item.strip() for item in text.split(separators[0]) if item.strip())


def env_parser(meta: Meta, default: Any) -> Callable[[str, str], object]:
    """How a variable's text becomes the setting's value: by the default's type unless declared."""
    if meta.parse_env is not None:
        return meta.parse_env
    if isinstance(default, bool):
        return env_flag
    if isinstance(default, int):
        return env_int
    if isinstance(default, float):
        return env_float
    if isinstance(default, tuple):
        return lambda name, value: split_list(value, meta.separators)
    return lambda name, value: value.strip()


def env_settings(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The values that come from the environment; flags override them. A file variable wins over
    its plain one (a token file over the token)."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    for name, meta, default in settings_fields():
        if meta.env and env.get(meta.env):
            values[name] = env_parser(meta, default)(meta.env, env[meta.env])
        if meta.file_env and env.get(meta.file_env):
            values[name] = read_secret_file(meta.file_env, env[meta.file_env].strip())
    return values


def read_secret_file(name: str, path: str) -> str:
    """A secret kept in a file (first line), so it never shows in `ps` or the environment."""
    try:
        with open(path, encoding="utf-8") as handle:
            value = handle.readline().strip()
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read {path} ({exc.strerror})") from None
    if not value:
        raise ConfigError(f"{name}: {path} is empty")
    return value


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def env_int(name: str, value: str) -> int:
    try:
        return int(value.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def env_float(name: str, value: str) -> float:
    try:
        return float(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {value!r}") from None


def env_flag(name: str, value: str) -> bool:
    """A yes/no variable; anything else is a mistake worth stopping for, not silently false."""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), got {value!r}")
