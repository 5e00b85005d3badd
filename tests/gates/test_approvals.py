"""The human approval channel through the SDK client: bound, single-use, expiring approvals; the
pages' CSRF, approver token and escaping; URL elicitation with a bounded wait; elicitation only on
protocol versions that define it; --confirm human; batches; and no approval for a call that cannot succeed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import mcp.client.session as client_session
import mcp_types as types
import pytest

from instantly_mcp import cli
from instantly_mcp.config import Settings
from instantly_mcp.errors import ApprovalRefused, ConfigError
from instantly_mcp.gates import approvals
from instantly_mcp.transport.approvers import create_secret
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import AGENT_CONFIRMS, announce_policy

from support.approvals import PAGES_BASE, serve_pages
from support.servers import Clock, Human, answer, policy_server, text

pytestmark = pytest.mark.anyio
MODES = ["legacy", "auto"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def seeded(mcp: Any, tool: str) -> dict[str, Any]:
    return (await mcp.data(tool, {"limit": 1}))["items"][0]


async def asked_for(mcp: Any, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    body = answer(await mcp.call(tool, arguments))
    assert body["status"] == "approval_required" and "confirm_token" not in body, body
    assert body["approval_url"] == f"{PAGES_BASE}/approvals/{body['approval_id']}"
    return body


@pytest.mark.parametrize("mode", MODES)
async def test_approved_call_runs_once_and_only_for_what_was_approved(mode: str) -> None:
    clock = Clock()
    async with policy_server(mode=mode, clock=clock) as mcp, serve_pages(mcp) as pages:
        lead, other = (await mcp.data("list_leads", {"limit": 2}))["items"]
        asked = await asked_for(mcp, "delete_lead", {"id": lead["id"]})
        approval_id = asked["approval_id"]
        assert lead["email"] in asked["summary"]

        pending = answer(await mcp.call("delete_lead", {"id": lead["id"], "approval_id": approval_id}))
        assert pending["status"] == "approval_pending" and mcp.writes() == []
        assert (await pages.decide(approval_id, "approve")).status_code == 303

        for tool, arguments in (("delete_lead", {"id": other["id"]}), ("delete_lead_list", {"id": lead["id"]})):
            refused = await mcp.call(tool, {**arguments, "approval_id": approval_id})
            assert refused.is_error and "different call" in text(refused), text(refused)
        for forged in (other_last(approval_id), "yes", ""):
            refused = await mcp.call("delete_lead", {"id": lead["id"], "approval_id": forged})
            assert refused.is_error and "no such approval" in text(refused)
        assert mcp.writes() == []

        done = await mcp.call("delete_lead", {"id": lead["id"], "approval_id": approval_id})
        assert not done.is_error, text(done)
        assert [(e.method, e.url.rsplit("/", 1)[1]) for e in mcp.writes()] == [("DELETE", lead["id"])]
        twice = await mcp.call("delete_lead", {"id": lead["id"], "approval_id": approval_id})
        assert twice.is_error and "already used" in text(twice)

        late = await asked_for(mcp, "delete_lead", {"id": other["id"]})
        await pages.decide(late["approval_id"], "approve")
        clock.advance(601)
        expired = await mcp.call("delete_lead", {"id": other["id"], "approval_id": late["approval_id"]})
        assert expired.is_error and "expired" in text(expired)
        assert len(mcp.writes()) == 1


async def test_an_approval_id_never_opens_with_a_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A person pastes the id into `instantly-mcp approvals approve ID`, where "-..." reads as an
    option (one random id in 64 opened so, and the CLI answered with its usage)."""
    drawn = iter(["-" + "a" * 31, "b" * 32])
    monkeypatch.setattr(approvals.secrets, "token_urlsafe", lambda n: next(drawn))
    async with policy_server() as mcp, serve_pages(mcp):
        lead = await seeded(mcp, "list_leads")
        approval_id = (await asked_for(mcp, "delete_lead", {"id": lead["id"]}))["approval_id"]
    assert approval_id == "b" * 32
    assert cli.build_parser().parse_args(["approvals", "approve", approval_id]).id == approval_id


def test_the_approver_secret_never_opens_with_a_dash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """It is pasted as `--approver-token TOKEN`, where "-..." reads as a flag of its own."""
    drawn = iter(["-" + "a" * 42, "b" * 43])
    monkeypatch.setattr(approvals.secrets, "token_urlsafe", lambda n: next(drawn))
    secret = create_secret(tmp_path / "approver-secret")
    assert secret == "b" * 43
    parsed = cli.build_parser(["approvals"]).parse_args(["approvals", "list", "--approver-token", secret])
    assert parsed.approver_token == secret


