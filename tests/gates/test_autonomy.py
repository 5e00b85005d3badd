"""Issue 27: the operator's autonomy policy (--policy), through a real SDK client against the sandbox.

Each example in docs/policies/ is loaded and exercised: allowed calls run with nobody asked, a call
past a limit asks (the person reads the counter), a denied call sends nothing, quiet hours flip
outbound calls to ask (on an injected clock), and the hard-block list wins over an allow rule. The
agent cannot change the policy, a counter or a decision through any tool or argument.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from instantly_mcp import cli, metrics
from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError
from instantly_mcp.gates.autonomy.rules import parse_policy
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import announce_policy

from support.replicas import metric
from support.servers import Clock, Harness, Human, policy_server, text

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "docs" / "policies"
SDR = str(POLICIES / "assisted-sdr.toml")
CAUTIOUS = str(POLICIES / "cautious.toml")
REPORTING = str(POLICIES / "reporting-only.toml")
WORKING_HOURS = Clock(datetime(2026, 3, 4, 15, 0, tzinfo=UTC).timestamp())  # 10:00 in New York
EVENING = Clock(datetime(2026, 3, 4, 23, 30, tzinfo=UTC).timestamp())  # 18:30 in New York: quiet hours


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def leads(count: int, tag: str = "a") -> list[dict[str, str]]:
    return [{"email": f"lead-{tag}-{i}@example.org", "first_name": f"L{i}"} for i in range(count)]


async def campaign_named(h: Harness, prefix: str) -> dict[str, Any]:
    listed = await h.data("list_campaigns", {"limit": 100})
    return next(c for c in listed["items"] if c["name"].startswith(prefix))


def adds(h: Harness) -> list[int]:
    """The size of every add_leads request the sandbox received."""
    return [len(r["body"]["leads"]) for r in h.received if r["path"] == "/api/v2/leads/add"]


async def reply_arguments(h: Harness) -> dict[str, Any]:
    email = (await h.data("list_emails", {"limit": 1}))["items"][0]
    return {"eaccount": email["eaccount"], "reply_to_uuid": email["id"], "subject": "Re: hi", "body": {"text": "Hi"}}


# --- the file ------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SDR, CAUTIOUS, REPORTING])
def test_each_example_policy_loads_and_check_decides_every_tool(path: str, capsys: pytest.CaptureFixture[str]) -> None:
    runtime = build_runtime(Settings(policy=path, sandbox=True))
    assert runtime.policy.autonomy is not None and runtime.policy.autonomy.policy.rules
    assert cli.main(["policy", "check", path]) == 0
    out = capsys.readouterr().out
    assert f"{len(runtime.operations)} tools:" in out
    for name in runtime.operations:
        assert f"\n{name} " in "\n" + out


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ('[[rule]]\nname = "a"\ndecision = "maybe"\n', 3, "decision must be allow, ask or deny"),
        ('owner = "x"\n\n[[rule]]\nname = "a"\ndecision = "allow"\ntoolz = ["add_leads"]\n', 6, "unknown rule key"),
        (
            '[[rule]]\nname = "a"\ndecision = "allow"\n\n[[rule]]\nname = "b"\neffects = ["mails"]\ndecision = "ask"\n',
            7,
            "unknown effects mails",
        ),
        ('[limits.leads]\nper_day = 3\n[[rule]]\nname = "a"\ndecision = "allow"\n', 1, "unknown limit 'leads'"),
        ('[limits.emails]\nper_month = 3\n[[rule]]\nname = "a"\ndecision = "allow"\n', 1, "unknown 'per_month'"),
        (
            '[quiet_hours]\nstart = "18:00"\nend = "8"\ntimezone = "America/New_York"\n[[rule]]\nname = "a"\n'
            'decision = "ask"\n',
            3,
            "time of day",
        ),
        (
            '[quiet_hours]\nstart = "18:00"\nend = "08:00"\ntimezone = "Mars/Olympus"\n[[rule]]\nname = "a"\n'
            'decision = "ask"\n',
            4,
            "IANA zone",
        ),
        ('[[rule]]\nname = "a"\ndecision = "allow"\n[[rule]]\nname = "a"\ndecision = "ask"\n', 4, "used twice"),
        ('[[rule]]\nname = "a"\ndecision = "allow"\nlimits.leads_added = { per_day = -1 }\n', 4, ">= 0"),
        ('[[rule]\nname = "a"\n', 1, "not valid TOML"),
    ],
)
def test_a_bad_file_stops_the_start_up_naming_the_line(text: str, line: int, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_policy(text, "p.toml")
    assert f"line {line}" in str(caught.value) and says in str(caught.value), str(caught.value)


def test_unknown_tool_names_stop_the_start_up_and_the_cli_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[[rule]]\nname = "a"\ntools = ["add_lead"]\ndecision = "allow"\n')
    assert cli.main(["policy", "check", str(path)]) == 2
    assert "line 1" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="no tool matches 'add_lead'"):
        build_runtime(Settings(policy=str(path), sandbox=True))
    with pytest.raises(ConfigError, match="--confirm auto or human"):
        Settings(policy=str(path), confirm="off")


@pytest.mark.e2e
def test_without_a_policy_nothing_of_it_is_imported() -> None:
    code = (
        "import sys\n"
        "from instantly_mcp.config import Settings\n"
        "from instantly_mcp.transport.runtime import build_runtime\n"
        "runtime = build_runtime(Settings(sandbox=True))\n"
        "assert runtime.policy.autonomy is None\n"
        "print(sorted(m for m in sys.modules if 'autonomy' in m or 'redis_counters' in m))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_the_start_up_line_says_the_counters_are_per_process(capsys: pytest.CaptureFixture[str]) -> None:
    announce_policy(build_runtime(Settings(policy=SDR, sandbox=True)))
    assert "its counters are PER PROCESS (no --redis-url)" in capsys.readouterr().err


# --- assisted SDR ---------------------------------------------------------------------------------


async def test_sdr_allowed_calls_run_with_nobody_asked_and_carry_the_budget_left() -> None:
    person = Human(action="decline")
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        added = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(5)})
        replied = await h.call("reply_to_email", await reply_arguments(h))
        listed = await h.call("list_campaigns", {"limit": 1})
    assert person.questions == []
    assert not added.is_error and not replied.is_error and not listed.is_error, text(added) + text(replied)
    assert adds(h) == [5]
    assert [r["path"] for r in h.received if r["method"] == "POST"] == ["/api/v2/leads/add", "/api/v2/emails/reply"]
    note = added.content[-1].text
    # 5 leads on a live campaign of 3 steps schedule 15 emails
    assert note == "Autonomy policy (rule q3-leads): 985 of 1000 emails left today; 195 of 200 leads left today."
    assert replied.content[-1].text.endswith("984 of 1000 emails left today; 29 of 30 emails left today.")
    assert len(listed.content) == 1  # a read takes nothing, so it carries no note


async def test_sdr_a_call_past_a_limit_asks_and_the_person_sees_the_counter() -> None:
    person = Human(action="decline")
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        too_many = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(120)})
        for batch in ("b", "c"):
            assert not (await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(95, batch)})).is_error
        past_the_day = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(20, "d")})
    assert "declined" in text(too_many) and "declined" in text(past_the_day)
    assert len(person.questions) == 2
    assert "this adds 120 leads; the policy allows at most 100 per call" in person.questions[0]
    assert "this adds 20 leads; 190 of 200 already today" in person.questions[1]
    assert adds(h) == [95, 95]


async def test_sdr_a_call_a_person_approves_past_the_limit_is_counted() -> None:
    person = Human()
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        for batch in "abcd":  # 90 + 90 allowed; 90 asked and approved; then 1 more asks
            assert not (await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(90, batch)})).is_error
    assert adds(h) == [90, 90, 90, 90]
    assert len(person.questions) == 2
    assert "this adds 90 leads; 180 of 200 already today" in person.questions[0]
    # the approved 90 were counted: 270 leads on a 3-step campaign are 810 emails
    assert "this sends or schedules 270 emails; 810 of 1000 already today" in person.questions[1]


async def test_sdr_outside_the_q3_campaigns_asks() -> None:
    person = Human(action="decline")
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        paused = await campaign_named(h, "Agency ")
        result = await h.call("add_leads", {"campaign_id": paused["id"], "leads": leads(2)})
    assert "declined" in text(result) and len(person.questions) == 1
    assert "policy rule 'everything-else' asks a person" in person.questions[0]
    assert adds(h) == []


async def test_sdr_a_denied_call_sends_nothing_and_says_who_can_change_it() -> None:
    person = Human()
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        refused = await h.call("create_ai_agent", {"name": "Closer", "type": 1, "status": 1})
        with_token = await h.call("update_ai_agent", {"id": "0" * 8 + "-0000-4000-8000-" + "0" * 12, "status": 1})
    for result in (refused, with_token):
        assert result.is_error and "refused by the operator's autonomy policy (rule 'no-agents'" in text(result)
    assert "AI agents are set up by a person in Instantly" in text(refused)
    assert "the sales ops lead can, by changing the policy file" in text(refused)
    assert person.questions == [] and h.nothing_sent()


async def test_sdr_quiet_hours_flip_outbound_calls_to_ask() -> None:
    person = Human(action="decline")
    async with policy_server(policy=SDR, elicit=person, clock=EVENING) as h:
        q3 = await campaign_named(h, "Q3 ")
        reply = await h.call("reply_to_email", await reply_arguments(h))
        added = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(3)})
        read = await h.call("list_campaigns", {"limit": 1})
        EVENING.now = WORKING_HOURS.now
        later = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(3)})
    assert "declined" in text(reply) and "declined" in text(added) and not read.is_error
    assert len(person.questions) == 2 and all("quiet hours" in q for q in person.questions)
    assert not later.is_error and adds(h) == [3]


async def test_the_hard_block_list_wins_over_an_allow_rule(tmp_path: Path) -> None:
    path = tmp_path / "allow-all.toml"
    path.write_text('[[rule]]\nname = "everything"\ndecision = "allow"\n')
    person = Human(action="decline")
    async with policy_server(policy=str(path), elicit=person, clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        webhook = await h.call("create_webhook", {"target_hook_url": "https://hooks.example.org/x"})
        key = await h.call("create_api_key", {"name": "agent key", "scopes": ["all:all"]})
        delete = await h.call("delete_campaign", {"id": q3["id"]})
        activate = await h.call("activate_campaign", {"id": q3["id"]})
    assert all("declined" in text(r) for r in (webhook, key, delete)), [text(r) for r in (webhook, key, delete)]
    assert len(person.questions) == 3 and all("hard-block list" in q for q in person.questions)
    assert not activate.is_error  # not on the list: the allow rule holds
    assert [(r["method"], r["path"]) for r in h.received if r["method"] != "GET"] == [
        ("POST", f"/api/v2/campaigns/{q3['id']}/activate")
    ]


# --- cautious and reporting-only --------------------------------------------------------------------


async def test_cautious_reads_run_and_every_change_asks() -> None:
    person = Human(action="decline")
    async with policy_server(policy=CAUTIOUS, elicit=person, clock=WORKING_HOURS) as h:
        lists = await h.data("list_lead_lists", {"limit": 1})
        read = await h.call("list_campaigns", {"limit": 1})
        rename = await h.call("update_lead_list", {"id": lists["items"][0]["id"], "name": "Renamed"})
        add = await h.call("add_leads", {"list_id": lists["items"][0]["id"], "leads": leads(1)})
    assert not read.is_error and "declined" in text(rename) and "declined" in text(add)
    assert len(person.questions) == 2 and all("policy rule 'everything-else' asks" in q for q in person.questions)
    assert [r for r in h.received if r["method"] != "GET"] == []


async def test_reporting_only_reads_run_and_writes_are_refused_unsent() -> None:
    person = Human()
    async with policy_server(policy=REPORTING, elicit=person, clock=WORKING_HOURS) as h:
        read = await h.call("get_campaign_analytics", {})
        lists = await h.data("list_lead_lists", {"limit": 1})
        before = len(h.received)
        add = await h.call("add_leads", {"list_id": lists["items"][0]["id"], "leads": leads(1)})
        delete = await h.call("delete_lead_list", {"id": lists["items"][0]["id"]})
    assert not read.is_error
    for result in (add, delete):
        assert "rule 'no-writes': this server is for reporting" in text(result) and "the analytics team" in text(result)
    assert person.questions == [] and len(h.received) == before


# --- what the agent cannot change --------------------------------------------------------------------


async def test_no_tool_or_argument_reaches_the_policy_or_its_counters(tmp_path: Path) -> None:
    async with policy_server(policy=SDR, clock=WORKING_HOURS) as h:
        tools = (await h.client.list_tools()).tools
        assert not [t.name for t in tools if "policy" in t.name or "autonomy" in t.name]
        server_args = {"dry_run", "confirm_token", "approval_id", "fields", "max_items"}
        for tool in tools:
            own = h.runtime.operations[tool.name].input_schema.get("properties", {})
            assert set(tool.input_schema.get("properties", {})) - set(own) <= server_args, tool.name
        q3 = await campaign_named(h, "Q3 ")
        for extra in ({"policy": "allow"}, {"decision": "allow"}, {"rule": "q3-leads"}, {"_counters": 0}):
            forged = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(150), **extra})
            # add_leads takes undocumented fields (they are named to the person) and sends them on;
            # they never reach the decision: past the per-call limit it asks all the same
            assert "confirmation_required" in text(forged) and "at most 100 per call" in text(forged), text(forged)
        assert h.writes() == []


async def test_dry_runs_take_no_budget_and_the_count_comes_from_what_is_sent() -> None:
    async with policy_server(policy=SDR, elicit=Human(action="decline"), clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        for _ in range(5):
            dry = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(100), "dry_run": True})
            assert '"dry_run":true' in text(dry)
        first = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(100)})
        second = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(100, "b")})
        third = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(1, "c")})
    assert not first.is_error and not second.is_error and "declined" in text(third)
    assert adds(h) == [100, 100]


async def test_a_decision_stands_whatever_the_agent_passes(tmp_path: Path) -> None:
    """A forged or replayed confirm_token or approval_id does not lift a deny; editing the file
    after start-up changes nothing (it is read once, by the operator's process)."""
    path = tmp_path / "p.toml"
    path.write_text(Path(REPORTING).read_text())
    async with policy_server(policy=str(path), clock=WORKING_HOURS) as h:
        lists = await h.data("list_lead_lists", {"limit": 1})
        path.write_text('[[rule]]\nname = "open"\ndecision = "allow"\n')
        for extra in ({}, {"confirm_token": "forged.1.x"}, {"approval_id": "forged"}):
            result = await h.call("delete_lead_list", {"id": lists["items"][0]["id"], **extra})
            assert "rule 'no-writes'" in text(result), text(result)
    assert [r for r in h.received if r["method"] != "GET"] == []


# --- what people see ---------------------------------------------------------------------------------


async def test_audit_lines_name_the_rule_and_counters_and_metrics_count_per_rule(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    allowed = {"rule": "q3-leads", "decision": "allow"}
    before = metric(metrics.exposition()[0].decode(), "instantly_mcp_policy_decisions_total", **allowed)
    async with policy_server(
        policy=SDR, elicit=Human(action="decline"), clock=WORKING_HOURS, audit_log=str(audit)
    ) as h:
        q3 = await campaign_named(h, "Q3 ")
        await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(5)})
        await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(150)})
        await h.call("create_ai_agent", {"name": "Closer", "type": 1})
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    policies = [line["policy"] for line in lines if line["tool"] in ("add_leads", "create_ai_agent")]
    assert policies[0] == {
        "rule": "q3-leads",
        "verdict": "allow",
        "counters": {
            "leads_added": {"adds": 5},
            "emails": {"adds": 15, "before_today": 0},
            "q3-leads/leads_added": {"adds": 5, "before_today": 0},
        },
    }
    assert policies[1]["verdict"] == "ask" and policies[1]["counters"]["leads_added"] == {"adds": 150}
    assert policies[2] == {"rule": "no-agents", "verdict": "deny"}
    scraped = metrics.exposition()[0].decode()
    assert metric(scraped, "instantly_mcp_policy_decisions_total", **allowed) == before + 1
    counted = metric(scraped, "instantly_mcp_policy_counted_total", rule="q3-leads", counter="leads_added")
    assert counted >= 5
    assert q3["id"] not in scraped and "lead-a-0" not in scraped


