"""The policy filter and dry_run: hidden tools are absent and refused, bad flags stop the start-up,
dry_run sends nothing."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from instantly_mcp import cli
from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import RISK_CLASSES, load_operations
from instantly_mcp.config import Settings, env_settings
from instantly_mcp.errors import ConfigError, InvalidArguments
from instantly_mcp.gates.discovery import near_names
from instantly_mcp.gates.filter import Scope, unknown_tool
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.upstream.client import encode_query

from support.schema_args import arguments_for
from support.servers import TEST_KEY, answer, policy_server, sandbox_app, text

pytestmark = pytest.mark.anyio

OPERATIONS = load_operations()
NON_READ = [name for name, op in OPERATIONS.items() if op.risk != "read"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def listed(harness) -> dict[str, object]:
    return {tool.name: tool for tool in (await harness.client.list_tools()).tools}


def as_unknown(harness, name: str) -> str:
    """What tools/call answers a name no tool has, with the same " Did you mean" (visible tools only)."""
    return unknown_tool(name, near_names(name, harness.runtime.policy))


@pytest.mark.parametrize(
    ("grant", "required", "covers"),
    [
        ("campaigns:read", "campaigns:read", True),
        ("campaigns:read", "campaigns:delete", False),
        ("campaigns:all", "campaigns:delete", True),
        ("all:read", "leads:read", True),
        ("all:read", "leads:update", False),
        ("all:all", "workspaces:delete", True),
        ("leads:all", "lead_lists:read", False),
    ],
)
def test_scope_wildcards(grant: str, required: str, covers: bool) -> None:
    assert Scope.parse(grant).covers(Scope.parse(required)) is covers


@pytest.mark.parametrize("mode", ["legacy", "auto"])
async def test_scopes_hide_and_refuse_like_an_unknown_name(mode: str) -> None:
    async with policy_server(mode=mode, scopes=("campaigns:read", "leads:all")) as mcp:
        tools = await listed(mcp)
        assert {"list_campaigns", "get_campaign", "list_leads", "delete_lead", "merge_leads"} <= set(tools)
        assert not {"delete_campaign", "activate_campaign", "list_accounts", "reply_to_email"} & set(tools)
        for name in tools:
            scopes = OPERATIONS[name].scopes
            assert "campaigns:read" in scopes or any(s.startswith("leads:") for s in scopes), name

        result = await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        assert result.is_error
        assert text(result) == as_unknown(mcp, "delete_campaign")
        unknown = await mcp.call("delete_campaing", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        assert unknown.is_error and text(unknown) == as_unknown(mcp, "delete_campaing")
        assert "delete_campaign" not in text(result).partition("Did you mean")[2]  # the hint names visible tools only
        assert "campaigns:" not in text(result) and "scope" not in text(result)
        assert "Nothing was sent" in text(result)
        assert mcp.nothing_sent()


async def test_toolsets_keep_only_their_groups() -> None:
    async with policy_server(toolsets=("campaigns", "analytics")) as mcp:
        tools = await listed(mcp)
        assert {OPERATIONS[name].toolset for name in tools} == {"campaigns", "analytics"}
        assert len(tools) == sum(op.toolset in ("campaigns", "analytics") for op in OPERATIONS.values())
        result = await mcp.call("list_leads", {})
        assert result.is_error and text(result) == as_unknown(mcp, "list_leads")
        assert mcp.nothing_sent()


async def test_tools_allow_list_is_exact() -> None:
    async with policy_server(tools=("list_campaigns", "delete_campaign")) as mcp:
        assert set(await listed(mcp)) == {"list_campaigns", "delete_campaign"}
        result = await mcp.call("get_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        assert result.is_error and text(result) == as_unknown(mcp, "get_campaign")
        assert mcp.nothing_sent()


async def test_read_only_hides_every_tool_that_changes_something() -> None:
    async with policy_server(read_only=True) as mcp:
        tools = await listed(mcp)
        counts = {risk: sum(OPERATIONS[n].risk == risk for n in tools) for risk in RISK_CLASSES}
        print("read-only tool counts:", counts)
        assert counts == {
            **dict.fromkeys(RISK_CLASSES, 0),
            "read": sum(op.risk == "read" for op in OPERATIONS.values()),
        }
        assert all(tool.annotations.read_only_hint for tool in tools.values())
        for name in ("create_block_list_entry", "delete_campaign", "reply_to_email"):
            result = await mcp.call(name, {})
            assert result.is_error and text(result) == as_unknown(mcp, name), name
        assert mcp.nothing_sent()


async def test_unknown_tool_name_is_an_error() -> None:
    async with policy_server() as mcp:
        result = await mcp.call("drop_everything", {})
        assert result.is_error and "Unknown tool" in text(result)


def test_every_scope_an_instantly_key_can_hold_is_accepted() -> None:
    """auth:read and audit_logs:create guard no tool here, but a key's real scope list must still be accepted.
    (email_templates and sales_flows guard the supplemented tools since issue 15.)"""
    runtime = build_runtime(Settings(scopes=("auth:read", "audit_logs:create", "campaigns:read")))
    assert {op.name for op in runtime.policy.visible_operations()} == {
        name for name, op in OPERATIONS.items() if "campaigns:read" in op.scopes
    }


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"scopes": ("campaign:read",)}, ["campaign:read", "campaigns", "delete"]),
        ({"scopes": ("leads:write",)}, ["leads:write", "update"]),
        ({"scopes": ("campaigns",)}, ["campaigns", "resource:action"]),
        ({"scopes": ()}, ["--scopes is empty"]),
        ({"toolsets": ("campaign", "leads")}, ["campaign", "campaigns, crm"]),
        ({"tools": ("delete_campain",)}, ["delete_campain", "delete_campaign"]),
        ({"tools": ("delete_campaign",), "read_only": True}, ["delete_campaign", "--read-only"]),
        ({"scopes": ("campaigns:delete",), "read_only": True}, ["no tool at all"]),
    ],
)
def test_bad_flags_stop_the_start_up(settings: dict, named: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        build_runtime(Settings(**settings))
    for word in named:
        assert word in str(info.value), (word, str(info.value))


@pytest.mark.parametrize(
    ("argv", "unknown"),
    [
        (["tools", "--scopes", "campaigns:read,bogus:read"], "bogus:read"),
        (["tools", "--toolsets", "campaigns,nonsense"], "nonsense"),
        (["serve", "--tools", "list_campaigns,nonsense"], "nonsense"),
    ],
)
def test_cli_exits_2_on_unknown_names(argv: list[str], unknown: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert unknown in err and "valid" in err.lower()


def test_cli_rejects_an_unknown_confirm_mode(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve", "--confirm", "sometimes"])
    assert exit_info.value.code == 2
    assert "sometimes" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("variable", "value"),
    [("INSTANTLY_READ_ONLY", "perhaps"), ("INSTANTLY_CONFIRM", "sometimes")],
)
def test_bad_environment_values_are_errors(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        Settings(**env_settings({variable: value}))  # type: ignore[arg-type]
    assert value in str(info.value)


def test_environment_sets_the_policy() -> None:
    values = env_settings(
        {
            "INSTANTLY_SCOPES": "campaigns:read, leads:all",
            "INSTANTLY_TOOLSETS": "campaigns",
            "INSTANTLY_READ_ONLY": "yes",
            "INSTANTLY_CONFIRM": "token",
        }
    )
    assert values == {
        "scopes": ("campaigns:read", "leads:all"),
        "toolsets": ("campaigns",),
        "read_only": True,
        "confirm": "token",
    }


def expected_request(name: str) -> tuple[dict, dict | None]:
    """Arguments built from the tool's schema and the request they validate to (None when the
    schema alone cannot satisfy the tool's body rules)."""
    op = OPERATIONS[name]
    for full in (False, True):
        arguments = arguments_for(op.input_schema, full=full)
        try:
            request = prepare(op, arguments).request
        except InvalidArguments:
            continue
        query = urlencode(encode_query(request.query), quote_via=quote)
        return arguments, {
            "method": op.method,
            "url": request.path + (f"?{query}" if query else ""),
            "body": request.body,
        }
    return arguments_for(op.input_schema), None