async def test_another_key_or_tenant_cannot_use_the_approval() -> None:
    async with policy_server(api_key="sk-workspace-a-1") as a, serve_pages(a) as pages:
        lead = await seeded(a, "list_leads")
        asked = await asked_for(a, "delete_lead", {"id": lead["id"]})
        await pages.decide(asked["approval_id"], "approve")
        desk = a.runtime.policy.desk
        async with policy_server(api_key="sk-workspace-b-2", app=a.app) as b:
            b.runtime.policy.desk = desk  # as replicas sharing one store would
            refused = await b.call("delete_lead", {"id": lead["id"], "approval_id": asked["approval_id"]})
            assert refused.is_error and "different call" in text(refused)
            assert b.writes() == []
        fingerprint = a.runtime.key_fingerprint
        with pytest.raises(ApprovalRefused, match="tenant"):
            await desk.redeem(asked["approval_id"], "delete_lead", {"id": lead["id"]}, fingerprint, "tenant:other")
        done = await a.call("delete_lead", {"id": lead["id"], "approval_id": asked["approval_id"]})
        assert not done.is_error and len(a.writes()) == 1


async def test_pages_refuse_missing_csrf_wrong_origin_and_unknown_ids() -> None:
    async with policy_server() as mcp, serve_pages(mcp) as pages:
        campaign = await seeded(mcp, "list_campaigns")
        approval_id = (await asked_for(mcp, "delete_campaign", {"id": campaign["id"]}))["approval_id"]
        url = f"/approvals/{approval_id}"
        no_csrf = await pages.http.post(url, data={"decision": "approve"})
        assert no_csrf.status_code == 403
        wrong_csrf = await pages.http.post(url, data={"decision": "approve", "csrf": "guess"})
        assert wrong_csrf.status_code == 403
        csrf = await pages.csrf(approval_id)
        cross_site = await pages.http.post(
            url, data={"decision": "approve", "csrf": csrf}, headers={"Origin": "https://evil.test"}
        )
        assert cross_site.status_code == 403
        rebinding = await pages.http.get(url, headers={"Host": "evil.test"})
        assert rebinding.status_code == 421
        for forged in ("/approvals/" + other_last(approval_id), "/approvals/guessed-id"):
            assert (await pages.http.get(forged)).status_code == 404
            assert (await pages.http.post(forged, data={"decision": "approve", "csrf": csrf})).status_code == 404
        still = answer(await mcp.call("delete_campaign", {"id": campaign["id"], "approval_id": approval_id}))
        assert still["status"] == "approval_pending" and mcp.writes() == []
        page = await pages.http.get(url)
        assert page.headers["content-security-policy"].startswith("default-src 'none'")
        assert page.headers["x-frame-options"] == "DENY" and "<form" in page.text and "<script" not in page.text


async def test_approver_token_guards_index_and_buttons() -> None:
    async with policy_server() as mcp, serve_pages(mcp, approver_token="let-me-approve-42") as pages:
        campaign = await seeded(mcp, "list_campaigns")
        approval_id = (await asked_for(mcp, "delete_campaign", {"id": campaign["id"]}))["approval_id"]
        assert (await pages.http.get("/approvals")).status_code == 401
        assert (await pages.http.get("/approvals/api/pending")).status_code == 401
        assert (await pages.decide(approval_id, "approve")).status_code == 401
        assert (await pages.decide(approval_id, "approve", approver_token="wrong")).status_code == 401
        index = await pages.http.get("/approvals", headers={"Authorization": "Bearer let-me-approve-42"})
        assert index.status_code == 200 and approval_id in index.text
        ok = await pages.decide(approval_id, "deny", approver_token="let-me-approve-42")
        assert ok.status_code == 303 and "instantly_approver" in ok.headers["set-cookie"]
        assert "let-me-approve-42" not in ok.headers["set-cookie"]
        denied = answer(await mcp.call("delete_campaign", {"id": campaign["id"], "approval_id": approval_id}))
        assert denied["status"] == "declined" and mcp.writes() == []


