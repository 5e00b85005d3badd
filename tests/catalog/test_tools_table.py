"""`instantly-mcp tools [flags]`: the table an agent would get, so a configuration can be checked first."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from instantly_mcp import cli
from instantly_mcp.catalog.effects import gate_of
from instantly_mcp.catalog.operations import RISK_CLASSES, load_operations

from support.servers import policy_server

pytestmark = pytest.mark.anyio

OPERATIONS = load_operations()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def table(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[dict[str, list[str]], str]:
    assert cli.main(["tools", *argv]) == 0
    out = capsys.readouterr().out
    head, _, tail = out.partition("\n\n")
    rows = {cells[0]: cells[1:] for cells in (re.split(r"\s{2,}", line.strip()) for line in head.splitlines()[1:])}
    return rows, tail


def counts_line(counts: Counter[str], total: int) -> str:
    return f"{total} of {len(OPERATIONS)} tools: " + ", ".join(f"{counts[r]} {r}" for r in RISK_CLASSES)


def test_default_table_has_every_tool_with_its_risk_scopes_and_toolset(capsys: pytest.CaptureFixture[str]) -> None:
    rows, tail = table([], capsys)
    assert set(rows) == set(OPERATIONS)
    for name, op in OPERATIONS.items():
        risk, *middle, toolset, scopes = rows[name]
        assert risk == op.risk and toolset == op.toolset
        expected = {"asks": ["confirm"], "asks_when_live": ["confirm when live"], "runs": []}[gate_of(name)]
        assert middle == expected, name
        assert set(scopes.split(",")) <= set(op.scopes)
    assert counts_line(Counter(op.risk for op in OPERATIONS.values()), len(OPERATIONS)) in tail
    print(tail)


def test_read_only_table_counts_only_reads(capsys: pytest.CaptureFixture[str]) -> None:
    rows, tail = table(["--read-only"], capsys)
    reads = {name for name, op in OPERATIONS.items() if op.risk == "read"}
    assert set(rows) == reads
    assert counts_line(Counter(read=len(reads)), len(reads)) in tail
    assert "0 need confirmation" in tail
    print(tail)


def test_scopes_and_toolsets_narrow_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    rows, _ = table(["--scopes", "campaigns:read,leads:all", "--toolsets", "leads,campaigns"], capsys)
    expected = {
        name
        for name, op in OPERATIONS.items()
        if op.toolset in ("leads", "campaigns")
        and ("campaigns:read" in op.scopes or any(s.split(":")[0] == "leads" for s in op.scopes))
    }
    assert set(rows) == expected
    assert "delete_lead" in rows and "delete_campaign" not in rows and "list_lead_lists" not in rows


def test_confirm_off_shows_no_gate(capsys: pytest.CaptureFixture[str]) -> None:
    rows, tail = table(["--confirm", "off", "--tools", "delete_campaign,list_campaigns"], capsys)
    assert rows["delete_campaign"][1] == "none (--confirm off)"
    assert "(--confirm off)" in tail


@pytest.mark.parametrize(
    "flags",
    [
        ["--read-only"],
        ["--scopes", "all:read,emails:all", "--toolsets", "emails,campaigns"],
        ["--tools", "reply_to_email,get_email"],
    ],
)
async def test_table_matches_what_the_server_lists(flags: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    rows, _ = table(flags, capsys)
    args = cli.build_parser().parse_args(["serve", *flags])
    settings = {
        k: v
        for k, v in vars(cli.settings_from(args)).items()
        if k in ("scopes", "toolsets", "tools", "read_only", "confirm")
    }
    async with policy_server(**settings) as mcp:
        listed = [tool.name for tool in (await mcp.client.list_tools()).tools]
    assert listed == list(rows)
