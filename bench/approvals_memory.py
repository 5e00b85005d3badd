"""What 1,000 maximal unapproved gated calls cost the server in memory (issue 21, item 7).

Starts the local sandbox and `instantly-mcp --transport http` (one API key, approval pages on), then
sends N replies of about 470 kB of arguments each (every string and list near its input limit), none
approved, through one SDK session; prints the server's RSS before and after, and the growth per call.
The approvals are held by bytes (gates/approvals.py: MAX_OWNER_BYTES per principal, MAX_BYTES in all),
so the growth stays flat however many calls come. Asserts nothing.

    python bench/approvals_memory.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from common import free_port, memory_mb, start_sandbox, wait_http

ROOT = Path(__file__).resolve().parent.parent


def maximal_reply(email: dict, n: int) -> dict:
    addresses = ",".join(f"{'a' * 30}{i}@example.com" for i in range(1_800))
    return {
        "eaccount": email["eaccount"],
        "reply_to_uuid": email["id"],
        "subject": f"{n} " + "s" * 90_000,
        "body": {"text": "t" * 95_000, "html": "<p>" + "h" * 95_000 + "</p>"},
        "cc_address_email_list": addresses,
        "bcc_address_email_list": addresses,
    }


async def flood(url: str, email: dict, calls: int, pid: int) -> tuple[float, float, float, int]:
    async with (
        create_mcp_http_client() as http,
        Client(streamable_http_client(url, http_client=http), mode="legacy") as client,
    ):
        await client.call_tool("reply_to_email", maximal_reply(email, -1))  # warm: imports, first page, caches
        before = memory_mb(pid)
        size = len(json.dumps(maximal_reply(email, 0)))
        started = time.perf_counter()
        asked = 0
        for n in range(calls):
            result = await client.call_tool("reply_to_email", maximal_reply(email, n))
            asked += '"approval_required"' in result.content[0].text
            if n == 0 and not asked:
                raise SystemExit(f"not asked: {result.content[0].text[:300]}")
        return before, memory_mb(pid), time.perf_counter() - started, size if asked == calls else -asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1_000)
    calls = parser.parse_args().calls
    sandbox_port, port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="instantly-mcp-bench-")
    sandbox = start_sandbox(ROOT, sandbox_port, env)
    upstream = f"http://127.0.0.1:{sandbox_port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "--transport", "http", "--port", str(port)],
        cwd=ROOT,
        env={**env, "INSTANTLY_API_KEY": "sk-bench-approvals-memory", "INSTANTLY_BASE_URL": upstream + "/api/v2/"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", server, healthy=True)
        email = httpx2.get(
            upstream + "/api/v2/emails", params={"limit": 1}, headers={"Authorization": "Bearer x"}
        ).json()["items"][0]
        before, after, seconds, size = anyio.run(flood, f"http://127.0.0.1:{port}/mcp", email, calls, server.pid)
    finally:
        for proc in (server, sandbox):
            proc.terminate()
            proc.wait(15)
    if size < 0:
        raise SystemExit(f"only {-size} of {calls} calls asked for approval")
    print(f"{calls} unapproved reply_to_email calls of {size / 1024:.0f} kB arguments each, in {seconds:.0f} s")
    print(f"server RSS  before {before:7.1f} MB   after {after:7.1f} MB   growth {after - before:+7.1f} MB")
    print(f"            per call {(after - before) * 1024 / calls:+.1f} kB (target: 1,000 calls within +50 MB)")


if __name__ == "__main__":
    main()
