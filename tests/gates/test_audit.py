"""The audit log: one line per non-read call with its decision and upstream status, and never a secret."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters

from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError
from instantly_mcp.gates.audit import redact
from instantly_mcp.transport.runtime import build_runtime

from support.servers import TEST_KEY, Human, answer, policy_server

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_redact_masks_credential_keys_and_known_secrets() -> None:
    arguments = {
        "email": "a@b.test",
        "smtp_password": "hunter2",
        "imap_password": "hunter3",
        "provider": {"api_key": "k1", "client_secret": "s1", "refresh_token": "t1", "host": "smtp.b.test"},
        "headers": [{"name": "X-Trace", "value": f"Bearer {TEST_KEY}"}, {"Authorization": "Basic abc"}],
        "sec": "SECRET_TOKEN",
        "section": "kept",
        "confirm_token": "v1.1.abc",
    }
    assert redact(arguments, secrets=[TEST_KEY]) == {
        "email": "a@b.test",
        "smtp_password": "***",
        "imap_password": "***",
        "provider": {"api_key": "***", "client_secret": "***", "refresh_token": "***", "host": "smtp.b.test"},
        "headers": [{"name": "X-Trace", "value": "Bearer ***"}, {"Authorization": "***"}],
        "sec": "***",
        "section": "kept",
        "confirm_token": "***",
    }


async def test_every_non_read_call_is_one_line_with_its_decision(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with policy_server(
        audit_log=str(log), scopes=("all:read", "block_list_entries:all", "leads:all", "accounts:all")
    ) as mcp:
        await mcp.call("list_block_list_entries", {"limit": 1})
        await mcp.call("create_block_list_entry", {"bl_value": "audit.test"})
        await mcp.call("create_block_list_entry", {"bl_value": "dry.test", "dry_run": True})
        await mcp.call("create_block_list_entry", {})
        await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        lead_id = (await mcp.data("list_leads", {"limit": 1}))["items"][0]["id"]
        token = answer(await mcp.call("delete_lead", {"id": lead_id}))["confirm_token"]
        await mcp.call("delete_lead", {"id": lead_id, "confirm_token": token})
        await mcp.call("delete_lead", {"id": lead_id, "confirm_token": token})
        await mcp.call(
            "create_account",
            {
                "email": "x@y.test",
                "first_name": "X",
                "last_name": "Y",
                "provider_code": 1,
                "imap_username": "x",
                "imap_password": "imap-pass-1",
                "imap_host": "h",
                "imap_port": 993,
                "smtp_username": "x",
                "smtp_password": TEST_KEY,
                "smtp_host": "h",
                "smtp_port": 465,
                "dry_run": True,
            },
        )
        upstream = {e.method: e.status for e in mcp.sent if e.method != "GET"}
    records = lines(log)
    assert [(r["tool"], r["decision"]) for r in records] == [
        ("create_block_list_entry", "sent"),
        ("create_block_list_entry", "dry_run"),
        ("create_block_list_entry", "invalid"),
        ("delete_campaign", "refused"),
        ("delete_lead", "confirmation_required"),
        ("delete_lead", "sent"),
        ("delete_lead", "refused"),
        ("create_account", "dry_run"),
    ]
    assert [r["status"] for r in records if r["decision"] == "sent"] == [upstream["POST"], upstream["DELETE"]]
    assert all(r["status"] is None for r in records if r["decision"] != "sent")
    assert all(
        isinstance(r["duration_ms"], (int, float)) and r["duration_ms"] >= 0 and r["ts"].endswith("+00:00")
        for r in records
    )
    assert records[0]["arguments"] == {"bl_value": "audit.test"}
    assert records[5]["arguments"] == {"id": lead_id, "confirm_token": "***"}
    assert records[7]["arguments"]["imap_password"] == "***" and records[7]["arguments"]["smtp_password"] == "***"
    content = log.read_text()
    assert TEST_KEY not in content and "imap-pass-1" not in content
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o600


async def test_declined_elicitation_is_audited(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with policy_server(audit_log=str(log), elicit=Human(action="decline"), scopes=("leads:delete",)) as mcp:
        await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"})
    assert [(r["decision"], r["status"]) for r in lines(log)] == [("declined", None)]


def test_unwritable_audit_log_stops_the_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        build_runtime(Settings(audit_log=str(tmp_path / "missing" / "audit.jsonl")))
    assert "--audit-log" in str(info.value)
    with pytest.raises(ConfigError):
        build_runtime(Settings(audit_log=str(tmp_path)))


@pytest.mark.e2e  # starts a process
def test_stdio_server_confirms_by_token_and_audits_without_the_key(tmp_path: Path) -> None:
    """The installed entry point end to end: flags on `serve`, a client without elicitation, the
    two-step token, and the audit file written by the server process."""
    log = tmp_path / "audit.jsonl"
    key = "sk-live-must-never-be-logged-4242"
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env.update(
        INSTANTLY_API_KEY=key, INSTANTLY_MCP_SECRET="stdio-test-secret-of-at-least-32-bytes", PYTHONPATH=str(ROOT)
    )
    args = [
        "-m",
        "instantly_mcp.cli",
        "serve",
        "--sandbox",
        "--scopes",
        "campaigns:all",
        "--confirm",
        "token",
        "--audit-log",
        str(log),
    ]
    params = StdioServerParameters(command=sys.executable, args=args, env=env, cwd=str(ROOT))

    async def run() -> tuple[set[str], dict, bool, bool]:
        async with Client(params, mode="legacy") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            campaign = json.loads((await client.call_tool("list_campaigns", {"limit": 1})).content[0].text)["items"][0]
            first = json.loads((await client.call_tool("delete_campaign", {"id": campaign["id"]})).content[0].text)
            done = await client.call_tool(
                "delete_campaign", {"id": campaign["id"], "confirm_token": first["confirm_token"]}
            )
            gone = await client.call_tool("get_campaign", {"id": campaign["id"]})
            return names, first, done.is_error, gone.is_error

    names, first, failed, gone = anyio.run(run)
    assert "delete_campaign" in names and "list_leads" not in names
    assert first["status"] == "confirmation_required" and "cannot be undone" in first["summary"]
    assert not failed and gone
    records = lines(log)
    assert [(r["tool"], r["decision"]) for r in records] == [
        ("delete_campaign", "confirmation_required"),
        ("delete_campaign", "sent"),
    ]
    assert records[1]["status"] == 200
    assert key not in log.read_text()
