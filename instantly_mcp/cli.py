"""Command line: `instantly-mcp [serve]`, `instantly-mcp sandbox`, `instantly-mcp tools`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from instantly_mcp.config import CONFIRM_MODES, LOG_FORMATS, TRANSPORTS, ConfigError, Settings, env_settings, split_list

SUBCOMMANDS = ("serve", "sandbox", "tools", "approvals")


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="Instantly API base (env INSTANTLY_BASE_URL); may end in /api/v2")
    parser.add_argument("--sandbox", action="store_true", help="serve the built-in sandbox even when INSTANTLY_API_KEY is set")
    parser.add_argument("--sandbox-db", metavar="PATH", help="persist the sandbox workspace to this SQLite file")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per upstream request (default 30)")
    parser.add_argument("--max-result-chars", type=int, metavar="N",
                        help="cut longer results, saying so and giving the cursor to continue "
                        "(env INSTANTLY_MAX_RESULT_CHARS; default 20000)")
    policy = parser.add_argument_group("what the agent may see and do")
    policy.add_argument("--scopes", metavar="LIST", help="granted scopes, e.g. campaigns:read,leads:all (env INSTANTLY_SCOPES; default all:all)")
    policy.add_argument("--toolsets", metavar="LIST", help="only these groups, e.g. campaigns,leads,analytics (env INSTANTLY_TOOLSETS; default all)")
    policy.add_argument("--tools", metavar="LIST",
                        help="only these tools, by name; or 'discover': list only search_tools, describe_tool and call_tool "
                        "(env INSTANTLY_TOOLS)")
    policy.add_argument("--read-only", action="store_true", default=None, help="hide every tool that changes something (env INSTANTLY_READ_ONLY)")
    policy.add_argument(
        "--confirm",
        choices=CONFIRM_MODES,
        help="how destructive and outbound calls are confirmed: auto (form elicitation, else URL elicitation, else an "
        "approval page, else a confirm token), human (never a token), elicit, token, or off for trusted automation "
        "(env INSTANTLY_CONFIRM; default auto)",
    )
    policy.add_argument("--confirm-timeout", type=float, metavar="S", help="seconds a call waits for a person's answer (default 120)")
    policy.add_argument("--approvals-port", type=port_or_off, metavar="N",
                        help="stdio: serve the approval pages on 127.0.0.1:N (default: any free port; 'off': none)")
    policy.add_argument("--approver-token", metavar="TOKEN",
                        help="required by the approvals index and buttons (env INSTANTLY_MCP_APPROVER_TOKEN; default --auth-token)")
    policy.add_argument("--audit-log", metavar="PATH", help="append one JSON line per non-read call (env INSTANTLY_AUDIT_LOG)")


def _hosting_flags(parser: argparse.ArgumentParser) -> None:
    http = parser.add_argument_group("transport and HTTP hosting")
    http.add_argument("--transport", choices=TRANSPORTS, default="stdio",
                      help="stdio (default); http: streamable HTTP at /mcp plus legacy SSE at /sse; sse: legacy SSE only")
    http.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    http.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    http.add_argument("--auth-token", metavar="TOKEN",
                      help="require Authorization: Bearer TOKEN on the MCP endpoints (env INSTANTLY_MCP_AUTH_TOKEN, preferred)")
    http.add_argument("--per-request-key", action="store_true",
                      help="multi-tenant: every request carries its own Instantly key in the X-Instantly-Api-Key header")
    http.add_argument("--stateless", action="store_true",
                      help="no per-session state: any replica or worker answers any request (http only; no /sse)")
    http.add_argument("--workers", type=int, default=1, help="worker processes (needs --stateless; default 1)")
    http.add_argument("--allowed-hosts", metavar="LIST",
                      help="Host header values accepted besides localhost, e.g. mcp.example.com; '*' for any "
                      "(env INSTANTLY_MCP_ALLOWED_HOSTS)")
    http.add_argument("--allowed-origins", metavar="LIST",
                      help="browser Origins accepted besides localhost, e.g. https://app.example.com "
                      "(env INSTANTLY_MCP_ALLOWED_ORIGINS)")
    http.add_argument("--public-url", metavar="URL",
                      help="this server as browsers reach it, e.g. https://mcp.example.com, for approval links "
                      "(env INSTANTLY_MCP_PUBLIC_URL)")
    http.add_argument("--redis-url", metavar="URL",
                      help="share the rate budget, confirmations, approvals and tenant counts between replicas "
                      "through Redis, e.g. redis://127.0.0.1:6379/0 (env INSTANTLY_MCP_REDIS_URL)")
    http.add_argument("--replicas", type=int, metavar="N",
                      help="replicas sharing one budget: each keeps 1/N of it while Redis is unreachable "
                      "(env INSTANTLY_MCP_REPLICAS; default 1)")
    http.add_argument("--log-format", choices=LOG_FORMATS,
                      help="text (default) or json: one JSON object per log line (env INSTANTLY_MCP_LOG_FORMAT)")
    http.add_argument("--shutdown-timeout", type=float, default=30.0,
                      help="seconds the calls in flight get to finish on shutdown (default 30)")


def port_or_off(value: str) -> int | str:
    return "off" if value.strip().lower() == "off" else int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="instantly-mcp", description="MCP server for the Instantly.ai API V2.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the MCP server (default)")
    _server_flags(serve)
    _hosting_flags(serve)
    sandbox = sub.add_parser("sandbox", help="serve the sandbox Instantly API alone over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8089)
    sandbox.add_argument("--db", metavar="PATH", help="persist to this SQLite file")
    sandbox.add_argument("--no-seed", action="store_true", help="start with an empty workspace")
    tools = sub.add_parser("tools", help="print the tools an agent would see")
    _server_flags(tools)
    approvals = sub.add_parser("approvals", help="list, approve or deny pending approvals of a running server")
    approvals.add_argument("action", choices=("list", "approve", "deny"))
    approvals.add_argument("id", nargs="?", help="the approval id (approve, deny)")
    approvals.add_argument("--url", default="http://127.0.0.1:8000", help="the server (or stdio approval pages) base URL")
    approvals.add_argument("--approver-token", metavar="TOKEN", help="env INSTANTLY_MCP_APPROVER_TOKEN")
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    values = env_settings()
    if args.base_url:
        values["base_url"] = args.base_url
    values.update(sandbox=args.sandbox, sandbox_db=args.sandbox_db, timeout_s=args.timeout)
    for flag in ("scopes", "toolsets", "tools"):
        given = getattr(args, flag)
        if given is not None:
            values[flag] = split_list(given)
    if args.confirm_timeout is not None:
        values["confirm_timeout_s"] = args.confirm_timeout
    if args.approvals_port is not None:
        values["approvals_port"] = None if args.approvals_port == "off" else args.approvals_port
    for flag in ("read_only", "confirm", "audit_log", "max_result_chars", "approver_token"):
        given = getattr(args, flag)
        if given is not None:
            values[flag] = given
    if getattr(args, "transport", None):
        values.update(transport=args.transport, host=args.host, port=args.port, per_request_key=args.per_request_key,
                      stateless=args.stateless, workers=args.workers, shutdown_timeout_s=args.shutdown_timeout)
        if args.auth_token:
            values["auth_token"] = args.auth_token
        if args.public_url:
            values["public_url"] = args.public_url
        for flag in ("redis_url", "replicas", "log_format"):
            if getattr(args, flag) is not None:
                values[flag] = getattr(args, flag)
        for flag in ("allowed_hosts", "allowed_origins"):
            if getattr(args, flag) is not None:
                values[flag] = split_list(getattr(args, flag))
    if values.get("base_url") and not str(values["base_url"]).startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must start with http:// or https://, got {values['base_url']!r}")
    return Settings(**values)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help")):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sandbox":
            from instantly_mcp.sandbox import serve

            serve(host=args.host, port=args.port, db_path=args.db, seed=not args.no_seed)
            return 0
        if args.command == "approvals":
            from instantly_mcp.approvals_cli import run_approvals

            return run_approvals(args.action, args.id, args.url, args.approver_token)
        settings = settings_from(args)
        if args.command == "tools":
            return print_tools(settings)
        return run_server(settings)
    except ConfigError as exc:
        print(f"instantly-mcp: {exc}", file=sys.stderr)
        return 2


def run_server(settings: Settings) -> int:
    import anyio

    from instantly_mcp.logs import configure_logging
    from instantly_mcp.transport.server import announce_backend, announce_policy, build_runtime, serve_stdio

    if settings.log_format == "json":
        configure_logging(settings.log_format)
    runtime = build_runtime(settings)
    announce_backend(settings)
    announce_policy(runtime)
    if settings.transport == "stdio":
        anyio.run(serve_stdio, settings, runtime)
    else:
        from instantly_mcp.transport.http_app import serve_http

        serve_http(settings, runtime if settings.workers == 1 else None)
    return 0


def print_tools(settings: Settings) -> int:
    """The table an agent would get under these flags, to check a configuration before connecting one."""
    from instantly_mcp.gates.policy import GATED_RISKS, risk_counts
    from instantly_mcp.transport.server import build_runtime

    runtime = build_runtime(settings)
    visible = runtime.policy.visible_operations()
    gate = "confirm" if settings.confirm != "off" else "none (--confirm off)"
    rows = [(op.name, op.risk, gate if op.risk in GATED_RISKS else "", op.toolset, shown_scopes(op.scopes)) for op in visible]
    header = ("tool", "risk", "gate", "toolset", "scopes (any one)")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)) + "  " + row[4])
    counts = ", ".join(f"{n} {risk}" for risk, n in risk_counts(visible).items())
    print(f"\n{len(visible)} of {len(runtime.operations)} tools: {counts}")
    gated = sum(op.risk in GATED_RISKS for op in visible)
    print(f"{gated} need confirmation (--confirm {settings.confirm}); every non-read tool accepts dry_run=true")
    if runtime.discovery is not None:
        print("--tools discover: the agent is listed search_tools, describe_tool and call_tool, which reach these")
    return 0


def shown_scopes(scopes: Sequence[str]) -> str:
    """The specific scopes; the all:* wildcards that every tool also accepts are left out."""
    return ",".join(s for s in scopes if not s.startswith("all:")) or ",".join(scopes)


if __name__ == "__main__":
    raise SystemExit(main())
