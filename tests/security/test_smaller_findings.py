"""Issue 21, item 9: the smaller findings of the third review, each against a real server process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from instantly_mcp import metrics
from instantly_mcp.upstream.client import key_fingerprint

from support.approvals import approver_secret
from support.http_server import ACCEPT, INIT, ROOT, clean_env, serve_app
from support.security import http_client, http_mcp, text


def writes(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def sandbox_env(sandbox: Any, key: str = "sk-smaller-findings-key-51") -> dict[str, str]:
    return {"INSTANTLY_API_KEY": key, "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}


def approve_on_page(url: str) -> int:
    page = httpx2.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf, page.text
    form = {"csrf": csrf.group(1), "decision": "approve", "approver_token": approver_secret()}
    return httpx2.post(url, data=form).status_code


@pytest.mark.e2e  # starts a process
def test_made_up_keys_evict_made_up_key_sessions_first(tmp_path: Path) -> None:
    """At the global cap, sessions of keys Instantly never answered go before a working tenant's."""

    async def tenant_keeps_working(url: str, flood: list[int]) -> list[bool]:
        async with http_client(url, {"X-Instantly-Api-Key": "sk-real-tenant-key-7f2a"}) as tenant:
            ok = [not (await tenant.call_tool("list_block_list_entries", {"limit": 1})).is_error]
            for n in range(6):
                headers = {**ACCEPT, "X-Instantly-Api-Key": f"made-up-key-{n}-{time.monotonic_ns()}"}
                flood.append(httpx2.post(url, json=INIT, headers=headers).status_code)
            ok.append(not (await tenant.call_tool("list_block_list_entries", {"limit": 1})).is_error)
            return ok

    flood: list[int] = []
    with http_mcp(tmp_path, "--per-request-key", "--sandbox", "--max-sessions", "3") as server:
        ok = anyio.run(tenant_keeps_working, server.url, flood)
    assert flood == [200] * 6 and ok == [True, True]


