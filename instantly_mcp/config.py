"""Settings: every knob in one validated place, from flags and environment variables."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

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


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    sandbox_db: str | None = None
    sandbox_scale: str = "demo"
    transport: Transport = "stdio"
    host: str = "127.0.0.1"
    port: int = 8000
    scopes: tuple[str, ...] = ("all:all",)
    toolsets: tuple[str, ...] = ()
    tools: tuple[str, ...] = ()
    read_only: bool = False
    confirm: ConfirmMode = "auto"
    secret: str | None = field(default=None, repr=False)
    audit_log: str | None = None
    audit_log_max_bytes: int = 10 * 1024 * 1024  # rotated to <path>.1 ... when the next line would pass it
    audit_log_backups: int = 3
    timeout_s: float = 30.0
    max_result_chars: int = 20_000  # results longer than this are cut, with a note and the cursor to continue
    log_drift: bool = False  # compare responses with the spec in the background; log each new difference once
    raw_csv: bool = False  # CSV downloads as Instantly sent them, formula-like cells included
    # HTTP hosting (ignored on stdio): see http_app.py
    auth_token: str | None = field(default=None, repr=False)
    per_request_key: bool = False
    stateless: bool = False
    workers: int = 1
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    shutdown_timeout_s: float = 30.0
    # --tools code: limits per run_code script (see codemode/runner.py)
    code_timeout_s: float = 30.0
    code_memory_mb: int = 64
    code_max_calls: int = 200
    code_max_depth: int = 200
    # Approval pages (approval_pages.py): on HTTP at /approvals; on stdio on 127.0.0.1:approvals_port
    # (0: any free port, the default in --confirm auto and human; None: no pages).
    approvals_port: int | None = 0
    approver_token: str | None = field(default=None, repr=False)
    public_url: str | None = None  # the HTTP server as browsers reach it (behind a proxy), for approval links
    confirm_timeout_s: float = 120.0  # the longest a call waits for a person's answer
    # Scale-out (shared_state.py): Redis holds the limiter, used tokens, approvals and tenant counts
    redis_url: str | None = field(default=None, repr=False)  # may carry a password
    replicas: int = 1  # how many replicas share the budget: each one's share while Redis is unreachable
    log_format: LogFormat = "text"
    policy: str | None = None  # the operator's autonomy policy (gates/autonomy/): what runs unattended
    # OAuth resource-server mode: see transport/oauth.py
    oauth_issuer: str | None = None
    oauth_resource: str | None = None
    oauth_audience: str | None = None
    oauth_scopes: tuple[str, ...] = ()
    oauth_jwks_url: str | None = None
    oauth_client_id: str | None = None  # the approval page's sign-in; else registered with the issuer
    request_read_timeout_s: float = 10.0  # a request's head, then its body, must arrive within this
    # Caps that keep one tenant from locking the others out: see transport/sessions.py
    max_sessions: int = 1_000
    max_sessions_per_tenant: int = 20
    session_idle_timeout_s: float = 300.0
    max_calls_per_tenant: int = 8

    def __post_init__(self) -> None:
        if self.confirm not in CONFIRM_MODES:
            raise ConfigError(f"--confirm must be one of {', '.join(CONFIRM_MODES)}, got {self.confirm!r}")
        if self.max_result_chars < MIN_RESULT_CHARS:
            raise ConfigError(f"--max-result-chars must be at least {MIN_RESULT_CHARS}, got {self.max_result_chars}")
        if self.audit_log_max_bytes < MIN_AUDIT_LOG_BYTES or self.audit_log_backups < 0:
            raise ConfigError(
                f"--audit-log-max-bytes must be at least {MIN_AUDIT_LOG_BYTES} and --audit-log-backups at least 0, "
                f"got {self.audit_log_max_bytes} and {self.audit_log_backups}"
            )
        for mode in MODES:
            if mode in self.tools and len(self.tools) > 1:
                raise ConfigError(f"--tools {mode} stands alone; narrow it with --toolsets, --scopes or --read-only")
        if min(self.code_timeout_s, self.code_memory_mb, self.code_max_calls, self.code_max_depth) <= 0:
            raise ConfigError("--code-timeout, --code-memory-mb, --code-max-calls and --code-max-depth must be above 0")
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"--transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")
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
        if self.approvals_port is not None and not 0 <= self.approvals_port < 65536:
            raise ConfigError(f"--approvals-port must be between 0 and 65535, got {self.approvals_port}")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"--public-url must start with http:// or https://, got {self.public_url!r}")
        if self.approver_token and self.auth_token and self.approver_token == self.auth_token:
            raise ConfigError(
                "--approver-token must differ from the platform bearer token (INSTANTLY_MCP_AUTH_TOKEN), "
                "which every client sends; omit it to use the installation's approver secret file"
            )
        if self.confirm_timeout_s <= 0:
            raise ConfigError(f"--confirm-timeout must be positive, got {self.confirm_timeout_s}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be between 1 and 65535, got {self.port}")
        if not self.request_read_timeout_s > 0:
            raise ConfigError(f"--request-read-timeout must be more than 0 seconds, got {self.request_read_timeout_s}")
        if self.replicas < 1:
            raise ConfigError(f"--replicas must be at least 1, got {self.replicas}")
        if self.log_format not in LOG_FORMATS:
            raise ConfigError(f"--log-format must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                "--redis-url must start with redis://, rediss:// or unix://, e.g. redis://127.0.0.1:6379/0"
            )
        if self.workers < 1:
            raise ConfigError(f"--workers must be at least 1, got {self.workers}")
        caps = {
            "--max-sessions": self.max_sessions,
            "--max-sessions-per-tenant": self.max_sessions_per_tenant,
            "--max-calls-per-tenant": self.max_calls_per_tenant,
            "--session-idle-timeout": self.session_idle_timeout_s,
        }
        for flag, value in caps.items():
            if not value > 0:
                raise ConfigError(f"{flag} must be positive, got {value}")
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
        for name, url in (
            ("--oauth-issuer", self.oauth_issuer),
            ("--oauth-resource", self.oauth_resource),
            ("--oauth-jwks-url", self.oauth_jwks_url),
        ):
            if url is not None and not url.startswith(("https://", "http://")):
                raise ConfigError(f"{name} must be an http(s) URL, got {url!r}")

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
        """--tools code: list search_tools, describe_tool and run_code (scripts call the others)."""
        return self.tools == (CODE,)

    @property
    def tool_names(self) -> tuple[str, ...]:
        """The --tools allow-list (empty: no allow-list, which discover and code mode also mean)."""
        return () if self.discover or self.code else self.tools

    @property
    def uses_sandbox(self) -> bool:
        """No key means the built-in sandbox; a key (or --per-request-key: every request brings one)
        means the real API unless --sandbox is given."""
        return self.sandbox or not (self.api_key or self.per_request_key)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def env_settings(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The values that may come from the environment (ENVIRONMENT, at the end); flags override them."""
    env = os.environ if env is None else env
    return {setting: parse(name, env[name]) for name, setting, parse in ENVIRONMENT if env.get(name)}


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


