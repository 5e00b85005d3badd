"""Confirmation gates: nothing destructive or outbound reaches Instantly before a human agreed,
by elicitation on both protocol generations or by an HMAC token bound to the exact call."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.effects import gate_of
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.config import Settings
from instantly_mcp.errors import InvalidArguments
from instantly_mcp.gates.controls import GATED_RISKS
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import announce_policy

from support.schema_args import arguments_for
from support.servers import Clock, Human, answer, policy_server, text

pytestmark = pytest.mark.anyio

OPERATIONS = load_operations()
GATED = sorted(name for name, op in OPERATIONS.items() if op.risk in GATED_RISKS)
MODES = ["legacy", "auto"]
SECRET = "shared-replica-secret-for-tests-0123456789"
# Made-up ids would be refused at the summary's 404 lookup (test_approvals.py covers that): granting
# only the writes leaves the summaries without lookups, so such ids reach the gate itself.
WRITE_ONLY = ("leads:delete", "lead_lists:delete")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def gated_arguments(name: str) -> dict:
    """Schema-built arguments that validate: the required ones, else all, else required plus one more."""
    schema = OPERATIONS[name].input_schema
    required, full = arguments_for(schema), arguments_for(schema, full=True)
    for candidate in [required, full, *({**required, key: value} for key, value in full.items())]:
        try:
            prepare(OPERATIONS[name], candidate)
        except InvalidArguments:
            continue
        return candidate
    raise AssertionError(f"no valid arguments for {name} from its schema")


def endpoint_requests(harness, name: str, arguments: dict) -> list:
    request = prepare(OPERATIONS[name], arguments).request
    return [e for e in harness.sent if e.method == request.method and urlsplit(e.url).path == request.path]


async def seeded_campaign(mcp) -> tuple[dict, int]:
    campaign = (await mcp.data("list_campaigns", {"limit": 1}))["items"][0]
    analytics = await mcp.data("get_campaign_analytics", {"id": campaign["id"]})
    return campaign, analytics[0]["leads_count"]


def test_every_gated_tool_is_destructive_outbound_or_privileged() -> None:
    assert len(GATED) == sum(op.risk in ("destructive", "outbound", "privileged") for op in OPERATIONS.values()) > 40
    assert {
        "delete_campaign",
        "activate_campaign",
        "reply_to_email",
        "merge_leads",
        "move_leads",
        "verify_email",
    } <= set(GATED)


@pytest.mark.parametrize("name", GATED)
async def test_gate_sends_nothing_before_confirmation(name: str) -> None:
    arguments = gated_arguments(name)
    own_scope = OPERATIONS[name].scopes[:1]
    async with policy_server(confirm="token", scopes=own_scope) as mcp:
        first = answer(await mcp.call(name, arguments))
        assert first["status"] == "confirmation_required" and first["expires_in_s"] == 300
        assert mcp.writes() == [] and endpoint_requests(mcp, name, arguments) == []
        await mcp.call(name, {**arguments, "confirm_token": first["confirm_token"]})
        assert len(endpoint_requests(mcp, name, arguments)) == 1
    for mode in MODES:
        human = Human(action="decline")
        async with policy_server(mode=mode, elicit=human, scopes=own_scope) as mcp:
            declined = answer(await mcp.call(name, arguments))
            assert declined["status"] == "declined" and declined["sent"] is False
            assert len(human.questions) == 1
            assert mcp.writes() == [] and endpoint_requests(mcp, name, arguments) == []


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("action", "tick", "sent", "status"),
    [
        ("accept", True, True, None),
        ("accept", False, False, "not_confirmed"),
        ("decline", True, False, "declined"),
        ("cancel", True, False, "cancelled"),
    ],
)
async def test_elicitation_asks_concretely_and_obeys(
    mode: str, action: str, tick: bool, sent: bool, status: str | None
) -> None:
    human = Human(action=action, tick=tick)
    async with policy_server(mode=mode, elicit=human) as mcp:
        campaign, leads = await seeded_campaign(mcp)
        result = await mcp.call("delete_campaign", {"id": campaign["id"]})
        assert human.questions == [
            f"Delete campaign '{campaign['name']}' (id {campaign['id']}) with {leads:,} leads? This cannot be undone."
        ]
        deletes = [e for e in mcp.sent if e.method == "DELETE"]
        if sent:
            assert not result.is_error, text(result)
            assert len(deletes) == 1 and campaign["id"] in deletes[0].url
            assert (await mcp.call("get_campaign", {"id": campaign["id"]})).is_error
        else:
            assert answer(result)["status"] == status and "nothing was sent" in text(result)
            assert deletes == []
            assert (await mcp.data("get_campaign", {"id": campaign["id"]}))["id"] == campaign["id"]


@pytest.mark.parametrize("mode", MODES)
async def test_elicit_mode_refuses_a_client_that_cannot_be_asked(mode: str) -> None:
    async with policy_server(mode=mode, confirm="elicit") as mcp:
        tools = {t.name: t for t in (await mcp.client.list_tools()).tools}
        assert "confirm_token" not in tools["delete_campaign"].input_schema["properties"]
        result = await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        assert result.is_error and "elicitation" in text(result) and "Nothing was sent" in text(result)
        assert mcp.nothing_sent()


@pytest.mark.parametrize("mode", MODES)
async def test_auto_without_elicitation_and_token_mode_use_tokens(mode: str) -> None:
    human = Human()
    for options in ({"confirm": "auto"}, {"confirm": "token", "elicit": human}):
        async with policy_server(mode=mode, **options) as mcp:
            campaign, _ = await seeded_campaign(mcp)
            first = answer(await mcp.call("activate_campaign", {"id": campaign["id"]}))
            assert first["status"] == "confirmation_required"
            assert mcp.writes() == []
            done = await mcp.call("activate_campaign", {"id": campaign["id"], "confirm_token": first["confirm_token"]})
            assert not done.is_error, text(done)
            assert [e.method for e in mcp.writes()] == ["POST"]
    assert human.questions == []


async def test_summaries_say_who_and_what() -> None:
    async with policy_server(confirm="token") as mcp:
        campaign, leads = await seeded_campaign(mcp)
        activate = answer(await mcp.call("activate_campaign", {"id": campaign["id"]}))["summary"]
        assert f"'{campaign['name']}'" in activate and f"its {leads:,} leads" in activate

        email = (await mcp.data("list_emails", {"limit": 1}))["items"][0]
        recipient = email.get("lead") or email["from_address_email"]
        reply = {
            "eaccount": "me@ours.test",
            "reply_to_uuid": email["id"],
            "subject": "Re: pricing",
            "body": {"text": "Hi"},
        }
        summary = answer(await mcp.call("reply_to_email", reply))["summary"]
        assert (
            summary.startswith(f"Send a reply from me@ours.test to 1 recipient ({recipient})")
            and "'Re: pricing'" in summary
        )

        generic = answer(await mcp.call("delete_api_key", {"id": "0190c0de-0000-7000-8000-00000000e009"}))["summary"]
        assert generic == "Delete API key: id=0190c0de-0000-7000-8000-00000000e009? This cannot be undone."
        assert mcp.writes() == []


async def test_lookups_respect_the_granted_scopes() -> None:
    async with policy_server(confirm="token", scopes=("campaigns:delete",)) as mcp:
        summary = answer(await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c077"}))["summary"]
        assert summary == "Delete campaign 0190c0de-0000-7000-8000-00000000c077? This cannot be undone."
        assert mcp.nothing_sent()


async def test_token_is_bound_to_arguments_expiry_and_key() -> None:
    clock = Clock()
    async with policy_server(confirm="token", scopes=WRITE_ONLY, secret=SECRET, clock=clock) as mcp:
        token = answer(await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"}))["confirm_token"]

        changed = await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a002", "confirm_token": token})
        assert changed.is_error and "different call" in text(changed)
        other_tool = await mcp.call(
            "delete_lead_list", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token}
        )
        assert other_tool.is_error and "different call" in text(other_tool)
        forged = await mcp.call(
            "delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token[:-3] + "AAA"}
        )
        assert forged.is_error and "different call" in text(forged)
        garbage = await mcp.call(
            "delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": "yes please"}
        )
        assert garbage.is_error and "not a confirmation token" in text(garbage)

        clock.advance(301)
        expired = await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token})
        assert expired.is_error and "expired" in text(expired)
        assert mcp.writes() == []

        fresh = answer(await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"}))["confirm_token"]
        clock.advance(299)
        await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": fresh})
        assert [e.method for e in mcp.writes()] == ["DELETE"]
        again = await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": fresh})
        assert again.is_error and "already used" in text(again)
        assert len(mcp.writes()) == 1


async def test_token_from_another_key_or_secret_is_refused() -> None:
    async with policy_server(confirm="token", scopes=WRITE_ONLY, secret=SECRET, api_key="sk-key-of-workspace-a") as a:
        token = answer(await a.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"}))["confirm_token"]
    async with policy_server(confirm="token", scopes=WRITE_ONLY, secret=SECRET, api_key="sk-key-of-workspace-b") as b:
        other_key = await b.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token})
        assert other_key.is_error and "API key" in text(other_key)
        assert b.writes() == []
    async with policy_server(
        confirm="token",
        scopes=WRITE_ONLY,
        secret="another-secret-of-at-least-32-bytes",
        api_key="sk-key-of-workspace-a",
    ) as c:
        assert (
            await c.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token})
        ).is_error
        assert c.writes() == []
    async with policy_server(
        confirm="token", scopes=WRITE_ONLY, secret=SECRET, api_key="sk-key-of-workspace-a"
    ) as replica:
        await replica.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": token})
        assert [e.method for e in replica.writes()] == ["DELETE"]


async def test_elicitation_state_is_no_confirm_token() -> None:
    async with policy_server(mode="auto", elicit=Human(), scopes=WRITE_ONLY, secret=SECRET) as mcp:
        asked = await mcp.client.session.call_tool(
            "delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"}, allow_input_required=True
        )
        state = asked.request_state
        assert state and "confirm" in asked.input_requests
        assert mcp.writes() == []
    async with policy_server(confirm="token", scopes=WRITE_ONLY, secret=SECRET) as mcp:
        result = await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001", "confirm_token": state})
        assert result.is_error and mcp.writes() == []


async def test_modern_answer_for_other_arguments_is_refused() -> None:
    import mcp_types as types

    async with policy_server(mode="auto", elicit=Human(), scopes=WRITE_ONLY, secret=SECRET) as mcp:
        asked = await mcp.client.session.call_tool(
            "delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"}, allow_input_required=True
        )
        accept = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
        swapped = await mcp.client.session.call_tool(
            "delete_lead",
            {"id": "0190c0de-0000-7000-8000-00000000a002"},
            input_responses=accept,
            request_state=asked.request_state,
            allow_input_required=True,
        )
        assert swapped.is_error and "different call" in text(swapped)
        assert mcp.writes() == []


async def test_confirm_token_is_offered_only_where_accepted() -> None:
    for confirm, offered in (("auto", True), ("token", True), ("elicit", False), ("off", False)):
        async with policy_server(confirm=confirm) as mcp:
            tools = {t.name: t for t in (await mcp.client.list_tools()).tools}
            with_token = {n for n, t in tools.items() if "confirm_token" in t.input_schema["properties"]}
            asking = {name for name in OPERATIONS if gate_of(name) != "runs"}
            assert with_token == (asking if offered else set()), confirm
            if offered:
                assert tools["delete_campaign"].input_schema["properties"]["confirm_token"]["type"] == "string"
                assert "confirm_token" not in tools["delete_campaign"].input_schema.get("required", [])
            stray = await mcp.call("create_block_list_entry", {"bl_value": "a.test", "confirm_token": "x"})
            assert stray.is_error and "confirm_token: unknown argument" in text(stray)


async def test_confirm_off_sends_at_once_and_says_so_at_start_up(capsys: pytest.CaptureFixture[str]) -> None:
    announce_policy(build_runtime(Settings(confirm="off")))
    assert "WITHOUT asking" in capsys.readouterr().err
    announce_policy(build_runtime(Settings()))
    assert "WITHOUT" not in capsys.readouterr().err
    async with policy_server(confirm="off", elicit=Human()) as mcp:
        await mcp.call("delete_lead", {"id": "0190c0de-0000-7000-8000-00000000a001"})
        assert [e.method for e in mcp.writes()] == ["DELETE"]
