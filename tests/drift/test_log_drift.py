"""Issue 15, item 10: with --log-drift, answers are compared with the spec off the request path; each new
difference is logged once per operation and field, never with a value. Through the SDK client, upstream a
sandbox whose campaign and workspace answers drift (tests/support/drifting.py)."""

from __future__ import annotations

import logging
from typing import Any

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


def test_answers_repeating_known_drift_are_walked_less_and_less(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow walk runs for the first differing answer and then ever more rarely while nothing new
    shows; a new difference is still logged, within MAX_SKIPPED + 1 answers."""
    from instantly_mcp.catalog.operations import load_operations
    from instantly_mcp.drift import log as drift_log

    walks: list[int] = []
    real = drift_log.differences

    def counted(schema: Any, data: Any) -> Any:
        walks.append(1)
        return real(schema, data)

    monkeypatch.setattr(drift_log, "differences", counted)
    op = load_operations()["get_workspace"]
    known = {"id": "w", "name": "Acme", "owner": "o", "surprise": "x"}
    drifted = drift_log.DriftLog()
    with caplog.at_level(logging.WARNING, logger="instantly_mcp.drift"):
        for _ in range(200):
            drifted.check(op, known)
        assert len(walks) <= 10
        answered = 0
        while not any("$.another" in r.getMessage() for r in caplog.records) and answered <= drift_log.MAX_SKIPPED:
            drifted.check(op, {**known, "another": 1})
            answered += 1
    lines = [r.getMessage() for r in caplog.records if "$.surprise" in r.getMessage() or "$.another" in r.getMessage()]
    assert lines == [
        "drift: get_workspace (GET /api/v2/workspaces/current) $.surprise: not in the spec (string)",
        "drift: get_workspace (GET /api/v2/workspaces/current) $.another: not in the spec (integer)",
    ], lines
    assert answered <= drift_log.MAX_SKIPPED + 1
