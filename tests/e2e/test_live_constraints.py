"""Issue 15, items 3, 5, 6 and 8: constraints Instantly enforces live but the spec does not state, list limits
capped at 100, nullable fields in the output outlines, and messages that say what a missing nested field is.
Through the SDK client against the sandbox; refusals send nothing."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from instantly_mcp.catalog.operations import load_operations

from support.servers import policy_server, text

OPS = load_operations()
PLACEMENT_TEST = {
    "name": "Weekly placement",
    "type": 2,
    "sending_method": 1,
    "delivery_mode": 1,
    "email_subject": "Hi",
    "email_body": "Hello",
    "emails": ["sender@example.com"],
    "schedule": {"days": {"1": True}, "timing": {"from": "09:00", "to": "10:00"}, "timezone": "America/Chicago"},
}


def calls(*attempts: tuple[str, dict[str, Any]]) -> tuple[list[tuple[bool, str]], list[dict[str, Any]]]:
    async def run() -> tuple[list[tuple[bool, str]], list[dict[str, Any]]]:
        async with policy_server(confirm="off") as server:
            seen = []
            for name, arguments in attempts:
                result = await server.call(name, arguments)
                seen.append((bool(result.is_error), text(result)))
            return seen, [r for r in server.received if r["method"] != "GET" or "limit" in r["query"]]

    return anyio.run(run)


def without(arguments: dict[str, Any], *path: str) -> dict[str, Any]:
    if len(path) == 1:
        return {k: v for k, v in arguments.items() if k != path[0]}
    return {**arguments, path[0]: without(arguments[path[0]], *path[1:])}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (without(PLACEMENT_TEST, "delivery_mode"), "delivery_mode is required: one of 1, 2"),
        ({**PLACEMENT_TEST, "emails": []}, "at least one sender in emails (or tags)"),
        (without(PLACEMENT_TEST, "schedule", "timing", "to"), "schedule.timing.to is required"),
        (without(PLACEMENT_TEST, "schedule"), "schedule is required"),
    ],
)
def test_placement_test_constraints_observed_live_are_enforced(arguments: dict[str, Any], message: str) -> None:
    (outcome,), received = calls(("create_inbox_placement_test", arguments))
    assert outcome[0] and message in outcome[1] and "nothing was sent" in outcome[1], outcome
    assert received == []


def test_a_complete_placement_test_is_sent_with_timing_to() -> None:
    (outcome,), received = calls(("create_inbox_placement_test", PLACEMENT_TEST))
    assert not outcome[0], outcome[1]
    assert received[0]["body"]["schedule"]["timing"] == {"from": "09:00", "to": "10:00"}


def test_the_placement_test_rule_is_described() -> None:
    op = OPS["create_inbox_placement_test"]
    assert "delivery_mode" in op.input_schema["required"]
    assert "schedule.timing with both from and to" in op.description
    assert set(op.input_schema["properties"]["schedule"]["properties"]["timing"]["properties"]) == {"from", "to"}


def test_missing_nested_field_is_named_with_what_it_is() -> None:
    (outcome,), received = calls(
        (
            "send_test_email",
            {"eaccount": "a@example.com", "to_address_email_list": "b@example.com", "subject": "Hi", "body": {}},
        )
    )
    assert "body.html is required: string (HTML body of the test email)" in outcome[1]
    assert received == []


def test_unbounded_list_limits_are_capped_at_100() -> None:
    assert OPS["list_account_campaign_mappings"].input_schema["properties"]["limit"]["maximum"] == 100
    assert OPS["get_enrichment_history"].input_schema["properties"]["limit"]["maximum"] == 100
    assert OPS["list_audit_logs"].input_schema["properties"]["limit"]["maximum"] == 1000  # the spec's own bound stays
    (refused, _), received = calls(
        ("list_account_campaign_mappings", {"email": "sender@example.com", "limit": 101}),
        ("list_account_campaign_mappings", {"email": "sender@example.com", "limit": 100}),
    )
    assert refused[0] and "limit" in refused[1] and "100" in refused[1]
    assert [r["query"]["limit"] for r in received] == ["100"]


@pytest.mark.parametrize(
    ("tool", "path"),
    [
        ("get_email", ("body",)),
        ("get_email", ("body", "html")),
        ("get_email", ("body", "text")),
        ("list_emails", ("items", "[]", "body", "html")),
        ("get_lead", ("lt_interest_status",)),
        ("list_leads", ("items", "[]", "lt_interest_status")),
    ],
)
def test_fields_observed_null_are_nullable_in_the_output_outline(tool: str, path: tuple[str, ...]) -> None:
    node: dict[str, Any] = OPS[tool].output_schema or {}
    for step in path:
        node = node["items"] if step == "[]" else node["properties"][step]
    assert "null" in node["type"]


@pytest.mark.parametrize("tool", ["count_leads_from_supersearch", "preview_leads_from_supersearch"])
def test_locations_by_city_state_or_country_are_advertised_and_validated(tool: str) -> None:
    schema = OPS[tool].input_schema["properties"]["search_filters"]["properties"]["locations"]
    include = next(branch for branch in schema["anyOf"] if branch.get("type") == "object")["properties"]["include"][
        "items"
    ]["anyOf"]
    assert [set(form["properties"]) for form in include] == [{"place_id", "label"}, {"city", "state", "country"}]
    by_city = {
        "search_filters": {"locations": {"include": [{"city": "Austin", "state": "Texas", "country": "United States"}]}}
    }
    legacy = {"search_filters": {"locations": [{"country": "Germany"}, {"place_id": "ChIJN1t_t3uEmsRUso9K6W47H4"}]}}
    empty = {"search_filters": {"locations": {"include": [{}]}}}
    stray = {"search_filters": {"locations": {"include": [{"town": "Austin"}]}}}
    outcomes, received = calls((tool, by_city), (tool, legacy), (tool, empty), (tool, stray))
    assert [is_error for is_error, _ in outcomes] == [False, False, True, True], outcomes
    assert "give one of: city; state; country" in outcomes[2][1] and "town" in outcomes[3][1]
    assert [r["body"]["search_filters"]["locations"] for r in received] == [
        by_city["search_filters"]["locations"],
        legacy["search_filters"]["locations"],
    ]