async def test_with_redis_unreachable_an_allow_asks(tmp_path: Path) -> None:
    from support.processes import free_port

    person = Human(action="decline")
    dead = f"redis://127.0.0.1:{free_port()}/0"
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS, redis_url=dead) as h:
        q3 = await campaign_named(h, "Q3 ")
        result = await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(2)})
        read = await h.call("list_campaigns", {"limit": 1})
    assert "declined" in text(result) and not read.is_error
    assert len(person.questions) == 1 and "the policy's shared counters cannot be checked" in person.questions[0]
    assert adds(h) == []


def test_explain_shows_the_deciding_rule_and_the_counters_it_would_take(sandbox: Any, tmp_path: Path) -> None:
    """`policy explain` runs on the real clock: the policy is SDR without its quiet hours, so the answer
    does not depend on the time of day the suite runs at."""
    from support.http_server import clean_env

    daytime = tmp_path / "sdr-without-quiet-hours.toml"
    daytime.write_text(re.sub(r"(?ms)^\[quiet_hours\].*?(?=^\[)", "", Path(SDR).read_text()))

    listed = sandbox.admin.get("/api/v2/campaigns", params={"limit": 10}, headers={"Authorization": "Bearer x"})
    q3 = next(c for c in listed.json()["items"] if c["name"].startswith("Q3 "))
    arguments = json.dumps({"campaign_id": q3["id"], "leads": leads(4)})
    command = [sys.executable, "-m", "instantly_mcp.cli", "policy", "explain", "add_leads", "--args", arguments]
    command += ["--policy", str(daytime), "--base-url", sandbox.url]
    env = clean_env(INSTANTLY_API_KEY="sk-explain-test-key-1")
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert shown["decision"] == "allow" and shown["rule"] == "q3-leads"
    assert shown["would_take"] == {"leads_added": 4, "emails": 12}
    assert shown["counters"] == ["emails: 0 of 1000 today", "q3-leads/leads_added: 0 of 200 today"]
    assert shown["counted_in"] == "each server process"
    assert [r for r in sandbox.requests() if r["method"] != "GET"] == []  # explaining sends nothing


