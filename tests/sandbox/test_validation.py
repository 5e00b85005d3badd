"""Bad input is rejected with Instantly's status and ajv-style message, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

from instantly_mcp.sandbox import Sandbox

SCHEDULE = {
    "schedules": [
        {
            "name": "Weekdays",
            "timing": {"from": "09:00", "to": "17:00"},
            "days": {"1": True},
            "timezone": "America/Chicago",
        }
    ]
}


def rejected(client: TestClient, sandbox: Sandbox, method: str, path: str, status: int = 400, **kwargs: Any) -> str:
    """Send a bad request; assert the error shape and that state is untouched; return the message."""
    before = sandbox.store.snapshot()
    response = client.request(method, path, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"statusCode", "error", "message"} and body["statusCode"] == status
    assert sandbox.store.snapshot() == before
    return body["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("POST", "/api/v2/campaigns", {"campaign_schedule": SCHEDULE}, "body must have required property 'name'"),
        ("POST", "/api/v2/campaigns", {"name": 7, "campaign_schedule": SCHEDULE}, "body/name must be string"),
        (
            "POST",
            "/api/v2/campaigns",
            {"name": "x", "campaign_schedule": SCHEDULE, "colour": "red"},
            "body must NOT have additional properties: 'colour'",
        ),
        (
            "POST",
            "/api/v2/campaigns",
            {
                "name": "x",
                "campaign_schedule": {
                    "schedules": [{**SCHEDULE["schedules"][0], "timing": {"from": "9am", "to": "17:00"}}]
                },
            },
            'body/campaign_schedule/schedules/0/timing/from must match pattern "^([01][0-9]|2[0-3]):([0-5][0-9])$"',
        ),
        (
            "POST",
            "/api/v2/campaigns",
            {"name": "x", "campaign_schedule": {**SCHEDULE, "start_date": "next week"}},
            'body/campaign_schedule/start_date must match format "date"',
        ),
        ("POST", "/api/v2/block-lists-entries", {"bl_value": 123}, "body/bl_value must be string"),
        ("POST", "/api/v2/block-lists-entries", {"value": "x.example"}, "body must have required property 'bl_value'"),
        (
            "POST",
            "/api/v2/block-lists-entries/bulk-create",
            {"bl_values": []},
            "body/bl_values must NOT have fewer than 1 items",
        ),
        (
            "POST",
            "/api/v2/block-lists-entries/bulk-create",
            {"bl_values": [f"d{i}.example" for i in range(1001)]},
            "body/bl_values must NOT have more than 1000 items",
        ),
        (
            "POST",
            "/api/v2/leads/add",
            {"campaign_id": "c", "leads": [{"email": "ok@a.example"}, {"email": 5}]},
            "body/leads/1/email must be string,null",
        ),
        (
            "POST",
            "/api/v2/leads/add",
            {"campaign_id": "c", "leads": [{"email": "ok@a.example", "nickname": "x"}]},
            "body/leads/0 must NOT have additional properties: 'nickname'",
        ),
        (
            "PATCH",
            "/api/v2/leads/00000000-0000-4000-8000-000000000000",
            {},
            "body must NOT have fewer than 1 properties",
        ),
        ("DELETE", "/api/v2/leads", {"status": 1}, "body must have required property 'campaign_id'"),
        ("POST", "/api/v2/custom-tags", {"label": "   "}, 'body/label must match pattern ".*\\S.*"'),
        (
            "POST",
            "/api/v2/lead-labels",
            {"label": "L", "interest_status_label": "lukewarm"},
            "body/interest_status_label must be equal to one of the allowed values",
        ),
    ],
)
def test_bad_bodies_are_rejected_naming_the_field(
    client: TestClient, sandbox: Sandbox, method: str, path: str, body: Any, message: str
) -> None:
    assert rejected(client, sandbox, method, path, json=body) == message


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        ("/api/v2/campaigns", {"limit": "0"}, "querystring/limit must be >= 1"),
        ("/api/v2/campaigns", {"limit": "101"}, "querystring/limit must be <= 100"),
        ("/api/v2/campaigns", {"limit": "ten"}, "querystring/limit must be integer"),
        ("/api/v2/block-lists-entries", {"domains_only": "yes"}, "querystring/domains_only must be boolean"),
        ("/api/v2/campaigns", {"status": "5"}, "querystring/status must be equal to one of the allowed values"),
        ("/api/v2/inbox-placement-analytics", {}, "querystring must have required property 'test_id'"),
    ],
)
def test_bad_query_strings_are_rejected(
    client: TestClient, sandbox: Sandbox, path: str, params: dict[str, str], message: str
) -> None:
    assert rejected(client, sandbox, "GET", path, params=params) == message


def test_query_strings_are_coerced_to_declared_types(client: TestClient) -> None:
    drafts = client.get("/api/v2/campaigns", params={"status": "0", "limit": "5"}).json()["items"]
    assert [c["status"] for c in drafts] == [0]
    assert len(client.get("/api/v2/campaigns", params={"limit": "2"}).json()["items"]) == 2
    campaigns = client.get("/api/v2/campaigns").json()["items"]
    ids = [c["id"] for c in campaigns[:2]]
    analytics = client.get("/api/v2/campaigns/analytics", params=[("ids", ids[0]), ("ids", ids[1])]).json()
    assert sorted(row["campaign_id"] for row in analytics) == sorted(ids)


def test_path_params_are_validated(client: TestClient, sandbox: Sandbox) -> None:
    agent = next(a for a in client.get("/api/v2/ai-agents").json()["items"] if a["name"].startswith("Outbound SDR"))
    message = rejected(
        client, sandbox, "PATCH", f"/api/v2/ai-agents/sales/{agent['id']}/guidance-rules/first", json={"title": "x"}
    )
    assert message == 'params/rule_id must match pattern "^rule-(0|[1-9][0-9]*)$"'


def test_required_body_missing_or_not_json(client: TestClient, sandbox: Sandbox) -> None:
    assert rejected(client, sandbox, "POST", "/api/v2/block-lists-entries") == "body must be object"
    assert (
        rejected(
            client,
            sandbox,
            "POST",
            "/api/v2/block-lists-entries",
            content=b"{bl_value:",
            headers={"content-type": "application/json"},
        )
        == "Body is not valid JSON"
    )
    assert rejected(
        client,
        sandbox,
        "POST",
        "/api/v2/block-lists-entries",
        415,
        content=b"bl_value=x.example",
        headers={"content-type": "application/x-www-form-urlencoded"},
    ).startswith("Unsupported Media Type")


def test_delete_accepts_no_body_and_an_empty_json_body(client: TestClient) -> None:
    first, second = client.get("/api/v2/block-lists-entries").json()["items"][:2]
    assert client.delete(f"/api/v2/block-lists-entries/{first['id']}").status_code == 200
    empty_json = client.request(
        "DELETE",
        f"/api/v2/block-lists-entries/{second['id']}",
        content=b"",
        headers={"content-type": "application/json"},
    )
    assert empty_json.status_code == 200 and empty_json.json()["id"] == second["id"]


def test_unknown_ids_and_routes(client: TestClient, sandbox: Sandbox) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    assert rejected(client, sandbox, "GET", f"/api/v2/campaigns/{missing}", 404) == "Campaign not found"
    assert (
        rejected(
            client, sandbox, "PATCH", f"/api/v2/block-lists-entries/{missing}", 404, json={"bl_value": "a.example"}
        )
        == "Block List Entry not found"
    )
    assert rejected(client, sandbox, "POST", f"/api/v2/campaigns/{missing}/activate", 404) == "Campaign not found"
    assert (
        rejected(client, sandbox, "GET", f"/api/v2/lead-lists/{missing}/verification-stats", 404)
        == "Lead List not found"
    )
    assert rejected(client, sandbox, "GET", "/api/v2/no-such-thing", 404) == "Route GET:/api/v2/no-such-thing not found"
    assert rejected(client, sandbox, "PUT", "/api/v2/campaigns", 404) == "Route PUT:/api/v2/campaigns not found"


def test_trailing_slashes_and_literal_segments(client: TestClient) -> None:
    assert client.get("/api/v2/campaigns/").status_code == 200
    assert client.post("/api/v2/supersearch-enrichment/", json={"resource_id": "list-1"}).status_code == 200
    assert client.post("/api/v2/supersearch-enrichment", json={"resource_id": "list-2"}).status_code == 200
    overview = client.get("/api/v2/campaigns/analytics/overview")
    assert overview.status_code == 200 and "emails_sent_count" in overview.json()
    assert isinstance(client.get("/api/v2/campaigns/analytics").json(), list)


def test_bulk_operations_are_all_or_nothing(client: TestClient, sandbox: Sandbox) -> None:
    campaign = client.get("/api/v2/campaigns").json()["items"][0]
    leads = [{"email": f"lead{i}@bulk.example"} for i in range(5)] + [
        {"email": "bad@bulk.example", "lt_interest_status": 42}
    ]
    rejected(client, sandbox, "POST", "/api/v2/leads/add", json={"campaign_id": campaign["id"], "leads": leads})
    assert client.post("/api/v2/leads/list", json={"search": "bulk.example"}).json()["items"] == []
    message = rejected(
        client,
        sandbox,
        "POST",
        "/api/v2/leads/add",
        404,
        json={"campaign_id": "00000000-0000-4000-8000-000000000000", "leads": leads[:5]},
    )
    assert message == "Campaign not found"
