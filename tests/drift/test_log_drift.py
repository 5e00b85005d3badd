"""Issue 15, item 10: with --log-drift, answers are compared with the spec off the request path; each new
difference is logged once per operation and field, never with a value. Through the SDK client, upstream a
sandbox whose campaign and workspace answers drift (tests/support/drifting.py)."""

from __future__ import annotations

import logging

import anyio
import httpx2
import pytest

from instantly_mcp.config import Settings

from support.drifting import MARK, Drifting
from support.servers import policy_server, sandbox_app


def drift_lines(caplog: pytest.LogCaptureFixture, **settings: object) -> list[str]:
    async def run() -> None:
        async with policy_server(
            transport=httpx2.ASGITransport(app=Drifting(sandbox_app())), confirm="off", **settings
        ) as server:
            for _ in range(3):
                page = await server.data("list_campaigns", {"limit": 3})
            await server.data("get_campaign", {"id": page["items"][0]["id"]})
            await server.data("get_workspace", {})
            await server.data("list_block_list_entries", {"limit": 2})
            if server.runtime.policy.drift is not None:
                server.runtime.policy.drift.flush()

    with caplog.at_level(logging.WARNING, logger="instantly_mcp.drift"):
        anyio.run(run)
    return [r.getMessage() for r in caplog.records if r.name == "instantly_mcp.drift"]


def test_each_difference_is_logged_once_without_values(caplog: pytest.LogCaptureFixture) -> None:
    lines = drift_lines(caplog, log_drift=True)
    assert sorted(lines) == sorted(
        [
            "drift: get_campaign (GET /api/v2/campaigns/{id}) $.name: expected string, got integer",
            "drift: get_campaign (GET /api/v2/campaigns/{id}) $.status: missing (required number)",
            "drift: get_campaign (GET /api/v2/campaigns/{id}) $.surprise: not in the spec (string)",
            "drift: get_workspace (GET /api/v2/workspaces/current) $.owner: missing (required string)",
            "drift: list_campaigns (GET /api/v2/campaigns) $.items[].name: expected string, got integer",
            "drift: list_campaigns (GET /api/v2/campaigns) $.items[].status: missing (required number)",
            "drift: list_campaigns (GET /api/v2/campaigns) $.items[].surprise: not in the spec (string)",
        ]
    ), lines
    assert not any(MARK in line or "12345" in line for line in lines)


def test_nothing_is_checked_without_the_flag(caplog: pytest.LogCaptureFixture) -> None:
    assert drift_lines(caplog) == []


def test_the_flag_and_its_environment_variable() -> None:
    from instantly_mcp import cli
    from instantly_mcp.config import env_settings

    assert cli.settings_from(cli.build_parser().parse_args(["serve", "--log-drift"])).log_drift
    assert env_settings({"INSTANTLY_LOG_DRIFT": "1"})["log_drift"] is True
    assert Settings().log_drift is False
