"""A renamed tool keeps its old name: [aliases] in overrides.toml reach the registry, --tools,
tools/call and discovery's call_tool, and docs/tools.md says which name it had."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import pytest

from instantly_mcp.catalog.operations import load_operations, resolve

from support.servers import answer, policy_server, text

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

from generate import TOOLS_DOC, apply_aliases  # noqa: E402

from specgen.docs import tools_markdown  # noqa: E402

pytestmark = pytest.mark.anyio
OLD, NEW = "list_all_campaigns", "list_campaigns"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def renamed(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The registry as if list_campaigns had been called list_all_campaigns before a rename."""
    operations = dict(load_operations())
    operations[NEW] = dataclasses.replace(operations[NEW], aliases=(OLD,))
    monkeypatch.setattr("instantly_mcp.transport.runtime.load_operations", lambda: operations)
    return operations


def entries() -> list[dict[str, Any]]:
    return [
        {
            "name": "list_campaigns",
            "title": "List campaigns",
            "toolset": "campaigns",
            "risk": "read",
            "scopes": ["campaigns:read", "all:all"],
            "scopes_inferred": False,
        },
        {
            "name": "delete_campaign",
            "title": "Delete campaign",
            "toolset": "campaigns",
            "risk": "destructive",
            "scopes": ["campaigns:delete"],
            "scopes_inferred": False,
        },
    ]


def test_the_generator_records_an_alias_on_the_tool_it_now_names_and_docs_show_it() -> None:
    listed = entries()
    apply_aliases(listed, {OLD: NEW})
    assert listed[0]["aliases"] == [OLD] and "aliases" not in listed[1]
    doc = tools_markdown(listed)
    assert f"| `{NEW}` (formerly `{OLD}`) | List campaigns | read | `campaigns:read` |" in doc


@pytest.mark.parametrize(
    ("aliases", "problem"),
    [
        ({"delete_campaign": NEW}, "alias delete_campaign is the name of a tool"),
        ({OLD: "no_such_tool"}, "points to 'no_such_tool', which is no tool"),
        ({"Old-Name": NEW}, "alias not snake_case: Old-Name"),
    ],
)
def test_the_generator_refuses_an_alias_that_names_no_renamed_tool(aliases: dict[str, str], problem: str) -> None:
    with pytest.raises(SystemExit, match=problem):
        apply_aliases(entries(), aliases)


def test_docs_list_every_tool_of_the_registry_under_its_toolset() -> None:
    doc = TOOLS_DOC.read_text()
    sections = {part.split(" (", 1)[0]: part for part in doc.split("\n## ")[1:]}
    for op in load_operations().values():
        assert f"| `{op.name}` | {op.title} | {op.risk} |" in sections[op.toolset], op.name


def test_resolve_finds_a_tool_by_its_current_or_former_name(renamed: dict[str, Any]) -> None:
    assert resolve(renamed, OLD) is resolve(renamed, NEW) is renamed[NEW]
    assert resolve(renamed, "list_campaign") is None


async def test_the_old_name_works_in_tools_and_tools_call(renamed: dict[str, Any]) -> None:
    async with policy_server(tools=(OLD,)) as mcp:
        listed = [tool.name for tool in (await mcp.client.list_tools()).tools]
        result = await mcp.call(OLD, {"limit": 1})
    assert listed == [NEW]  # agents see the current name only
    assert answer(result)["items"]
    assert [(r["method"], r["path"]) for r in mcp.received] == [("GET", "/api/v2/campaigns")]


async def test_the_old_name_works_in_discovery(renamed: dict[str, Any]) -> None:
    async with policy_server(tools=("discover",)) as mcp:
        described = answer(await mcp.call("describe_tool", {"name": OLD}))
        result = await mcp.call("call_tool", {"name": OLD, "arguments": {"limit": 1}})
        direct = await mcp.call(OLD, {"limit": 1})
    assert described["name"] == NEW
    assert answer(result)["items"]
    assert direct.is_error and "call_tool(name='list_all_campaigns'" in text(direct)
    assert [(r["method"], r["path"]) for r in mcp.received] == [("GET", "/api/v2/campaigns")]