async def test_dry_run_on_every_non_read_tool_sends_nothing() -> None:
    checked = 0
    async with policy_server() as mcp:
        tools = await listed(mcp)
        for name in NON_READ:
            assert tools[name].input_schema["properties"]["dry_run"]["type"] == "boolean"
            arguments, expected = expected_request(name)
            result = await mcp.call(name, {**arguments, "dry_run": True})
            if expected is None:
                assert result.is_error and "nothing was sent" in text(result), name
                continue
            shown = answer(result)
            assert shown["dry_run"] is True
            assert {k: shown[k] for k in ("method", "url", "body")} == expected, name
            assert shown["url"].startswith("/api/v2/")
            checked += 1
        assert mcp.nothing_sent()
    assert checked >= len(NON_READ) - 2


async def test_dry_run_shows_path_query_and_body() -> None:
    async with policy_server() as mcp:
        label = "0190c0de-0000-7000-8000-00000000d001"
        deleted = answer(await mcp.call("delete_lead_label", {"id": label, "reassigned_status": 2, "dry_run": True}))
        assert deleted["method"] == "DELETE" and deleted["url"].startswith(f"/api/v2/lead-labels/{label}")
        created = answer(await mcp.call("create_block_list_entry", {"bl_value": "spam.test", "dry_run": True}))
        assert created == {
            **created,
            "method": "POST",
            "url": "/api/v2/block-lists-entries",
            "body": {"bl_value": "spam.test"},
        }
        assert mcp.nothing_sent()


async def test_dry_run_is_validated_and_not_on_read_tools() -> None:
    async with policy_server(read_only=False, scopes=("all:read", "block_list_entries:all")) as mcp:
        tools = await listed(mcp)
        assert "dry_run" not in tools["list_campaigns"].input_schema["properties"]
        on_read = await mcp.call("list_campaigns", {"dry_run": True})
        assert on_read.is_error and "dry_run: unknown argument" in text(on_read)
        not_bool = await mcp.call("create_block_list_entry", {"bl_value": "a.test", "dry_run": "yes"})
        assert not_bool.is_error and "dry_run: expected boolean" in text(not_bool)
        invalid = await mcp.call("create_block_list_entry", {"dry_run": True})
        assert invalid.is_error and "bl_value" in text(invalid)
        hidden = await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001", "dry_run": True})
        assert hidden.is_error and text(hidden) == as_unknown(mcp, "delete_campaign")
        assert mcp.nothing_sent()


async def test_upstream_403_names_the_scopes_the_key_lacks() -> None:
    """The MCP side grants all:all, but the key itself holds only campaigns:read."""
    app = sandbox_app(key_scopes={TEST_KEY: ["campaigns:read"]})
    async with policy_server(confirm="off", app=app) as mcp:
        assert not (await mcp.call("list_campaigns", {"limit": 1})).is_error
        result = await mcp.call("delete_campaign", {"id": "0190c0de-0000-7000-8000-00000000c001"})
        assert result.is_error
        assert "403" in text(result) and "campaigns:delete" in text(result) and "all:delete" in text(result)
        assert [(r["method"], r["status"]) for r in mcp.received] == [("GET", 200), ("DELETE", 403)]