async def test_a_campaign_that_does_not_exist_is_refused_before_anyone_is_asked() -> None:
    person = Human()
    async with policy_server(policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        missing = "00000000-0000-4000-8000-000000000000"
        result = await h.call("add_leads", {"campaign_id": missing, "leads": leads(2)})
    assert result.is_error and "cannot succeed, so nobody was asked" in text(result), text(result)
    assert person.questions == [] and adds(h) == []


async def test_past_a_limit_the_token_channel_asks_and_the_confirmed_call_is_counted() -> None:
    async with policy_server(policy=SDR, confirm="token", clock=WORKING_HOURS) as h:
        q3 = await campaign_named(h, "Q3 ")
        arguments = {"campaign_id": q3["id"], "leads": leads(150)}
        asked = json.loads(text(await h.call("add_leads", arguments)))
        assert asked["status"] == "confirmation_required" and "at most 100 per call" in asked["summary"]
        confirmed = await h.call("add_leads", {**arguments, "confirm_token": asked["confirm_token"]})
        replayed = await h.call("add_leads", {**arguments, "confirm_token": asked["confirm_token"]})
        after = json.loads(text(await h.call("add_leads", {"campaign_id": q3["id"], "leads": leads(60, "b")})))
    assert not confirmed.is_error and replayed.is_error and adds(h) == [150]
    assert "this adds 60 leads; 150 of 200 already today" in after["summary"]


def test_the_environment_names_the_policy() -> None:
    from instantly_mcp.config import env_settings

    assert env_settings({"INSTANTLY_MCP_POLICY": f" {SDR} "})["policy"] == SDR


async def test_counters_of_workspaces_that_never_return_are_forgotten() -> None:
    from instantly_mcp.gates.autonomy import counters
    from instantly_mcp.gates.autonomy.counters import MemoryCounters, Want

    clock = Clock()
    store = MemoryCounters(clock)
    day = ((86_400, 10),)
    for index in range(counters.MAX_KEYS + 1):
        await store.take(f"made-up-{index}", [Want("leads_added", 1, day)])
    assert len(store._entries) == counters.MAX_KEYS + 1
    clock.advance(8 * 86_400)
    taken = await store.take("returning", [Want("leads_added", 3, day)])
    assert taken.over is None and list(store._entries) == [("returning", "leads_added")]
    assert (await store.take("returning", [Want("leads_added", 8, day)])).over is not None


async def test_in_code_mode_each_call_of_a_script_is_decided_by_the_policy() -> None:
    """A client that elicits during the call (no plan pass): the allowed write runs unasked, the one
    past the limit asks (declined, the script stops), a denied one stops the script with nothing sent."""
    person = Human(action="decline")
    async with policy_server(tools=("code",), policy=SDR, elicit=person, clock=WORKING_HOURS) as h:
        code = (
            "c = [x for x in (await instantly.list_campaigns(limit=10))['items'] if x['name'].startswith('Q3 ')][0]\n"
            f"await instantly.add_leads(campaign_id=c['id'], leads={leads(4)!r})\n"
            f"await instantly.add_leads(campaign_id=c['id'], leads={leads(101, 'b')!r})\n"
        )
        limited = await h.call("run_code", {"code": code})
        denied = await h.call("run_code", {"code": "await instantly.create_ai_agent(name='Closer', type=1)"})
    assert len(person.questions) == 1 and "at most 100 per call" in person.questions[0]
    assert "add_leads (sent); add_leads (declined)" in text(limited)
    assert "196 of 200 leads left today" in text(limited)
    assert "refused by the operator's autonomy policy (rule 'no-agents'" in text(denied), text(denied)
    assert adds(h) == [4] and len([r for r in h.received if r["method"] != "GET"]) == 1
