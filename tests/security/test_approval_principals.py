"""Issue 21, items 5, 6 and 9: an approval belongs to the principal that asked, and the default setup
does not let an agent that can make HTTP requests approve its own call.

Each attack runs against a real server process, through the SDK client for the tool calls and raw
HTTP for what a browser, another tenant or the agent itself could send to the approval pages; the
sandbox's request log says what reached "Instantly"."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import anyio
import httpx2

from support.approvals import approver_secret
from support.auth_server import auth_server
from support.security import body, environ_of, http_client, http_mcp

PLATFORM = "platform-token-every-tenant-sends-5b9e"
KEY_A = "sk-tenant-A-key-0001-7c1d"
KEY_B = "sk-tenant-B-key-0002-91fe"


def writes(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def campaign_id(sandbox: Any, index: int = 0) -> str:
    listed = sandbox.admin.get("/api/v2/campaigns", params={"limit": 2}, headers={"Authorization": "Bearer x"})
    return str(listed.json()["items"][index]["id"])


def call(url: str, headers: dict[str, str], name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with http_client(url, headers) as client:
            return body(await client.call_tool(name, arguments))  # type: ignore[no-any-return]

    return anyio.run(run)


def csrf_of(page: httpx2.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def test_a_tenant_never_lists_or_decides_another_tenants_approval(tmp_path: Path, sandbox: Any) -> None:
    """The docs/deployment.md recipe: --per-request-key behind a platform token. Tenant B (and anyone
    holding only the platform token) neither sees nor decides tenant A's pending delete."""
    target = {"id": campaign_id(sandbox)}
    env = {"INSTANTLY_BASE_URL": sandbox.url + "/api/v2/", "INSTANTLY_MCP_AUTH_TOKEN": PLATFORM}
    platform = {"Authorization": f"Bearer {PLATFORM}"}
    with http_mcp(tmp_path, "--per-request-key", **env) as server:
        as_a, as_b = {**platform, "X-Instantly-Api-Key": KEY_A}, {**platform, "X-Instantly-Api-Key": KEY_B}
        asked = call(server.url, as_a, "delete_campaign", target)
        approval_id = asked["approval_id"]
        api = server.base + "/approvals/api"
        platform_only = httpx2.get(api + "/pending", headers=platform)
        b_lists = httpx2.get(api + "/pending", headers=as_b)
        b_index = httpx2.get(server.base + "/approvals", headers=as_b)
        b_approves = httpx2.post(f"{api}/{approval_id}/approve", headers=as_b)
        page = httpx2.get(f"{server.base}/approvals/{approval_id}")
        b_on_page = httpx2.post(
            f"{server.base}/approvals/{approval_id}",
            data={"csrf": csrf_of(page), "decision": "approve", "approver_token": KEY_B},
        )
        platform_on_page = httpx2.post(
            f"{server.base}/approvals/{approval_id}",
            data={"csrf": csrf_of(page), "decision": "approve", "approver_token": PLATFORM},
        )
        still_waiting = call(server.url, as_a, "delete_campaign", {**target, "approval_id": approval_id})
        nothing_yet = writes(sandbox)
        a_lists = httpx2.get(api + "/pending", headers={"X-Instantly-Api-Key": KEY_A})
        a_approves = httpx2.post(f"{api}/{approval_id}/approve", headers={"X-Instantly-Api-Key": KEY_A})
        done = call(server.url, as_a, "delete_campaign", {**target, "approval_id": approval_id})
    assert asked["status"] == "approval_required"
    assert platform_only.status_code == 401  # the platform token is no approver credential
    assert b_lists.status_code == 200 and b_lists.json() == []
    assert b_index.status_code == 200 and approval_id not in b_index.text and "delete" not in b_index.text.lower()
    assert b_approves.status_code == 404
    assert b_on_page.status_code == 403 and platform_on_page.status_code == 403
    assert still_waiting["status"] == "approval_pending" and nothing_yet == []
    assert [a["id"] for a in a_lists.json()] == [approval_id]
    assert a_approves.status_code == 200
    assert "approval_id" not in str(done) and [r["method"] for r in writes(sandbox)] == ["DELETE"]


