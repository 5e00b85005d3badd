"""Command line: `instantly-mcp [serve] [flags]`, `instantly-mcp sandbox`, `instantly-mcp tools`,
`instantly-mcp config claude-desktop`."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from instantly_mcp import __version__
from instantly_mcp.client_configs import CLIENT_CONFIGS, print_client_config
from instantly_mcp.config import (
    HOSTING_GROUPS,
    SANDBOX_SCALES,
    SERVER,
    SERVER_GROUPS,
    Meta,
    Settings,
    env_settings,
    read_secret_file,
    settings_fields,
    shown_default,
    split_list,
)
from instantly_mcp.errors import ConfigError

if TYPE_CHECKING:
    from instantly_mcp.catalog.operations import Operation

SUBCOMMANDS = ("serve", "sandbox", "tools", "approvals", "config", "doctor", "policy")
USAGE = f"instantly-mcp [{{{','.join(SUBCOMMANDS)}}}] [flags]"
HTTP_ONLY_FLAGS = ("host", "port", "auth_token", "oauth_issuer")


def add_setting_flags(parser: argparse.ArgumentParser, groups: Sequence[str]) -> None:
    """One flag per setting of these groups (config.Settings declares them), in declaration order."""
    for title in groups:
        target = parser if title == SERVER else parser.add_argument_group(title)
        for name, meta, default in settings_fields():
            if meta.group != title or meta.flag is None:
                continue
            target.add_argument(
                meta.flag, dest=name, default=None, help=flag_help(meta, default), **flag_kind(meta, default)
            )
            if meta.file_flag:
                where = f" (env {meta.file_env})" if meta.file_env else ""
                target.add_argument(
                    meta.file_flag,
                    dest=f"{name}_file",
                    metavar="PATH",
                    help=f"read {meta.flag} from the first line of this file{where}",
                )


def flag_help(meta: Meta, default: object) -> str:
    parts = [f"env {meta.env}"] if meta.env else []
    if shown := shown_default(meta, default):
        parts.append(f"default {shown}")
    if not parts:
        return meta.help
    if meta.help.endswith(")"):  # one parenthesis: "... (needs --stateless; default 1)"
        return f"{meta.help[:-1]}; {'; '.join(parts)})"
    return f"{meta.help} ({'; '.join(parts)})"


def flag_kind(meta: Meta, default: object) -> dict[str, Any]:
    """argparse's action, type, choices and metavar for a setting, from its default and metadata."""
    if isinstance(default, bool):
        return {"action": "store_true"}
    kind: dict[str, Any] = {"metavar": meta.metavar} if meta.metavar else {}
    if meta.choices:
        kind["choices"] = meta.choices
    if meta.off:
        kind["type"] = int_or_off
    elif isinstance(default, int) or (default is None and meta.low is not None):
        kind["type"] = int
    elif isinstance(default, float):
        kind["type"] = float
    return kind


def int_or_off(value: str) -> int | str:
    return "off" if value.strip().lower() == "off" else int(value)


