"""Settings: every knob in one validated place, from flags and environment variables."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

DEFAULT_BASE_URL = "https://api.instantly.ai"
SANDBOX_BASE_URL = "http://sandbox.instantly-mcp.local"
SANDBOX_KEY = "sandbox-demo-key"

Transport = Literal["stdio", "sse", "http"]
TRANSPORTS: tuple[str, ...] = get_args(Transport)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})
ConfirmMode = Literal["auto", "human", "elicit", "token", "off"]
LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[str, ...] = get_args(LogFormat)
DISCOVER = "discover"
MIN_RESULT_CHARS = 1_000
CONFIRM_MODES: tuple[str, ...] = get_args(ConfirmMode)


class ConfigError(ValueError):
    """A setting is invalid; raised at start-up, never ignored."""


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None
    base_url: str = DEFAULT_BASE_URL
    sandbox: bool = False
    sandbox_db: str | None = None
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
    timeout_s: float = 30.0
    max_result_chars: int = 20_000  # results longer than this are cut, with a note and the cursor to continue
    # HTTP hosting (ignored on stdio): see http_app.py
    auth_token: str | None = field(default=None, repr=False)
    per_request_key: bool = False
    stateless: bool = False
    workers: int = 1
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    shutdown_timeout_s: float = 30.0
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

    def __post_init__(self) -> None:
        if self.confirm not in CONFIRM_MODES:
            raise ConfigError(f"--confirm must be one of {', '.join(CONFIRM_MODES)}, got {self.confirm!r}")
        if self.max_result_chars < MIN_RESULT_CHARS:
            raise ConfigError(f"--max-result-chars must be at least {MIN_RESULT_CHARS}, got {self.max_result_chars}")
        if DISCOVER in self.tools and len(self.tools) > 1:
            raise ConfigError(f"--tools {DISCOVER} stands alone; narrow discover mode with --toolsets, --scopes or --read-only")
        if self.transport not in TRANSPORTS:
            raise ConfigError(f"--transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")
        self._check_hosting()

    def _check_hosting(self) -> None:
        """The HTTP options that only make sense together, refused at start-up rather than half-applied."""
        http = self.transport != "stdio"
        if self.approvals_port is not None and not 0 <= self.approvals_port < 65536:
            raise ConfigError(f"--approvals-port must be between 0 and 65535, got {self.approvals_port}")
        if self.public_url and not self.public_url.startswith(("http://", "https://")):
            raise ConfigError(f"--public-url must start with http:// or https://, got {self.public_url!r}")
        if self.confirm_timeout_s <= 0:
            raise ConfigError(f"--confirm-timeout must be positive, got {self.confirm_timeout_s}")
        if not 0 < self.port < 65536:
            raise ConfigError(f"--port must be between 1 and 65535, got {self.port}")
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
        if self.per_request_key and not http:
            raise ConfigError("--per-request-key needs --transport http or sse: on stdio there are no requests to carry a key")
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

    def __repr__(self) -> str:
        shown = "set" if self.api_key else "unset"
        return (
            f"Settings(api_key={shown}, base_url={self.base_url!r}, sandbox={self.sandbox}, "
            f"transport={self.transport!r})"
        )

    @property
    def approver_secret(self) -> str | None:
        """What the approvals index and buttons require: --approver-token, else --auth-token."""
        return self.approver_token or self.auth_token

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
    def tool_names(self) -> tuple[str, ...]:
        """The --tools allow-list (empty: no allow-list, which discover mode also means)."""
        return () if self.discover else self.tools

    @property
    def uses_sandbox(self) -> bool:
        """No key means the built-in sandbox; a key (or --per-request-key: every request brings one)
        means the real API unless --sandbox is given."""
        return self.sandbox or not (self.api_key or self.per_request_key)


def split_list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").split(",") if item.strip())


def env_settings(env: Mapping[str, str] | None = None) -> dict[str, object]:
    """The values that may come from the environment; flags override them."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    if env.get("INSTANTLY_API_KEY"):
        values["api_key"] = env["INSTANTLY_API_KEY"].strip()
    if env.get("INSTANTLY_BASE_URL"):
        values["base_url"] = env["INSTANTLY_BASE_URL"].strip()
    if env.get("INSTANTLY_SCOPES"):
        values["scopes"] = split_list(env["INSTANTLY_SCOPES"])
    if env.get("INSTANTLY_TOOLSETS"):
        values["toolsets"] = split_list(env["INSTANTLY_TOOLSETS"])
    if env.get("INSTANTLY_TOOLS"):
        values["tools"] = split_list(env["INSTANTLY_TOOLS"])
    if env.get("INSTANTLY_MAX_RESULT_CHARS"):
        values["max_result_chars"] = env_int("INSTANTLY_MAX_RESULT_CHARS", env["INSTANTLY_MAX_RESULT_CHARS"])
    if env.get("INSTANTLY_READ_ONLY"):
        values["read_only"] = env_flag("INSTANTLY_READ_ONLY", env["INSTANTLY_READ_ONLY"])
    if env.get("INSTANTLY_CONFIRM"):
        values["confirm"] = env["INSTANTLY_CONFIRM"].strip().lower()
    if env.get("INSTANTLY_AUDIT_LOG"):
        values["audit_log"] = env["INSTANTLY_AUDIT_LOG"].strip()
    if env.get("INSTANTLY_MCP_SECRET"):
        values["secret"] = env["INSTANTLY_MCP_SECRET"]
    if env.get("INSTANTLY_MCP_AUTH_TOKEN"):
        values["auth_token"] = env["INSTANTLY_MCP_AUTH_TOKEN"].strip()
    if env.get("INSTANTLY_MCP_PUBLIC_URL"):
        values["public_url"] = env["INSTANTLY_MCP_PUBLIC_URL"].strip()
    if env.get("INSTANTLY_MCP_APPROVER_TOKEN"):
        values["approver_token"] = env["INSTANTLY_MCP_APPROVER_TOKEN"].strip()
    if env.get("INSTANTLY_MCP_ALLOWED_HOSTS"):
        values["allowed_hosts"] = split_list(env["INSTANTLY_MCP_ALLOWED_HOSTS"])
    if env.get("INSTANTLY_MCP_REDIS_URL"):
        values["redis_url"] = env["INSTANTLY_MCP_REDIS_URL"].strip()
    if env.get("INSTANTLY_MCP_REPLICAS"):
        values["replicas"] = env_int("INSTANTLY_MCP_REPLICAS", env["INSTANTLY_MCP_REPLICAS"])
    if env.get("INSTANTLY_MCP_LOG_FORMAT"):
        values["log_format"] = env["INSTANTLY_MCP_LOG_FORMAT"].strip().lower()
    if env.get("INSTANTLY_MCP_ALLOWED_ORIGINS"):
        values["allowed_origins"] = split_list(env["INSTANTLY_MCP_ALLOWED_ORIGINS"])
    return values


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def env_int(name: str, value: str) -> int:
    try:
        return int(value.strip().replace("_", ""))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def env_flag(name: str, value: str) -> bool:
    """A yes/no variable; anything else is a mistake worth stopping for, not silently false."""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), got {value!r}")