def test_under_oauth_the_person_signs_in_through_the_issuer_and_only_decides_their_own(
    tmp_path: Path, sandbox: Any
) -> None:
    target = {"id": campaign_id(sandbox)}
    env = {"INSTANTLY_API_KEY": "sk-oauth-house-key-3c7a", "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}
    with auth_server() as issuer, http_mcp(tmp_path, "--oauth-issuer", issuer.issuer, **env) as server:
        audience = server.url
        alice = {"Authorization": f"Bearer {issuer.mint(audience=audience, subject='alice@example.com')}"}
        bob = {"Authorization": f"Bearer {issuer.mint(audience=audience, subject='bob@example.com')}"}
        asked = call(server.url, alice, "delete_campaign", target)
        approval_id, api = asked["approval_id"], server.base + "/approvals/api"
        anonymous = [
            httpx2.get(api + "/pending").status_code,
            httpx2.get(server.base + "/approvals").status_code,
            httpx2.post(f"{api}/{approval_id}/approve").status_code,
        ]
        health = httpx2.get(server.base + "/healthz").json()
        health_with_token = httpx2.get(server.base + "/healthz", headers=alice).json()
        bob_lists = httpx2.get(api + "/pending", headers=bob).json()
        bob_approves = httpx2.post(f"{api}/{approval_id}/approve", headers=bob).status_code

        issuer.person = "bob@example.com"  # Bob signs in on the page: still not his to decide
        with httpx2.Client(base_url=server.base, follow_redirects=True) as browser:
            browser.get("/approvals/signin", params={"next": approval_id})
            bob_page = browser.get(f"/approvals/{approval_id}").text
        issuer.person = "alice@example.com"
        with httpx2.Client(base_url=server.base, follow_redirects=True) as browser:
            signed_in = browser.get("/approvals/signin", params={"next": approval_id})
            page = browser.get(f"/approvals/{approval_id}")
            decided = browser.post(
                f"/approvals/{approval_id}", data={"csrf": csrf_of(page), "decision": "approve"}, follow_redirects=False
            )
        done = call(server.url, alice, "delete_campaign", {**target, "approval_id": approval_id})
    assert anonymous == [401, 401, 401]
    assert set(health) == {"status"} and "version" in health_with_token
    assert bob_lists == [] and bob_approves == 404
    assert 'name="csrf"' not in bob_page and "someone else" in bob_page
    assert signed_in.status_code == 200 and "Signed in" in signed_in.text
    assert decided.status_code == 303 and issuer.registrations  # a client registered with the issuer
    assert "approval_id" not in str(done) and [r["method"] for r in writes(sandbox)] == ["DELETE"]


def test_an_agent_with_http_cannot_approve_its_own_call_in_the_default_setup(tmp_path: Path, sandbox: Any) -> None:
    """Item 6: the agent knows the approval URL; GET the page, read the CSRF field, POST approve is
    refused without the installation's approver secret, which is in a 0600 file, never on the
    command line or in the environment. The person types it once; the browser then has a pass."""
    target = {"id": campaign_id(sandbox)}
    env = {"INSTANTLY_API_KEY": "sk-default-setup-key-a1", "INSTANTLY_BASE_URL": sandbox.url + "/api/v2/"}
    with http_mcp(tmp_path, **env) as server:
        first = call(server.url, {}, "delete_campaign", target)
        url = first["approval_url"]
        page = httpx2.get(url)
        agent_tries = httpx2.post(url, data={"csrf": csrf_of(page), "decision": "approve"})
        agent_lists = httpx2.get(server.base + "/approvals/api/pending")
        pending = call(server.url, {}, "delete_campaign", {**target, "approval_id": first["approval_id"]})
        nothing_sent = writes(sandbox)
        assert server.proc is not None
        process_env = environ_of(server.proc.pid)
        command_line = Path(f"/proc/{server.proc.pid}/cmdline").read_bytes().decode()

        secret = approver_secret()
        secret_file = Path(os.environ["XDG_CONFIG_HOME"]) / "instantly-mcp" / "approver-secret"
        with httpx2.Client() as person:
            typed = person.post(url, data={"csrf": csrf_of(page), "decision": "approve", "approver_token": secret})
            passes = [person.cookies.get("instantly_approver")]
            done = call(server.url, {}, "delete_campaign", {**target, "approval_id": first["approval_id"]})
            second = call(server.url, {}, "delete_campaign", {"id": campaign_id(sandbox, 1)})
            again = person.get(second["approval_url"])
            by_pass = person.post(second["approval_url"], data={"csrf": csrf_of(again), "decision": "deny"})
        with httpx2.Client() as other_browser:
            login = other_browser.post(
                server.base + "/approvals/login",
                data={"approver_token": secret},
                headers={"X-Forwarded-Proto": "https"},
            )
            passes.append(other_browser.cookies.get("instantly_approver"))
    assert agent_tries.status_code == 401 and agent_lists.status_code == 401
    assert pending["status"] == "approval_pending" and nothing_sent == []
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert secret not in command_line and secret not in "".join(process_env.values())
    assert typed.status_code == 303 and [r["method"] for r in writes(sandbox)] == ["DELETE"]
    assert "approval_id" not in str(done)
    assert 'name="approver_token"' not in again.text and by_pass.status_code == 303  # asked once per browser
    cookie = typed.headers["set-cookie"]
    assert "Max-Age=" in cookie and "HttpOnly" in cookie and "Secure" not in cookie and secret not in cookie
    assert login.status_code == 303 and "Secure" in login.headers["set-cookie"]  # served over https
    assert passes[0] and passes[1] and passes[0] != passes[1]  # a random pass per sign-in, not one constant