class Parser(argparse.ArgumentParser):
    """Errors lead with the one line that matters, then a one-line usage instead of every flag."""

    def error(self, message: str) -> NoReturn:
        usage = USAGE if self.prog == "instantly-mcp" else f"{self.prog} [flags]"
        self.exit(2, f"{self.prog}: error: {message}\nusage: {usage}; `{self.prog} --help` lists them\n")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser is the server's, so `instantly-mcp --help` shows every server flag;
    `serve` is the same parser by name. Given the command line about to be parsed (`argv`), a
    subcommand gets its setting flags only when it is named there: some 50 flags each, which every
    start of the server would otherwise make for nothing."""

    def named(command: str) -> bool:
        return argv is None or command in argv

    parser = Parser(
        prog="instantly-mcp",
        usage=USAGE,
        description="MCP server for the Instantly.ai API V2. With no INSTANTLY_API_KEY it serves a built-in sandbox.",
        epilog="Subcommands: `instantly-mcp sandbox --help`, `instantly-mcp tools --help`, "
        "`instantly-mcp approvals --help`, `instantly-mcp config claude-desktop`, `instantly-mcp doctor --help`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    add_setting_flags(parser, SERVER_GROUPS + HOSTING_GROUPS)
    sub = parser.add_subparsers(
        dest="command", prog="instantly-mcp", title="subcommands", metavar=f"{{{','.join(SUBCOMMANDS)}}}"
    )
    serve = sub.add_parser(
        "serve", usage="instantly-mcp serve [flags]", help="run the MCP server (the default; takes the flags above)"
    )
    if named("serve"):
        add_setting_flags(serve, SERVER_GROUPS + HOSTING_GROUPS)
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
    if named("tools"):
        add_setting_flags(tools, SERVER_GROUPS)
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
    if named("doctor"):
        add_setting_flags(doctor, SERVER_GROUPS)
    doctor.add_argument("--json", action="store_true", help="print the report as JSON")
    _policy_command(sub, with_settings=named("policy"))
    return parser


def _policy_command(sub: argparse._SubParsersAction[Parser], *, with_settings: bool) -> None:
    policy = sub.add_parser("policy", help="check an autonomy policy file, or explain its decision on one call")
    actions = policy.add_subparsers(dest="policy_action", required=True, metavar="{check,explain}")
    check = actions.add_parser("check", help="print the decision of the policy FILE for every tool")
    check.add_argument("file", metavar="FILE")
    explain = actions.add_parser(
        "explain", help="the rule that decides one call and the counters it would take (reads the workspace)"
    )
    explain.add_argument("tool")
    explain.add_argument("--args", default="{}", metavar="JSON", help="the call's arguments as a JSON object")
    if with_settings:
        add_setting_flags(explain, SERVER_GROUPS)


def check_transport_flags(args: argparse.Namespace) -> None:
    """Hosting flags on stdio would be ignored; say what to add instead of starting something else."""
    if (getattr(args, "transport", None) or "stdio") != "stdio":
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
    from instantly_mcp.transport.runtime import build_runtime

    build_runtime(settings_from(build_parser().parse_args(["serve", *server_args])))
    return server_args


def settings_from(args: argparse.Namespace) -> Settings:
    """The environment's values, then the flags given on top (a subcommand without the hosting
    flags leaves those to the environment and the defaults)."""
    values = env_settings()
    given = vars(args)
    if "transport" in given:
        check_transport_flags(args)
    for name, meta, default in settings_fields():
        if path := given.get(f"{name}_file"):
            values[name] = read_secret_file(meta.file_flag or name, path)
        value = given.get(name)
        if value is None:
            continue
        if meta.file_flag:
            print(
                f"instantly-mcp: WARNING {meta.flag} on the command line is visible to every local user (ps); "
                f"use {meta.file_flag} or {meta.env} instead",
                file=sys.stderr,
            )
        if isinstance(default, tuple):
            value = split_list(value, meta.separators)
        values[name] = None if value == "off" and meta.off else value
    return Settings(**values)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, server_args = split_server_args(argv)
    args = build_parser(argv).parse_args(argv)
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
    """Start-up allocates hundreds of thousands of long-lived objects (the SDK's and our models, the
    tool list): collecting while they are made only walks them again and again, so the collector
    is off until they are all made, and then they are frozen out of every later collection."""
    gc.disable()
    import anyio

    from instantly_mcp.logs import configure_logging
    from instantly_mcp.transport.runtime import build_runtime
    from instantly_mcp.transport.server import announce_backend, announce_policy
    from instantly_mcp.transport.stdio import install_signal_handlers, serve_stdio

    if settings.log_format == "json":
        configure_logging(settings.log_format)
    if settings.transport == "stdio":
        install_signal_handlers()
    runtime = build_runtime(settings)
    announce_backend(settings)
    announce_policy(runtime)
    gc.freeze()
    gc.enable()
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
    from instantly_mcp.transport.runtime import build_runtime, make_client

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
    from instantly_mcp.gates.controls import risk_summary
    from instantly_mcp.transport.runtime import build_runtime

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
        print("--tools code: the agent is listed search_tools and run_code, whose scripts call these")
    return 0


def shown_scopes(scopes: Sequence[str]) -> str:
    """The specific scopes; the all:* wildcards that every tool also accepts are left out."""
    return ",".join(s for s in scopes if not s.startswith("all:")) or ",".join(scopes)


if __name__ == "__main__":
    raise SystemExit(main())