async def test_page_escapes_html_and_control_characters_in_every_field() -> None:
    hostile = "<img src=x onerror=alert(1)>\x1b[31m\u202eevil\x00"
    async with policy_server() as mcp, serve_pages(mcp) as pages:
        email = await seeded(mcp, "list_emails")
        arguments = {
            "eaccount": email["eaccount"],
            "reply_to_uuid": email["id"],
            "subject": hostile,
            "body": {"text": hostile},
            "cc_address_email_list": hostile,
        }
        approval_id = (await asked_for(mcp, "reply_to_email", arguments))["approval_id"]
        page = (await pages.http.get(f"/approvals/{approval_id}")).text
        assert "<img" not in page and page.count("&lt;img src=x onerror=alert(1)&gt;") >= 4
        for raw in ("\x1b", "\u202e", "\x00"):
            assert raw not in page
        assert "\\u001b[31m\\u202eevil\\u0000" in page
        assert mcp.writes() == []


async def test_url_elicitation_continues_the_same_call_once_the_person_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    declare_only_url(monkeypatch)
    opened: list[types.ElicitRequestURLParams] = []
    async with policy_server(elicit=None) as mcp, serve_pages(mcp) as pages:
        lead = await seeded(mcp, "list_leads")

        async def person(context: Any, params: Any) -> types.ElicitResult:
            opened.append(params)
            approval_id = params.url.rsplit("/", 1)[1]
            mcp.tasks.start_soon(pages.decide, approval_id, "approve")  # the person, in their browser, later
            return types.ElicitResult(action="accept")

        mcp.client.session._elicitation_callback = person
        async with anyio.create_task_group() as mcp.tasks:
            done = await mcp.call("delete_lead", {"id": lead["id"]})
        assert not done.is_error, text(done)
        assert len(opened) == 1 and opened[0].mode == "url" and opened[0].url.startswith(f"{PAGES_BASE}/approvals/")
        assert lead["email"] in opened[0].message
        assert [e.method for e in mcp.writes()] == ["DELETE"]


async def test_a_client_that_never_answers_times_out_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    async def never(context: Any, params: Any) -> types.ElicitResult:
        await anyio.sleep_forever()
        raise AssertionError

    async with policy_server(elicit=never, confirm_timeout_s=0.3) as mcp:  # form elicitation, unanswered
        lead = await seeded(mcp, "list_leads")
        result = await mcp.call("delete_lead", {"id": lead["id"]})
        assert result.is_error and "No answer" in text(result) and "Nothing was sent" in text(result)
        assert mcp.writes() == []
    declare_only_url(monkeypatch)
    async with policy_server(elicit=never, confirm_timeout_s=0.3) as mcp, serve_pages(mcp):
        lead = await seeded(mcp, "list_leads")
        waiting = answer(await mcp.call("delete_lead", {"id": lead["id"]}))
        assert waiting["status"] == "approval_required" and mcp.writes() == []


@pytest.mark.parametrize("version", ["2024-11-05", "2025-03-26"])
async def test_no_elicitation_on_protocol_versions_without_it(version: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_session, "LATEST_HANDSHAKE_VERSION", version)
    human = Human()
    async with policy_server(elicit=human) as mcp, serve_pages(mcp):
        assert mcp.client.protocol_version == version
        lead = await seeded(mcp, "list_leads")
        asked = await asked_for(mcp, "delete_lead", {"id": lead["id"]})
        assert human.questions == [] and asked["approval_id"] and mcp.writes() == []


