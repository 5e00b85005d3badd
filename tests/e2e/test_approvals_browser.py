"""A person approves or denies in a real browser (Debian chromium); the agent's repeated call then
proceeds or is refused, and the sandbox's own request log shows exactly one request, or none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from support.approvals import approver_secret
from support.http_server import ROOT, clean_env, mcp_http_server
from support.servers import text

KEY = "sk-approvals-browser-5e1c"
APPROVER = "approver-secret-for-tests-7d2"
SCREENSHOT = ROOT / "docs" / "approval-page.png"


@asynccontextmanager
async def connect(url: str, mode: str = "legacy") -> AsyncIterator[Client]:
    async with (
        create_mcp_http_client() as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


def call(url: str, name: str, arguments: dict[str, Any], mode: str = "legacy") -> tuple[bool, str]:
    async def run() -> tuple[bool, str]:
        async with connect(url, mode) as client:
            result = await client.call_tool(name, arguments)
            return bool(result.is_error), text(result)

    with ThreadPoolExecutor(1) as pool:  # Playwright's sync API keeps an event loop on this thread
        return pool.submit(anyio.run, run).result(timeout=120)


def writes(sandbox: Any) -> list[dict[str, Any]]:
    return [r for r in sandbox.requests() if r["method"] != "GET"]


def first_email(sandbox: Any) -> dict[str, Any]:
    response = sandbox.admin.get("/api/v2/emails", params={"limit": 1}, headers={"Authorization": "Bearer any"})
    return response.json()["items"][0]


def reply_arguments(email: dict[str, Any]) -> dict[str, Any]:
    return {
        "eaccount": email["eaccount"],
        "reply_to_uuid": email["id"],
        "subject": "Re: pricing <b>for Q3</b>",
        "body": {"text": "Hi Ann,\nthanks for the call. Our offer: 20% off <script>alert(1)</script> until Friday."},
        "additional_recipients": ["cfo@theirs.test"],
    }


def server_args(sandbox: Any, *extra: str) -> tuple[str, ...]:
    return ("--transport", "http", "--base-url", sandbox.url, "--confirm", "auto", *extra)


def test_person_approves_in_the_browser_and_the_call_runs_once(tmp_path: Path, sandbox: Any, browser: Any) -> None:
    email = first_email(sandbox)
    arguments = reply_arguments(email)
    with mcp_http_server(tmp_path, *server_args(sandbox), INSTANTLY_API_KEY=KEY) as server:
        failed, body = call(server.url, "reply_to_email", arguments)
        asked = json.loads(body)
        assert not failed and asked["status"] == "approval_required" and "confirm_token" not in asked
        assert asked["approval_url"] == f"{server.base}/approvals/{asked['approval_id']}"
        assert writes(sandbox) == []

        page = browser.new_page()
        page.goto(asked["approval_url"])
        shown = page.inner_text("body")
        recipient = email.get("lead") or email["from_address_email"]
        assert page.locator("dt").first.inner_text() == "To" and page.locator("dd").first.inner_text() == recipient
        assert "cfo@theirs.test" in shown and email["eaccount"] in shown
        assert "Re: pricing <b>for Q3</b>" in shown and "<script>alert(1)</script> until Friday" in shown
        assert page.locator("script").count() == 0 and page.locator("b").count() == 0
        page.screenshot(path=str(tmp_path / "approval-page.png"), full_page=True)
        if os.environ.get("INSTANTLY_TEST_SAVE_SCREENSHOT"):
            shutil.copy(tmp_path / "approval-page.png", SCREENSHOT)

        early = call(server.url, "reply_to_email", {**arguments, "approval_id": asked["approval_id"]})
        assert json.loads(early[1])["status"] == "approval_pending" and writes(sandbox) == []
        page.fill("input[name=approver_token]", approver_secret())  # once per browser
        page.click("button.approve")
        assert page.inner_text("#status").startswith("Approved")

        failed, body = call(
            server.url, "reply_to_email", {**arguments, "approval_id": asked["approval_id"]}, mode="auto"
        )
        assert not failed, body
        sent = writes(sandbox)
        assert [(r["method"], r["path"]) for r in sent] == [("POST", "/api/v2/emails/reply")]
        again, body = call(server.url, "reply_to_email", {**arguments, "approval_id": asked["approval_id"]})
        assert again and "already used" in body
        assert len(writes(sandbox)) == 1


def test_person_denies_in_the_browser_and_nothing_is_sent(tmp_path: Path, sandbox: Any, browser: Any) -> None:
    campaign = sandbox.admin.get(
        "/api/v2/campaigns", params={"limit": 1}, headers={"Authorization": "Bearer x"}
    ).json()["items"][0]
    arguments = {"id": campaign["id"]}
    with mcp_http_server(tmp_path, *server_args(sandbox, "--stateless"), INSTANTLY_API_KEY=KEY) as server:
        asked = json.loads(call(server.url, "delete_campaign", arguments, mode="auto")[1])
        page = browser.new_page()
        page.goto(asked["approval_url"])
        assert campaign["name"] in page.inner_text("body")
        page.fill("input[name=approver_token]", approver_secret())
        page.click("button.deny")
        assert page.inner_text("#status").startswith("Denied")
        failed, body = call(server.url, "delete_campaign", {**arguments, "approval_id": asked["approval_id"]})
        assert not failed and json.loads(body)["status"] == "declined"
        assert writes(sandbox) == []


def test_approver_token_guards_the_buttons_and_the_cli_decides(tmp_path: Path, sandbox: Any, browser: Any) -> None:
    email = first_email(sandbox)
    arguments = reply_arguments(email)
    extra = ("--approver-token", APPROVER)
    with mcp_http_server(tmp_path, *server_args(sandbox, *extra), INSTANTLY_API_KEY=KEY) as server:
        asked = json.loads(call(server.url, "reply_to_email", arguments)[1])
        page = browser.new_page()
        page.goto(asked["approval_url"])
        page.fill("input[name=approver_token]", "wrong-token")
        page.click("button.approve")
        assert "Wrong approver credential" in page.inner_text("body")
        assert page.goto(server.base + "/approvals").status == 401

        cli = [sys.executable, "-m", "instantly_mcp.cli", "approvals"]
        env = clean_env()
        listed = subprocess.run(
            check=False, args=[*cli, "list", "--url", server.base], env=env, capture_output=True, text=True, timeout=60
        )
        assert listed.returncode == 1 and "401" in listed.stderr
        listed = subprocess.run(
            check=False,
            args=[*cli, "list", "--url", server.base, "--approver-token", APPROVER],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert asked["approval_id"] in listed.stdout and "reply_to_email" in listed.stdout
        approved = subprocess.run(
            check=False,
            args=[*cli, "approve", asked["approval_id"], "--url", server.base],
            cwd=ROOT,
            env={**env, "INSTANTLY_MCP_APPROVER_TOKEN": APPROVER},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert approved.returncode == 0 and "Approved" in approved.stdout
        assert writes(sandbox) == []
        failed, body = call(server.url, "reply_to_email", {**arguments, "approval_id": asked["approval_id"]})
        assert not failed, body
        assert len(writes(sandbox)) == 1


THREE_PARAGRAPHS = (
    "<p>Hi Ann,</p><p>thanks for the call on Tuesday. As promised, here is our offer for the third quarter: "
    "twenty percent off every seat you add before Friday, with onboarding for your whole team included and a "
    'named contact for the first ninety days.</p><p>The details are on <a href="https://offers.example.com/q3?ref=ann">'
    "our offer page</a>; reply to this email or book a call when it suits you, and we will set it up the same "
    "week.</p><p>Best,<br>Bob</p>"
)
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def test_on_a_phone_the_buttons_are_above_the_fold_and_the_body_reads_as_text(
    tmp_path: Path, sandbox: Any, browser: Any
) -> None:
    email = first_email(sandbox)
    arguments = {**reply_arguments(email), "body": {"html": THREE_PARAGRAPHS}}
    with mcp_http_server(tmp_path, *server_args(sandbox), INSTANTLY_API_KEY=KEY) as server:
        asked = json.loads(call(server.url, "reply_to_email", arguments)[1])
        page = browser.new_page()
        page.set_viewport_size(PHONE)
        page.goto(asked["approval_url"])
        for button in ("button.approve", "button.deny"):
            box = page.locator(button).bounding_box()
            assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], (button, box)
        body = page.inner_text("#body-1")
        assert body.startswith("Hi Ann,\n") and body.rstrip().endswith("Best,\nBob")
        assert "our offer page (https://offers.example.com/q3?ref=ann)" in body and "<p>" not in body
        shown = page.inner_text("body")
        assert shown.count("cfo@theirs.test") == 1 and shown.count("Re: pricing") == 1  # one summary, no repeats
        assert "This emails people outside the workspace" in shown and "credits" not in shown
        shoot(page, tmp_path, "approval-page-phone.png")
        page.set_viewport_size(DESKTOP)
        shoot(page, tmp_path, "approval-page-desktop.png")

        index = browser.new_page()
        index.goto(server.base + "/approvals")
        index.fill("input[name=approver_token]", approver_secret())  # once per browser
        index.click("button.approve")
        listed = index.inner_text("body")
        recipient = email.get("lead") or email["from_address_email"]
        assert "reply_to_email" in listed and recipient in listed and " UTC" in listed

        page.set_viewport_size(PHONE)
        page.fill("input[name=approver_token]", approver_secret())
        page.click("button.approve")
        assert page.inner_text("#status") == "Approved: go back to your assistant; it will make this call once."
        failed, body_text = call(server.url, "reply_to_email", {**arguments, "approval_id": asked["approval_id"]})
        assert not failed, body_text
        page.reload()
        assert page.inner_text("#status").startswith("Done")
        assert [(r["method"], r["path"]) for r in writes(sandbox)] == [("POST", "/api/v2/emails/reply")]


def shoot(page: Any, tmp_path: Path, name: str) -> None:
    """The screenshots in docs/ come from here (INSTANTLY_TEST_SAVE_SCREENSHOT=1 to refresh them)."""
    page.screenshot(path=str(tmp_path / name), full_page=False)
    if os.environ.get("INSTANTLY_TEST_SAVE_SCREENSHOT"):
        shutil.copy(tmp_path / name, ROOT / "docs" / name)
