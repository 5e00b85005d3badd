"""Command line: `instantly-mcp [serve] [flags]`, `instantly-mcp sandbox`, `instantly-mcp tools`,
`instantly-mcp config claude-desktop`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

from instantly_mcp import __version__
from instantly_mcp.client_configs import CLIENT_CONFIGS, print_client_config
from instantly_mcp.config import (
    CONFIRM_MODES,
    LOG_FORMATS,
    SANDBOX_SCALES,
    TRANSPORTS,
    Settings,
    env_settings,
    read_secret_file,
    split_list,
)
from instantly_mcp.errors import ConfigError

if TYPE_CHECKING:
    from instantly_mcp.catalog.operations import Operation

SUBCOMMANDS = ("serve", "sandbox", "tools", "approvals", "config", "doctor", "policy")
USAGE = f"instantly-mcp [{{{','.join(SUBCOMMANDS)}}}] [flags]"
HTTP_ONLY_FLAGS = ("host", "port", "auth_token", "oauth_issuer")
CAP_FLAGS = {
    "max_sessions": "max_sessions",
    "max_sessions_per_tenant": "max_sessions_per_tenant",
    "session_idle_timeout": "session_idle_timeout_s",
    "max_calls_per_tenant": "max_calls_per_tenant",
}
SCALE_FLAGS = {"redis_url": "redis_url", "replicas": "replicas", "log_format": "log_format"}


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="Instantly API base (env INSTANTLY_BASE_URL); may end in /api/v2")
    parser.add_argument(
        "--sandbox", action="store_true", help="serve the built-in sandbox even when INSTANTLY_API_KEY is set"
    )
    parser.add_argument("--sandbox-db", metavar="PATH", help="persist the sandbox workspace to this SQLite file")
    parser.add_argument(
        "--sandbox-scale",
        choices=SANDBOX_SCALES,
        default="demo",
        help="demo: a small team (default); large: 50 campaigns, 20,000 leads, 50,000 emails",
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per upstream request (default 30)")
    parser.add_argument(
        "--max-result-chars",
        type=int,
        metavar="N",
        help="cut longer results, saying so and giving the cursor to continue "
        "(env INSTANTLY_MAX_RESULT_CHARS; default 20000)",
    )
    policy = parser.add_argument_group("what the agent may see and do")
    policy.add_argument(
        "--scopes",
        metavar="LIST",
        help="granted scopes, e.g. campaigns:read,leads:all (env INSTANTLY_SCOPES; default all:all)",
    )
    policy.add_argument(
        "--toolsets",
        metavar="LIST",
        help="only these groups, e.g. campaigns,leads,analytics (env INSTANTLY_TOOLSETS; default all)",
    )
    policy.add_argument(
        "--tools",
        metavar="LIST",
        help="only these tools, by name; or 'discover': list only search_tools, describe_tool and "
        "call_tool; or 'code': search_tools, describe_tool and run_code (env INSTANTLY_TOOLS)",
    )
    policy.add_argument(
        "--read-only",
        action="store_true",
        default=None,
        help="hide every tool that changes something (env INSTANTLY_READ_ONLY)",
    )
    policy.add_argument(
        "--confirm",
        choices=CONFIRM_MODES,
        help="how destructive, outbound and privileged calls are confirmed: auto (form elicitation, "
        "else URL elicitation, else an "
        "approval page, else a confirm token), human (never a token), elicit, token, or off for trusted automation "
        "(env INSTANTLY_CONFIRM; default auto)",
    )
    policy.add_argument(
        "--policy",
        metavar="PATH",
        help="the operator's autonomy policy (TOML): which calls run unattended within which limits, which ask "
        "a person, which are refused; see docs/policies/ (env INSTANTLY_MCP_POLICY)",
    )
    policy.add_argument(
        "--confirm-timeout", type=float, metavar="S", help="seconds a call waits for a person's answer (default 120)"
    )
    policy.add_argument(
        "--approvals-port",
        type=port_or_off,
        metavar="N",
        help="stdio: serve the approval pages on 127.0.0.1:N (default: any free port; 'off': none)",
    )
    policy.add_argument(
        "--approver-token",
        metavar="TOKEN",
        help="required by the approvals index and buttons (env INSTANTLY_MCP_APPROVER_TOKEN; default --auth-token)",
    )
    policy.add_argument(
        "--log-drift",
        action="store_true",
        default=None,
        help="log, once per operation and field, where Instantly's answers differ from the spec "
        "(never values; env INSTANTLY_LOG_DRIFT)",
    )
    policy.add_argument(
        "--audit-log", metavar="PATH", help="append one JSON line per non-read call (env INSTANTLY_AUDIT_LOG)"
    )
    policy.add_argument(
        "--audit-log-max-bytes",
        type=int,
        metavar="N",
        help="rotate the audit log to PATH.1 when it would pass N bytes "
        "(env INSTANTLY_AUDIT_LOG_MAX_BYTES; default 10 MiB)",
    )
    policy.add_argument(
        "--audit-log-backups",
        type=int,
        metavar="N",
        help="rotated audit logs kept, PATH.1 to PATH.N (env INSTANTLY_AUDIT_LOG_BACKUPS; default 3)",
    )
    policy.add_argument(
        "--raw-csv",
        action="store_true",
        default=None,
        help="return CSV downloads as sent, without neutralising formula-like cells (env INSTANTLY_RAW_CSV)",
    )
    code = parser.add_argument_group("--tools code: limits per run_code script")
    code.add_argument(
        "--code-timeout",
        dest="code_timeout_s",
        type=float,
        metavar="S",
        help="wall time (env INSTANTLY_CODE_TIMEOUT; default 30)",
    )
    code.add_argument(
        "--code-memory-mb", type=int, metavar="MB", help="heap (env INSTANTLY_CODE_MEMORY_MB; default 64)"
    )
    code.add_argument(
        "--code-max-calls", type=int, metavar="N", help="API calls (env INSTANTLY_CODE_MAX_CALLS; default 200)"
    )
    code.add_argument(
        "--code-max-depth", type=int, metavar="N", help="recursion (env INSTANTLY_CODE_MAX_DEPTH; default 200)"
    )


def _hosting_flags(parser: argparse.ArgumentParser) -> None:
    http = parser.add_argument_group("transport and HTTP hosting")
    http.add_argument(
        "--transport",
        choices=TRANSPORTS,
        default="stdio",
        help="stdio (default); http: streamable HTTP at /mcp plus legacy SSE at /sse; sse: legacy SSE only",
    )
    http.add_argument("--host", help="address to listen on (default 127.0.0.1; needs --transport http or sse)")
    http.add_argument("--port", type=int, help="port to listen on (default 8000; needs --transport http or sse)")
    http.add_argument(
        "--auth-token",
        metavar="TOKEN",
        help="require Authorization: Bearer TOKEN on the MCP endpoints; visible in ps, so prefer "
        "--auth-token-file or env INSTANTLY_MCP_AUTH_TOKEN",
    )
    http.add_argument(
        "--auth-token-file",
        metavar="PATH",
        help="read the bearer token from the first line of this file (env INSTANTLY_MCP_AUTH_TOKEN_FILE)",
    )
    http.add_argument(
        "--per-request-key",
        action="store_true",
        help="multi-tenant: every request carries its own Instantly key in the X-Instantly-Api-Key header",
    )
    http.add_argument(
        "--stateless",
        action="store_true",
        help="no per-session state: any replica or worker answers any request (http only; no /sse)",
    )
    http.add_argument("--workers", type=int, default=1, help="worker processes (needs --stateless; default 1)")
    http.add_argument(
        "--allowed-hosts",
        metavar="LIST",
        help="Host header values accepted besides localhost, e.g. mcp.example.com; '*' for any "
        "(env INSTANTLY_MCP_ALLOWED_HOSTS)",
    )
    http.add_argument(
        "--allowed-origins",
        metavar="LIST",
        help="browser Origins accepted besides localhost, e.g. https://app.example.com "
        "(env INSTANTLY_MCP_ALLOWED_ORIGINS)",
    )
    http.add_argument(
        "--public-url",
        metavar="URL",
        help="this server as browsers reach it, e.g. https://mcp.example.com, for approval links "
        "(env INSTANTLY_MCP_PUBLIC_URL)",
    )
    http.add_argument(
        "--redis-url",
        metavar="URL",
        help="share the rate budget, confirmations, approvals and tenant counts between replicas "
        "through Redis, e.g. redis://127.0.0.1:6379/0 (env INSTANTLY_MCP_REDIS_URL)",
    )
    http.add_argument(
        "--replicas",
        type=int,
        metavar="N",
        help="replicas sharing one budget: each keeps 1/N of it while Redis is unreachable "
        "(env INSTANTLY_MCP_REPLICAS; default 1)",
    )
    http.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        help="text (default) or json: one JSON object per log line (env INSTANTLY_MCP_LOG_FORMAT)",
    )
    oauth = parser.add_argument_group("OAuth 2.1 resource server (instead of --auth-token)")
    oauth.add_argument(
        "--oauth-issuer",
        metavar="URL",
        help="accept JWT access tokens from this authorization server (env INSTANTLY_MCP_OAUTH_ISSUER)",
    )
    oauth.add_argument(
        "--oauth-resource",
        metavar="URL",
        help="this server's MCP URL as clients reach it, e.g. https://mcp.example.com/mcp "
        "(env INSTANTLY_MCP_OAUTH_RESOURCE; default http://HOST:PORT/mcp)",
    )
    oauth.add_argument(
        "--oauth-audience",
        metavar="AUD",
        help="the aud tokens must carry (env INSTANTLY_MCP_OAUTH_AUDIENCE; default the resource URL)",
    )
    oauth.add_argument(
        "--oauth-scopes", metavar="LIST", help="scopes every token must have (env INSTANTLY_MCP_OAUTH_SCOPES)"
    )
    oauth.add_argument(
        "--oauth-jwks-url",
        metavar="URL",
        help="the issuer's JWKS (env INSTANTLY_MCP_OAUTH_JWKS_URL; default from its metadata)",
    )
    oauth.add_argument(
        "--oauth-client-id",
        metavar="ID",
        help="the approval page's sign-in client (env INSTANTLY_MCP_OAUTH_CLIENT_ID; default: registered "
        "with the issuer)",
    )
    http.add_argument(
        "--shutdown-timeout",
        type=float,
        default=30.0,
        help="seconds the calls in flight get to finish on shutdown (default 30)",
    )
    http.add_argument(
        "--request-read-timeout",
        type=float,
        metavar="S",
        help="seconds a client gets to send a request's headers, and then its body, before the "
        "connection is closed (env INSTANTLY_MCP_REQUEST_READ_TIMEOUT; default 10)",
    )
    caps = parser.add_argument_group("caps per tenant and per server (HTTP)")
    caps.add_argument(
        "--max-sessions",
        type=int,
        metavar="N",
        help="open sessions in all; at the cap the idlest session of the busiest tenant is closed "
        "(env INSTANTLY_MCP_MAX_SESSIONS; default 1000)",
    )
    caps.add_argument(
        "--max-sessions-per-tenant",
        type=int,
        metavar="N",
        help="open sessions per tenant key (env INSTANTLY_MCP_MAX_SESSIONS_PER_TENANT; default 20)",
    )
    caps.add_argument(
        "--session-idle-timeout",
        type=float,
        metavar="S",
        help="close a session after S seconds without a request (env INSTANTLY_MCP_SESSION_IDLE_TIMEOUT; default 300)",
    )
    caps.add_argument(
        "--max-calls-per-tenant",
        type=int,
        metavar="N",
        help="tool calls in flight per tenant key, which is also its share of the upstream connection pool "
        "(env INSTANTLY_MCP_MAX_CALLS_PER_TENANT; default 8)",
    )


class Parser(argparse.ArgumentParser):
    """Errors lead with the one line that matters, then a one-line usage instead of every flag."""

    def error(self, message: str) -> NoReturn:
        usage = USAGE if self.prog == "instantly-mcp" else f"{self.prog} [flags]"
        self.exit(2, f"{self.prog}: error: {message}\nusage: {usage}; `{self.prog} --help` lists them\n")


def port_or_off(value: str) -> int | str:
    return "off" if value.strip().lower() == "off" else int(value)


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser is the server's, so `instantly-mcp --help` shows every server flag;
    `serve` is the same parser by name."""
    parser = Parser(
        prog="instantly-mcp",
        usage=USAGE,
        description="MCP server for the Instantly.ai API V2. With no INSTANTLY_API_KEY it serves a built-in sandbox.",
        epilog="Subcommands: `instantly-mcp sandbox --help`, `instantly-mcp tools --help`, "
        "`instantly-mcp approvals --help`, `instantly-mcp config claude-desktop`, `instantly-mcp doctor --help`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _server_flags(parser)
    _hosting_flags(parser)
    sub = parser.add_subparsers(
        dest="command", prog="instantly-mcp", title="subcommands", metavar=f"{{{','.join(SUBCOMMANDS)}}}"
    )
    serve = sub.add_parser(
        "serve", usage="instantly-mcp serve [flags]", help="run the MCP server (the default; takes the flags above)"
    )
    _server_flags(serve)
    _hosting_flags(serve)
    sandbox = sub.add_parser("sandbox", help="serve the sandbox Instantly API alone over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8089)
    sandbox.add_argument("--db", metavar="PATH", help="persist to this SQLite file")
    sandbox.add_argument("--no-seed", action="store_true", help="start with an empty workspace")
    sandbox.add_argument(
        "--scale",
        choices=SANDBOX_SCALES,
        default="demo",
        help="demo: a small team (default); large: 50 campaigns, 20,000 leads, 50,000 emails",
    )
    tools = sub.add_parser("tools", help="print the tools an agent would see")
    _server_flags(tools)
    approvals = sub.add_parser("approvals", help="list, approve or deny pending approvals of a running server")
    approvals.add_argument("action", choices=("list", "approve", "deny"))
    approvals.add_argument("id", nargs="?", help="the approval id (approve, deny)")
    approvals.add_argument(
        "--url", default="http://127.0.0.1:8000", help="the server (or stdio approval pages) base URL"
    )
    approvals.add_argument("--approver-token", metavar="TOKEN", help="env INSTANTLY_MCP_APPROVER_TOKEN")
    config = sub.add_parser("config", help="print a client configuration that launches this installation")
    config.add_argument("client", choices=CLIENT_CONFIGS, help="claude-desktop: JSON for claude_desktop_config.json")
    config.add_argument("--name", default="instantly", help="the server's name in the client (default instantly)")
    config.add_argument(
        "--with-key",
        action="store_true",
        help="add an INSTANTLY_API_KEY entry to fill in (the key itself is never printed)",
    )
    config.epilog = "Server flags for the client to pass go after --, e.g. `config claude-desktop -- --read-only`."
    doctor = sub.add_parser(
        "doctor", help="check the key, its scopes and where Instantly's answers drift from the spec (reads only)"
    )
    _server_flags(doctor)
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    _policy_command(sub)
    return parser


def _policy_command(sub: argparse._SubParsersAction[Parser]) -> None:
    policy = sub.add_parser("policy", help="check an autonomy policy file, or explain its decision on one call")
    actions = policy.add_subparsers(dest="policy_action", required=True, metavar="{check,explain}")
    check = actions.add_parser("check", help="print the decision of the policy FILE for every tool")
    check.add_argument("file", metavar="FILE")
    explain = actions.add_parser(
        "explain", help="the rule that decides one call and the counters it would take (reads the workspace)"
    )
    explain.add_argument("tool")
    explain.add_argument("--args", default="{}", metavar="JSON", help="the call's arguments as a JSON object")
    _server_flags(explain)


def check_transport_flags(args: argparse.Namespace) -> None:
    """Hosting flags on stdio would be ignored; say what to add instead of starting something else."""
    if getattr(args, "transport", "stdio") != "stdio":
        return
    given = [f"--{flag.replace('_', '-')}" for flag in HTTP_ONLY_FLAGS if getattr(args, flag, None) is not None]
    if given:
        raise ConfigError(
            f"{', '.join(given)}: only for HTTP hosting: add --transport http (streamable HTTP at /mcp) "
            "or --transport sse; on stdio the client starts the server and talks over its stdin/stdout"
        )


def split_server_args(argv: list[str]) -> tuple[list[str], list[str]]:
    """`config CLIENT [options] -- FLAGS`: the FLAGS are the server's, for the client to pass."""
    if argv[:1] != ["config"] or "--" not in argv:
        return argv, []
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1 :]


def checked_server_args(server_args: list[str]) -> list[str]:
    """Refused now (exit 2) rather than when the client first starts the server."""
    from instantly_mcp.transport.server import build_runtime

    build_runtime(settings_from(build_parser().parse_args(["serve", *server_args])))
    return server_args


CODE_FLAGS = ("code_timeout_s", "code_memory_mb", "code_max_calls", "code_max_depth")


def settings_from(args: argparse.Namespace) -> Settings:
    values = env_settings()
    if args.base_url:
        values["base_url"] = args.base_url
    values.update(
        sandbox=args.sandbox, sandbox_db=args.sandbox_db, sandbox_scale=args.sandbox_scale, timeout_s=args.timeout
    )
    for flag in ("scopes", "toolsets", "tools"):
        given = getattr(args, flag)
        if given is not None:
            values[flag] = split_list(given)
    if args.confirm_timeout is not None:
        values["confirm_timeout_s"] = args.confirm_timeout
    if args.approvals_port is not None:
        values["approvals_port"] = None if args.approvals_port == "off" else args.approvals_port
    for flag in (
        "read_only",
        "confirm",
        "audit_log",
        "audit_log_max_bytes",
        "audit_log_backups",
        "max_result_chars",
        "approver_token",
        "log_drift",
        "raw_csv",
        "policy",
        *CODE_FLAGS,
    ):
        given = getattr(args, flag)
        if given is not None:
            values[flag] = given
    if getattr(args, "transport", None):
        check_transport_flags(args)
        values.update(
            transport=args.transport,
            host=args.host or "127.0.0.1",
            port=args.port or 8000,
            per_request_key=args.per_request_key,
            stateless=args.stateless,
            workers=args.workers,
            shutdown_timeout_s=args.shutdown_timeout,
        )
        if args.auth_token_file:
            values["auth_token"] = read_secret_file("--auth-token-file", args.auth_token_file)
        if args.auth_token:
            print(
                "instantly-mcp: WARNING --auth-token on the command line is visible to every local user (ps); "
                "use --auth-token-file or INSTANTLY_MCP_AUTH_TOKEN instead",
                file=sys.stderr,
            )
            values["auth_token"] = args.auth_token
        if args.request_read_timeout is not None:
            values["request_read_timeout_s"] = args.request_read_timeout
        if args.public_url:
            values["public_url"] = args.public_url
        for flag, field in {**CAP_FLAGS, **SCALE_FLAGS}.items():
            if getattr(args, flag) is not None:
                values[field] = getattr(args, flag)
        for flag in ("allowed_hosts", "allowed_origins", "oauth_scopes"):
            if getattr(args, flag) is not None:
                values[flag] = split_list(getattr(args, flag))
        for flag in ("oauth_issuer", "oauth_resource", "oauth_audience", "oauth_jwks_url", "oauth_client_id"):
            if getattr(args, flag) is not None:
                values[flag] = getattr(args, flag)
    if values.get("base_url") and not str(values["base_url"]).startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must start with http:// or https://, got {values['base_url']!r}")
    return Settings(**values)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, server_args = split_server_args(argv)
    args = build_parser().parse_args(argv)
    try:
        if args.command == "config":
            return print_client_config(args.client, args.name, checked_server_args(server_args), args.with_key)
        if args.command == "sandbox":
            from instantly_mcp.sandbox import serve

            serve(host=args.host, port=args.port, db_path=args.db, seed=not args.no_seed, scale=args.scale)
            return 0
        if args.command == "policy":
            from instantly_mcp.policy_cli import run_policy

            return run_policy(args, settings_from(args) if args.policy_action == "explain" else None)
        if args.command == "approvals":
            from instantly_mcp.approvals_cli import run_approvals

            return run_approvals(args.action, args.id, args.url, args.approver_token)
        settings = settings_from(args)
        if args.command == "tools":
            return print_tools(settings)
        if args.command == "doctor":
            return run_doctor(settings, as_json=args.json)
        return run_server(settings)
    except ConfigError as exc:
        print(f"instantly-mcp: {exc}", file=sys.stderr)
        return 2


def run_server(settings: Settings) -> int:
    import anyio

    from instantly_mcp.logs import configure_logging
    from instantly_mcp.transport.server import announce_backend, announce_policy, build_runtime
    from instantly_mcp.transport.stdio import install_signal_handlers, serve_stdio

    if settings.log_format == "json":
        configure_logging(settings.log_format)
    if settings.transport == "stdio":
        install_signal_handlers()
    runtime = build_runtime(settings)
    announce_backend(settings)
    announce_policy(runtime)
    if settings.transport == "stdio":
        if sys.stdin.isatty():
            from instantly_mcp.client_configs import waiting_line

            print(waiting_line(), file=sys.stderr)
        anyio.run(serve_stdio, settings, runtime)
    else:
        from instantly_mcp.transport.http_app import serve_http

        serve_http(settings, runtime if settings.workers == 1 else None)
    return 0


def run_doctor(settings: Settings, *, as_json: bool) -> int:
    """Exit 0 when Instantly answers and takes the key, 1 otherwise; drift is reported, not fatal."""
    import json

    import anyio

    from instantly_mcp.drift.doctor import diagnose, table
    from instantly_mcp.transport.server import build_runtime, make_client

    runtime = build_runtime(settings)
    client = make_client(settings)
    base_url = "the built-in sandbox" if settings.uses_sandbox else settings.base_url

    async def run() -> int:
        try:
            report = await diagnose(client, runtime.operations, base_url)
        finally:
            await client.aclose()
        print(json.dumps(report.as_json(), indent=1) if as_json else table(report))
        return 0 if report.ok else 1

    return anyio.run(run)


def print_tools(settings: Settings) -> int:
    """The table an agent would get under these flags, to check a configuration before connecting one."""
    from instantly_mcp.catalog.effects import gate_of
    from instantly_mcp.gates.policy import risk_summary
    from instantly_mcp.transport.server import build_runtime

    runtime = build_runtime(settings)
    policy = runtime.policy
    visible = policy.visible_operations()

    def gate(op: Operation) -> str:
        if settings.confirm == "off":
            return "none (--confirm off)" if gate_of(op.name) != "runs" else ""
        if policy.is_gated(op):
            return "confirm"
        return "confirm when live" if policy.may_be_gated(op) else ""

    rows = [(op.name, op.risk, gate(op), op.toolset, shown_scopes(op.scopes)) for op in visible]
    header = ("tool", "risk", "gate", "toolset", "scopes (any one)")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])
    counts = risk_summary(visible)
    print(f"\n{len(visible)} of {len(runtime.operations)} tools: {counts}")
    gated = sum(policy.is_gated(op) for op in visible)
    live = sum(policy.may_be_gated(op) for op in visible) - gated
    print(
        f"{gated} need confirmation, {live} when their arguments or target make them take effect "
        f"(--confirm {settings.confirm}); every non-read tool accepts dry_run=true"
    )
    if runtime.discovery is not None:
        print("--tools discover: the agent is listed search_tools, describe_tool and call_tool, which reach these")
    if settings.code:
        print("--tools code: the agent is listed search_tools, describe_tool and run_code, whose scripts call these")
    return 0


def shown_scopes(scopes: Sequence[str]) -> str:
    """The specific scopes; the all:* wildcards that every tool also accepts are left out."""
    return ",".join(s for s in scopes if not s.startswith("all:")) or ",".join(scopes)


if __name__ == "__main__":
    raise SystemExit(main())