async def test_form_elicitation_from_2025_06_18(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(client_session, "LATEST_HANDSHAKE_VERSION", "2025-06-18")
    human = Human(action="decline")
    async with policy_server(elicit=human) as mcp, serve_pages(mcp):
        assert mcp.client.protocol_version == "2025-06-18"
        lead = await seeded(mcp, "list_leads")
        declined = answer(await mcp.call("delete_lead", {"id": lead["id"]}))
        assert declined["status"] == "declined" and len(human.questions) == 1 and mcp.writes() == []


@pytest.mark.parametrize("mode", MODES)
async def test_human_mode_never_hands_out_a_token(mode: str) -> None:
    async with policy_server(mode=mode, confirm="human", approvals_port=None) as mcp:
        tools = {t.name: t for t in (await mcp.client.list_tools()).tools}
        assert "confirm_token" not in tools["delete_lead"].input_schema["properties"]
        lead = await seeded(mcp, "list_leads")
        refused = await mcp.call("delete_lead", {"id": lead["id"]})
        assert refused.is_error and "--confirm human" in text(refused) and "--approvals-port" in text(refused)
        stray = await mcp.call("delete_lead", {"id": lead["id"], "confirm_token": "v1.9999999999.forged"})
        assert stray.is_error and "confirm_token: unknown argument" in text(stray)
        assert mcp.writes() == []
    async with policy_server(mode=mode, confirm="human") as mcp, serve_pages(mcp):
        lead = await seeded(mcp, "list_leads")
        await asked_for(mcp, "delete_lead", {"id": lead["id"]})
        assert mcp.writes() == []


async def no_elicitation(message: str) -> types.ElicitResult:
    raise AssertionError("a batch never elicits")


@pytest.mark.parametrize(
    ("tool", "arguments", "list_tool"),
    [
        ("delete_lead_list", {"id": "0190c0de-0000-7000-8000-00000000c001"}, "list_lead_lists"),
        ("delete_email", {"id": "0190c0de-0000-7000-8000-00000000c002"}, "list_emails"),
        ("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c003"}, "list_campaigns"),
    ],
)
async def test_a_call_that_cannot_succeed_is_refused_before_anyone_is_asked(
    tool: str, arguments: dict, list_tool: str
) -> None:
    human = Human()
    for confirm in ("auto", "token"):
        async with policy_server(confirm=confirm, elicit=human if confirm == "auto" else None) as mcp:
            refused = await mcp.call(tool, arguments)
            assert (
                refused.is_error
                and "404" in text(refused)
                and f"Call {list_tool} to find the right id" in text(refused)
            )
            assert "Nothing was sent" in text(refused)
            named = await mcp.call(tool, {"id": "Spring launch"})  # a name for an id: refused locally (issue 14)
            assert named.is_error and "nothing was sent" in text(named).lower() and list_tool in text(named)
            assert mcp.writes() == [] and human.questions == []
            assert desk_is_empty(mcp)


def other_last(approval_id: str) -> str:
    """The id with its last character changed: a near miss that must not count."""
    return approval_id[:-1] + ("A" if approval_id[-1] != "A" else "B")


def desk_is_empty(mcp: Any) -> bool:
    desk = mcp.runtime.policy.desk
    return desk is None or not desk.store._items


def declare_only_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client that declares URL elicitation only (the SDK client declares both when given a callback)."""
    original = client_session.ClientSession._build_capabilities

    def url_only(self: Any, version: str) -> types.ClientCapabilities:
        capabilities = original(self, version)
        capabilities.elicitation = types.ElicitationCapability(url=types.UrlElicitationCapability())
        return capabilities

    monkeypatch.setattr(client_session.ClientSession, "_build_capabilities", url_only)


@pytest.mark.parametrize("mode", MODES)
async def test_auto_without_pages_warns_and_tells_the_agent(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    announce_policy(build_runtime(Settings(approvals_port=None)))
    assert "WARNING no approval pages" in capsys.readouterr().err
    announce_policy(build_runtime(Settings()))
    err = capsys.readouterr().err  # the pages need the installation's approver secret: nothing to warn about
    assert "WARNING" not in err and "approver-token" not in err
    async with policy_server(mode=mode, approvals_port=None) as mcp:
        assert AGENT_CONFIRMS in (mcp.client.instructions or "")
        lead = await seeded(mcp, "list_leads")
        assert answer(await mcp.call("delete_lead", {"id": lead["id"]}))["status"] == "confirmation_required"
        assert mcp.writes() == []
    async with policy_server(mode=mode) as mcp:
        assert AGENT_CONFIRMS not in (mcp.client.instructions or "")


def test_public_url_names_the_links_and_is_an_accepted_origin() -> None:
    from instantly_mcp.rebinding import origin_allowed
    from instantly_mcp.transport.auth import default_origins, public_base

    behind = Settings(
        transport="http", host="0.0.0.0", allowed_hosts=("mcp.example.com",), public_url="https://mcp.example.com/"
    )
    assert public_base(behind) == "https://mcp.example.com"
    assert origin_allowed("https://mcp.example.com", default_origins(behind))
    assert not origin_allowed("https://evil.example.com", default_origins(behind))
    assert public_base(Settings(transport="http", port=9000)) == "http://127.0.0.1:9000"
    with pytest.raises(ConfigError, match="--public-url"):
        Settings(public_url="mcp.example.com")