def _text(name: str, value: str) -> str:
    return value.strip()


def _lower(name: str, value: str) -> str:
    return value.strip().lower()


def _exact(name: str, value: str) -> str:
    return value


def _list(name: str, value: str) -> tuple[str, ...]:
    return split_list(value)


def _space_or_comma_list(name: str, value: str) -> tuple[str, ...]:
    return split_list(value.replace(" ", ","))


def _secret_file(name: str, value: str) -> str:
    return read_secret_file(name, value.strip())


# Variable, setting, parser; a later line for the same setting wins (a token file over the token).
ENVIRONMENT: tuple[tuple[str, str, Callable[[str, str], object]], ...] = (
    ("INSTANTLY_API_KEY", "api_key", _text),
    ("INSTANTLY_BASE_URL", "base_url", _text),
    ("INSTANTLY_SCOPES", "scopes", _list),
    ("INSTANTLY_TOOLSETS", "toolsets", _list),
    ("INSTANTLY_TOOLS", "tools", _list),
    ("INSTANTLY_MAX_RESULT_CHARS", "max_result_chars", env_int),
    ("INSTANTLY_CODE_TIMEOUT", "code_timeout_s", env_float),
    ("INSTANTLY_CODE_MEMORY_MB", "code_memory_mb", env_int),
    ("INSTANTLY_CODE_MAX_CALLS", "code_max_calls", env_int),
    ("INSTANTLY_CODE_MAX_DEPTH", "code_max_depth", env_int),
    ("INSTANTLY_READ_ONLY", "read_only", env_flag),
    ("INSTANTLY_CONFIRM", "confirm", _lower),
    ("INSTANTLY_LOG_DRIFT", "log_drift", env_flag),
    ("INSTANTLY_RAW_CSV", "raw_csv", env_flag),
    ("INSTANTLY_AUDIT_LOG", "audit_log", _text),
    ("INSTANTLY_AUDIT_LOG_MAX_BYTES", "audit_log_max_bytes", env_int),
    ("INSTANTLY_AUDIT_LOG_BACKUPS", "audit_log_backups", env_int),
    ("INSTANTLY_MCP_SECRET", "secret", _exact),
    ("INSTANTLY_MCP_AUTH_TOKEN", "auth_token", _text),
    ("INSTANTLY_MCP_AUTH_TOKEN_FILE", "auth_token", _secret_file),
    ("INSTANTLY_MCP_PUBLIC_URL", "public_url", _text),
    ("INSTANTLY_MCP_APPROVER_TOKEN", "approver_token", _text),
    ("INSTANTLY_MCP_REQUEST_READ_TIMEOUT", "request_read_timeout_s", env_float),
    ("INSTANTLY_MCP_MAX_SESSIONS", "max_sessions", env_int),
    ("INSTANTLY_MCP_MAX_SESSIONS_PER_TENANT", "max_sessions_per_tenant", env_int),
    ("INSTANTLY_MCP_MAX_CALLS_PER_TENANT", "max_calls_per_tenant", env_int),
    ("INSTANTLY_MCP_SESSION_IDLE_TIMEOUT", "session_idle_timeout_s", env_float),
    ("INSTANTLY_MCP_ALLOWED_HOSTS", "allowed_hosts", _list),
    ("INSTANTLY_MCP_ALLOWED_ORIGINS", "allowed_origins", _list),
    ("INSTANTLY_MCP_OAUTH_ISSUER", "oauth_issuer", _text),
    ("INSTANTLY_MCP_OAUTH_RESOURCE", "oauth_resource", _text),
    ("INSTANTLY_MCP_OAUTH_AUDIENCE", "oauth_audience", _text),
    ("INSTANTLY_MCP_OAUTH_JWKS_URL", "oauth_jwks_url", _text),
    ("INSTANTLY_MCP_OAUTH_CLIENT_ID", "oauth_client_id", _text),
    ("INSTANTLY_MCP_OAUTH_SCOPES", "oauth_scopes", _space_or_comma_list),
    ("INSTANTLY_MCP_REDIS_URL", "redis_url", _text),
    ("INSTANTLY_MCP_REPLICAS", "replicas", env_int),
    ("INSTANTLY_MCP_LOG_FORMAT", "log_format", _lower),
    ("INSTANTLY_MCP_POLICY", "policy", _text),
)
