"""The API key appears nowhere: not in results, errors, logs at debug level, the audit log, stdout
or stderr. A representative scenario set runs against the stdio server as users run it (a
subprocess, with a distinctive key, debug logging on, faults injected, audit log on); then every
byte it produced is searched for the key."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from .harness import text

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-LEAKCANARY-7f3e9a1c5b2d4e6f8a0b"

# Debug logging for every logger (ours, httpx2, httpcore, mcp) into a file, then the real CLI.
RUN_WITH_DEBUG_LOG = (
    "import logging, sys; logging.basicConfig(level=logging.DEBUG, filename=sys.argv.pop(1), "
    "format='%(asctime)s %(name)s %(levelname)s %(message)s'); "
    "from instantly_mcp.cli import main; sys.exit(main())"
)


def scenarios(sandbox) -> list[tuple[list[dict] | None, str, dict]]:
    """(fault rules to set first, tool, arguments): successes, upstream errors, every fault class,
    invalid and oversized input, a confirmed destructive call."""
    bl = "/api/v2/block-lists-entries"
    return [
        ([], "list_campaigns", {"limit": 2}),
        (None, "get_lead", {"id": "0190c0de-0000-7000-8000-0000000000fe"}),
        (None, "create_block_list_entry", {"bl_value": "canary.example"}),
        (
            [{"path_prefix": "/api/v2/campaigns", "status": 429, "retry_after": 0, "times": 2}],
            "list_campaigns",
            {"limit": 1},
        ),
        ([{"path_prefix": "/api/v2/campaigns", "status": 429, "times": 1}], "list_campaigns", {"limit": 1}),
        (
            [{"path_prefix": bl, "method": "POST", "status": 500}],
            "create_block_list_entry",
            {"bl_value": "five.example"},
        ),
        (
            [{"path_prefix": bl, "method": "POST", "status": 502}],
            "create_block_list_entry",
            {"bl_value": "two.example"},
        ),
        ([{"path_prefix": "/api/v2/accounts", "status": 503, "times": 1}], "list_accounts", {"limit": 1}),
        ([{"path_prefix": "/api/v2/accounts", "status": 504, "times": 1}], "list_accounts", {"limit": 1}),
        (
            [{"path_prefix": bl, "method": "POST", "kind": "latency", "delay_s": 1.0}],
            "create_block_list_entry",
            {"bl_value": "slow.example"},
        ),
        ([{"path_prefix": "/api/v2/lead-lists", "kind": "drop", "times": 1}], "list_lead_lists", {"limit": 1}),
        (
            [{"path_prefix": bl, "method": "POST", "kind": "drop"}],
            "create_block_list_entry",
            {"bl_value": "reset.example"},
        ),
        ([{"path_prefix": "/api/v2/custom-tags", "kind": "malformed"}], "list_custom_tags", {"limit": 1}),
        ([{"path_prefix": "/api/v2/campaigns", "kind": "html"}], "list_campaigns", {"limit": 1}),
        (
            [{"path_prefix": "/api/v2/leads/add", "kind": "malformed"}],
            "add_leads",
            {"list_id": "x", "leads": [{"email": "a@canary.example"}]},
        ),
        ([], "list_campaigns", {"limit": "ten"}),
        (None, "create_block_list_entry", {"bl_value": "x" * 200_000}),
        (None, "no_such_tool", {}),
    ]


def test_the_key_appears_in_no_output_of_a_run(sandbox, tmp_path: Path) -> None:
    debug_log, audit_log = tmp_path / "debug.log", tmp_path / "audit.log"
    stdout_copy, stderr_file = tmp_path / "stdout.log", tmp_path / "stderr.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env.update(
        INSTANTLY_API_KEY=KEY,
        INSTANTLY_BASE_URL=sandbox.url,
        INSTANTLY_AUDIT_LOG=str(audit_log),
        PYTHONPATH=str(ROOT),
        INSTANTLY_CONFIRM="token",
    )
    command = f'{sys.executable} -c "$0" {debug_log} serve --timeout 0.5 2>{stderr_file} | tee {stdout_copy}'
    params = StdioServerParameters(command="bash", args=["-c", command, RUN_WITH_DEBUG_LOG], env=env, cwd=str(ROOT))
    texts: list[str] = []

    async def run() -> None:
        async with Client(params, mode="legacy") as client:
            for rules, name, args in scenarios(sandbox):
                if rules is not None:
                    sandbox.faults(rules)
                texts.append(text(await client.call_tool(name, args)))
            sandbox.faults([])
            entry = sandbox.admin.get("/api/v2/block-lists-entries", headers={"Authorization": "Bearer x"}).json()[
                "items"
            ][0]
            first = await client.call_tool("delete_block_list_entry", {"id": entry["id"]})
            texts.append(text(first))
            token = json.loads(text(first)).get("confirm_token")
            assert token, text(first)
            texts.append(
                text(await client.call_tool("delete_block_list_entry", {"id": entry["id"], "confirm_token": token}))
            )

    anyio.run(run)
    outputs = {
        "results": "\n".join(texts),
        "debug log": debug_log.read_text(errors="replace"),
        "audit log": audit_log.read_text(errors="replace"),
        "stdout": stdout_copy.read_text(errors="replace"),
        "stderr": stderr_file.read_text(errors="replace"),
        "sandbox request log": json.dumps(sandbox.requests()),
    }
    assert "HTTP Request" in outputs["debug log"] and "instantly_mcp.upstream.client" in outputs["debug log"]
    assert outputs["audit log"].count("\n") >= 5 and '"decision":"sent"' in outputs["audit log"]
    assert "jsonrpc" in outputs["stdout"]
    assert len(texts) == len(scenarios(sandbox)) + 2
    leaks = {where: content.count(KEY) for where, content in outputs.items() if KEY in content}
    assert leaks == {}
    assert KEY[3:19] not in "".join(outputs.values())  # not even a fragment of it
