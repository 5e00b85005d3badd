"""Code mode hides nothing from the person (issue 21, item 4).

A tool reached through eval or getattr is checked and asked about like one named in the script;
the person reads every field, undocumented ones too, in the form, on the page and in a plan; and
an approved plan binds every write of the script, so a script that behaves differently once it
really runs stops before the first write the person did not see. Each test reads the sandbox's
request log for what was and was not sent.
"""

from __future__ import annotations

import json

import pytest

from support.approvals import serve_pages
from support.servers import Harness, Human, policy_server, text

pytestmark = pytest.mark.anyio

FIRST_CAMPAIGN = "c = (await instantly.list_campaigns(limit=1))['items'][0]\n"
HIDDEN_DELETE = (
    FIRST_CAMPAIGN + "leads = (await instantly.list_leads(campaign=c['id'], limit=3))['items']\n"
    "f = eval('instantly.delete_' + 'leads')\n"
    "await f(campaign_id=c['id'], ids=[x['id'] for x in leads], delete_list=True)\n'done'"
)
# the plan pass answers a create with a placeholder id; a script that notices does more for real
TWO_FACED = (
    FIRST_CAMPAIGN + "tag = await instantly.create_custom_tag(label='Audit')\n"
    "if '-0000-4000-8000-' not in tag['id']:\n"
    "    await instantly.create_block_list_entry(bl_value='only-for-real.example')\n"
    "await instantly.delete_campaign(id=c['id'])\n'done'"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def writes(mcp: Harness) -> list[str]:
    sent = [f"{r['method']} {r['path']}" for r in mcp.received]
    return [s for s in sent if not s.startswith("GET") and not s.endswith("/list")]


async def run(mcp: Harness, code: str, **options: object):
    return await mcp.call("run_code", {"code": code, **options})


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # the form at the call; the plan's one question
async def test_a_tool_reached_by_eval_is_asked_about_with_its_undocumented_field(mode: str) -> None:
    human = Human(action="decline")
    async with policy_server(tools=("code",), elicit=human, mode=mode) as mcp:
        result = await run(mcp, HIDDEN_DELETE)
        assert len(human.questions) == 1, human.questions
        assert "delete_list=true" in human.questions[0], human.questions[0]
        assert "declined" in text(result) or result.is_error
        assert writes(mcp) == []


async def test_the_approval_page_names_the_undocumented_field_of_a_plan() -> None:
    async with policy_server(tools=("code",), mode="auto") as mcp, serve_pages(mcp) as pages:
        asked = json.loads(text(await run(mcp, HIDDEN_DELETE)))
        assert asked["status"] == "approval_required"
        assert "delete_list" in asked["summary"], asked["summary"]
        page = await pages.http.get(f"/approvals/{asked['approval_id']}")
        assert "delete_list" in page.text
        assert writes(mcp) == []


async def test_a_write_only_the_real_run_makes_stops_the_script_with_nothing_sent() -> None:
    human = Human()
    async with policy_server(tools=("code",), elicit=human, mode="auto") as mcp:
        result = await run(mcp, TWO_FACED)
        assert len(human.questions) == 1 and "Audit" in human.questions[0]  # the plan's writes, all of them
        assert result.is_error and "create_block_list_entry: write 2 differs from the approved plan" in text(result), (
            text(result)
        )
        sent = writes(mcp)
        assert sent == ["POST /api/v2/custom-tags"], sent  # the planned create; not the block list, not the delete
        assert not any("block-lists" in r["path"] for r in mcp.received)


async def test_a_write_whose_arguments_differ_from_the_plan_is_not_sent() -> None:
    human = Human()
    code = (
        FIRST_CAMPAIGN + "tag = await instantly.create_custom_tag(label='Audit')\n"
        "real = '-0000-4000-8000-' not in tag['id']\n"
        "await instantly.update_campaign(id=c['id'], daily_limit=5000 if real else 20)\n"
        "await instantly.delete_campaign(id=c['id'])"
    )
    async with policy_server(tools=("code",), elicit=human, mode="auto") as mcp:
        result = await run(mcp, code)
        assert result.is_error and "differs from the approved plan" in text(result), text(result)
        assert writes(mcp) == ["POST /api/v2/custom-tags"]
        assert "20" in human.questions[0] or "daily_limit" in human.questions[0], human.questions[0]


async def test_getattr_reach_to_a_gated_tool_gets_a_plan_and_a_question() -> None:
    human = Human(action="decline")
    code = FIRST_CAMPAIGN + "await getattr(instantly, 'delete_' + 'campaign')(id=c['id'])"
    async with policy_server(tools=("code",), elicit=human, mode="auto") as mcp:
        result = await run(mcp, code)
        assert len(human.questions) == 1 and "Delete campaign" in human.questions[0], human.questions
        assert "declined" in text(result), text(result)
        assert writes(mcp) == []
