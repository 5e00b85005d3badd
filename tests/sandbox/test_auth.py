"""Bearer auth (401) and API-key scopes (403), including scopes inferred where the spec states none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.scopes import is_allowed, required_scopes
from instantly_mcp.sandbox.spec import get_spec

SCOPES = {
    "reader": ["campaigns:read"],
    "creator": ["all:create"],
    "blocker": ["block_list_entries:all"],
    "leads-reader": ["leads:read"],
    "admin": ["all:all"],
}


@pytest.fixture
def scoped() -> Iterator[TestClient]:
    with TestClient(create_app(key_scopes=SCOPES)) as client:
        yield client


def as_key(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Missing Authorization header"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "Invalid API key"),
        ({"Authorization": "Bearer   "}, "Invalid API key"),
    ],
)
def test_requests_without_a_bearer_key_are_unauthorized(headers: dict[str, str], message: str) -> None:
    app = create_app()
    with TestClient(app) as client:
        before = app.state.sandbox.store.snapshot()
        response = client.post("/api/v2/block-lists-entries", json={"bl_value": "x.example"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"statusCode": 401, "error": "Unauthorized", "message": message}
        assert app.state.sandbox.store.snapshot() == before
        assert app.state.sandbox.request_log[-1]["status"] == 401


def test_any_non_empty_key_is_accepted_without_a_scope_map() -> None:
    with TestClient(create_app()) as client:
        assert client.get("/api/v2/campaigns", headers=as_key("literally-anything")).status_code == 200


def test_scopes_gate_operations(scoped: TestClient) -> None:
    assert scoped.get("/api/v2/campaigns", headers=as_key("reader")).status_code == 200
    denied = scoped.post("/api/v2/campaigns", headers=as_key("reader"), json={"name": "x"})
    assert denied.status_code == 403
    assert denied.json()["error"] == "Forbidden"
    assert "campaigns:create" in denied.json()["message"] and "all:all" in denied.json()["message"]


def test_wildcard_scopes(scoped: TestClient) -> None:
    assert (
        scoped.post(
            "/api/v2/block-lists-entries", headers=as_key("creator"), json={"bl_value": "w.example"}
        ).status_code
        == 200
    )
    assert scoped.get("/api/v2/block-lists-entries", headers=as_key("creator")).status_code == 403
    entry = scoped.post("/api/v2/block-lists-entries", headers=as_key("blocker"), json={"bl_value": "b.example"}).json()
    assert scoped.delete(f"/api/v2/block-lists-entries/{entry['id']}", headers=as_key("blocker")).status_code == 200
    assert scoped.get("/api/v2/campaigns", headers=as_key("blocker")).status_code == 403
    assert (
        scoped.delete(
            f"/api/v2/campaigns/{scoped.get('/api/v2/campaigns', headers=as_key('admin')).json()['items'][0]['id']}",
            headers=as_key("admin"),
        ).status_code
        == 200
    )


def test_keys_outside_the_scope_map_get_full_access(scoped: TestClient) -> None:
    assert (
        scoped.post(
            "/api/v2/block-lists-entries", headers=as_key("unlisted"), json={"bl_value": "u.example"}
        ).status_code
        == 200
    )


def test_inferred_scopes_for_operations_that_state_none(scoped: TestClient) -> None:
    assert scoped.get("/api/v2/campaigns/analytics", headers=as_key("reader")).status_code == 200
    denied = scoped.post(
        "/api/v2/leads/bulk-assign", headers=as_key("leads-reader"), json={"organization_user_ids": ["u1"]}
    )
    assert denied.status_code == 403 and "leads:update" in denied.json()["message"]


def test_required_scopes_parse_the_description_and_infer_the_rest() -> None:
    spec = get_spec()
    assert required_scopes(spec.by_id["createEmailVerification"]) == (
        "email_verifications:create",
        "email_verifications:all",
        "all:create",
        "all:all",
    )
    assert required_scopes(spec.by_id["getDailyAccountAnalytics"]) == (
        "accounts:read",
        "accounts:all",
        "all:read",
        "all:all",
    )
    assert required_scopes(spec.by_id["initGoogleOAuth"])[0] == "accounts:create"
    assert required_scopes(spec.by_id["createSuperSearchEnrichment"])[0] == "supersearch_enrichments:create"
    assert all(required_scopes(op) for op in spec.operations)
    assert is_allowed(["ai_agents:all"], required_scopes(spec.by_id["listInboxManagerGuidances"]))
    assert not is_allowed(["campaigns:all"], required_scopes(spec.by_id["listInboxManagerGuidances"]))
