"""Peer (b): FastMCP.from_openapi over the same vendored spec, as its documentation shows it.

Runs in the bench's own environment (.cache/bench-fastmcp, made by stdio_bench.py), never in the
project's. The one operation the bench calls gets the same name as ours, so both are called alike.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx2
from fastmcp import FastMCP

SPEC = Path(__file__).resolve().parent.parent / "tool_specs" / "source" / "openapi.json"
UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:8089")

client = httpx2.AsyncClient(base_url=UPSTREAM, headers={"Authorization": "Bearer bench-key"})
server = FastMCP.from_openapi(
    json.loads(SPEC.read_text()),
    client=client,
    name="instantly-fastmcp",
    mcp_names={"listBlockListEntry": "list_block_list_entries"},
)

if __name__ == "__main__":
    server.run(show_banner=False)
