"""Command line: `instantly-mcp [serve]`, `instantly-mcp sandbox`, `instantly-mcp tools`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .config import ConfigError, Settings, env_settings, split_list

SUBCOMMANDS = ("serve", "sandbox", "tools")


def _server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", help="Instantly API base (env INSTANTLY_BASE_URL); may end in /api/v2")
    parser.add_argument("--sandbox", action="store_true", help="serve the built-in sandbox even when INSTANTLY_API_KEY is set")
    parser.add_argument("--sandbox-db", metavar="PATH", help="persist the sandbox workspace to this SQLite file")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per upstream request (default 30)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="instantly-mcp", description="MCP server for the Instantly.ai API V2.")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run the MCP server (default)")
    _server_flags(serve)
    serve.add_argument("--transport", choices=["stdio"], default="stdio")
    sandbox = sub.add_parser("sandbox", help="serve the sandbox Instantly API alone over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8089)
    sandbox.add_argument("--db", metavar="PATH", help="persist to this SQLite file")
    sandbox.add_argument("--no-seed", action="store_true", help="start with an empty workspace")
    tools = sub.add_parser("tools", help="print the tools an agent would see")
    _server_flags(tools)
    return parser


def settings_from(args: argparse.Namespace) -> Settings:
    values = env_settings()
    if args.base_url:
        values["base_url"] = args.base_url
    values.update(sandbox=args.sandbox, sandbox_db=args.sandbox_db, timeout_s=args.timeout)
    if getattr(args, "transport", None):
        values["transport"] = args.transport
    if values.get("base_url") and not str(values["base_url"]).startswith(("http://", "https://")):
        raise ConfigError(f"--base-url must start with http:// or https://, got {values['base_url']!r}")
    return Settings(**values)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        argv.insert(0, "serve")
    args = build_parser().parse_args(argv)
    try:
        if args.command == "sandbox":
            from .sandbox import serve

            serve(host=args.host, port=args.port, db_path=args.db, seed=not args.no_seed)
            return 0
        settings = settings_from(args)
        if args.command == "tools":
            return print_tools(settings)
        return run_server(settings)
    except ConfigError as exc:
        print(f"instantly-mcp: {exc}", file=sys.stderr)
        return 2


def run_server(settings: Settings) -> int:
    import anyio

    from .server import announce_backend, serve_stdio

    announce_backend(settings)
    anyio.run(serve_stdio, settings)
    return 0


def print_tools(settings: Settings) -> int:
    from .server import build_runtime

    runtime = build_runtime(settings)
    rows = [(op.name, op.risk, op.toolset, ",".join(op.scopes[:1])) for op in runtime.operations.values()]
    width = max(len(r[0]) for r in rows)
    print(f"{'tool':{width}}  {'risk':11}  {'toolset':14}  scope")
    for name, risk, toolset, scope in rows:
        print(f"{name:{width}}  {risk:11}  {toolset:14}  {scope}")
    print(f"{len(rows)} tools")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
