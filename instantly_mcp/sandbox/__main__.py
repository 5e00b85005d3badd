"""`python -m instantly_mcp.sandbox --port 8089 [--host 127.0.0.1] [--db PATH] [--no-seed]`."""

from __future__ import annotations

import argparse

from instantly_mcp.sandbox.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m instantly_mcp.sandbox", description="Run the Instantly API V2 sandbox."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--db", dest="db_path", default=None, help="SQLite file that keeps state across restarts")
    parser.add_argument("--no-seed", dest="seed", action="store_false", help="start with an empty workspace")
    parser.add_argument("--scale", choices=("demo", "large"), default="demo", help="the seeded workspace's size")
    args = parser.parse_args(argv)
    serve(host=args.host, port=args.port, db_path=args.db_path, seed=args.seed, scale=args.scale)


if __name__ == "__main__":
    main()