def test_approval_records_in_redis_are_sealed_and_hold_no_csrf_value(tmp_path: Path, sandbox: Any, redis: Any) -> None:
    """Whoever can write to Redis cannot approve a pending call: a status it sets does not verify."""
    campaign = sandbox.admin.get("/api/v2/campaigns", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    target = {"id": campaign.json()["items"][0]["id"]}
    env = {**sandbox_env(sandbox), "INSTANTLY_MCP_REDIS_URL": redis.url, "INSTANTLY_MCP_SECRET": "s" * 40}

    async def ask_then_retry(url: str) -> tuple[dict[str, Any], str]:
        async with http_client(url) as client:
            asked = json.loads(text(await client.call_tool("delete_campaign", target)))
            key = f"instantly-mcp:approval:{asked['approval_id']}"
            stored = redis.command("HGETALL", key).decode()
            redis.command("HSET", key, "status", "approved")
            retried = await client.call_tool("delete_campaign", {**target, "approval_id": asked["approval_id"]})
            return {"asked": asked, "stored": stored}, text(retried)

    with http_mcp(tmp_path, **env) as server:
        seen, retried = anyio.run(ask_then_retry, server.url)
    assert seen["asked"]["status"] == "approval_required"
    assert "csrf" not in seen["stored"] and "mac" in seen["stored"]
    assert "no such approval" in retried and writes(sandbox) == []


@pytest.mark.e2e  # starts a process
def test_metrics_drop_a_tenants_series_with_the_tenant(tmp_path: Path) -> None:
    key = "sk-metrics-tenant-key-30d9"
    label = metrics.tenant_label(f"tenant:{key_fingerprint(key)}")

    async def one_session(url: str, base: str) -> str:
        async with http_client(url, {"X-Instantly-Api-Key": key}) as client:
            await client.call_tool("list_block_list_entries", {"limit": 1})
            async with httpx2.AsyncClient() as scraper:
                return (await scraper.get(base + "/metrics")).text

    with http_mcp(tmp_path, "--per-request-key", "--sandbox") as server:
        during = anyio.run(one_session, server.url, server.base)
        deadline = time.monotonic() + 20  # a hang guard: the session ends as the client leaves
        while label in (exposition := httpx2.get(server.base + "/metrics").text) and time.monotonic() < deadline:
            time.sleep(0.1)
    # While the session is open, its calls show under the session's label (no call in flight: 0).
    assert f'instantly_mcp_sessions{{tenant="{label}"}} 1.0' in during
    assert f'instantly_mcp_calls_in_flight{{tenant="{label}"}} 0.0' in during
    assert label not in exposition and "instantly_mcp_tool_calls_total" in exposition


def test_a_live_gated_write_is_approved_on_the_page_once(tmp_path: Path, sandbox: Any) -> None:
    campaigns = sandbox.admin.get("/api/v2/campaigns", params={"limit": 10}, headers={"Authorization": "Bearer x"})
    live = next(c for c in campaigns.json()["items"] if c["status"] == 1)
    arguments = {"id": live["id"], "name": "Renamed while live"}

    async def ask_approve_retry(url: str) -> list[str]:
        async with http_client(url) as client:
            asked = json.loads(text(await client.call_tool("update_campaign", arguments)))
            assert asked["status"] == "approval_required", asked
            assert approve_on_page(asked["approval_url"]) == 303
            with_id = {**arguments, "approval_id": asked["approval_id"]}
            done = await client.call_tool("update_campaign", with_id)
            again = await client.call_tool("update_campaign", with_id)
            return [text(done), text(again), str(done.is_error)]

    with http_mcp(tmp_path, **sandbox_env(sandbox)) as server:
        done, again, failed = anyio.run(ask_approve_retry, server.url)
    sent = writes(sandbox)
    assert failed == "False" and "Renamed while live" in done
    assert "already used" in again
    assert len(sent) == 1 and sent[0]["method"] == "PATCH" and "approval_id" not in json.dumps(sent[0])


HIDDEN = "\u061c\U000e0041\u00ad\u180e\u3164\u2066\ufeff\u115f\U000e0100"


def test_every_invisible_code_point_is_shown_escaped_on_the_page(tmp_path: Path, sandbox: Any) -> None:
    email = sandbox.admin.get("/api/v2/emails", params={"limit": 1}, headers={"Authorization": "Bearer x"})
    first = email.json()["items"][0]
    arguments = {
        "eaccount": first["eaccount"],
        "reply_to_uuid": first["id"],
        "subject": f"Invoice{HIDDEN}paid",
        "body": {"text": f"Pay to{HIDDEN} the new account"},
    }

    async def ask(url: str) -> dict[str, Any]:
        async with http_client(url) as client:
            return json.loads(text(await client.call_tool("reply_to_email", arguments)))  # type: ignore[no-any-return]

    with http_mcp(tmp_path, **sandbox_env(sandbox)) as server:
        page = httpx2.get(anyio.run(ask, server.url)["approval_url"]).text
    assert not any(char in page for char in HIDDEN)
    for code in ("\\u061c", "\\U000e0041", "\\u00ad", "\\u180e", "\\u3164", "\\u115f", "\\U000e0100"):
        assert code in page


@pytest.mark.e2e  # starts a process
def test_doctor_scrubs_field_names(tmp_path: Path) -> None:
    key = "sk-doctor-secret-key-1c9e55aa"

    async def answer(request: Request) -> JSONResponse:
        return JSONResponse({"items": [{key: 1, "id": "x"}], key: True})

    app = Starlette(routes=[Route("/{path:path}", answer)])
    with serve_app(app) as url:
        done = subprocess.run(
            [sys.executable, "-m", "instantly_mcp.cli", "doctor", "--base-url", url],
            env=clean_env(INSTANTLY_API_KEY=key),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert "difference" in done.stdout and key not in done.stdout + done.stderr


@pytest.mark.e2e  # starts a process
def test_a_non_ascii_last_event_id_gets_a_clean_400(tmp_path: Path) -> None:
    with http_mcp(tmp_path, "--sandbox") as server:
        opened = httpx2.post(server.url, json=INIT, headers=ACCEPT)
        session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        resumed = httpx2.get(server.url, headers={**ACCEPT, **session, "Last-Event-ID": "²".encode("latin-1")})
        log = server.log()
    assert resumed.status_code == 400 and "Last-Event-ID" in resumed.text
    assert "ValueError" not in log and "Traceback" not in log


@pytest.mark.e2e  # starts a process
def test_the_approvals_cli_sends_no_token_over_plain_http_to_another_host() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "instantly_mcp.cli", "approvals", "list", "--url", "http://192.0.2.1:8000"],
        env=clean_env(INSTANTLY_MCP_APPROVER_TOKEN="approver-token-not-for-the-wire"),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and "plain HTTP" in done.stderr and "cannot reach" not in done.stderr
