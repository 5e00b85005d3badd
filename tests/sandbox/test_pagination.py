"""Cursor pagination (`limit` + `starting_after` → `next_starting_after`) visits every item exactly once."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient


def walk(client: TestClient, method: str, path: str, limit: int, **filters: Any) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        cursor_args = {"starting_after": cursor} if cursor else {}
        if method == "GET":
            body = client.get(path, params={"limit": limit, **filters, **cursor_args}).json()
        else:
            body = client.post(path, json={"limit": limit, **filters, **cursor_args}).json()
        pages.append(body["items"])
        cursor = body.get("next_starting_after")
        if cursor is None:
            return pages
        assert cursor == body["items"][-1].get("id", body["items"][-1].get("email"))


def test_walking_a_collection_returns_each_item_once_in_order(client: TestClient) -> None:
    client.post("/api/v2/block-lists-entries/bulk-create", json={"bl_values": [f"page{i}.example" for i in range(8)]})
    everything = client.get("/api/v2/block-lists-entries").json()
    assert "next_starting_after" not in everything
    pages = walk(client, "GET", "/api/v2/block-lists-entries", 3)
    assert [len(p) for p in pages] == [3, 3, 3, 2]
    assert [e["id"] for page in pages for e in page] == [e["id"] for e in everything["items"]]


def test_walking_with_a_filter(client: TestClient) -> None:
    client.post(
        "/api/v2/block-lists-entries/bulk-create",
        json={"bl_values": [f"walk{i}.example" for i in range(5)] + ["someone@walk.example"]},
    )
    pages = walk(client, "GET", "/api/v2/block-lists-entries", 2, domains_only="true", search="walk")
    values = [e["bl_value"] for page in pages for e in page]
    assert sorted(values) == sorted(f"walk{i}.example" for i in range(5))


def test_walking_leads_list_by_id(client: TestClient) -> None:
    pages = walk(client, "POST", "/api/v2/leads/list", 4)
    ids = [lead["id"] for page in pages for lead in page]
    assert len(ids) == len(set(ids)) == 15
    assert ids == sorted(ids)


def test_walking_emails_newest_first(client: TestClient) -> None:
    pages = walk(client, "GET", "/api/v2/emails", 3)
    emails = [e for page in pages for e in page]
    assert len(emails) == len({e["id"] for e in emails}) == 11
    stamps = [e["timestamp_created"] for e in emails]
    assert stamps == sorted(stamps, reverse=True)
    oldest_first = [e["id"] for page in walk(client, "GET", "/api/v2/emails", 4, sort_order="asc") for e in page]
    assert oldest_first == [e["id"] for e in reversed(emails)]


def test_a_deleted_cursor_still_continues_the_walk(client: TestClient) -> None:
    client.post("/api/v2/block-lists-entries/bulk-create", json={"bl_values": [f"gone{i}.example" for i in range(4)]})
    first = client.get("/api/v2/block-lists-entries", params={"limit": 2}).json()
    client.delete(f"/api/v2/block-lists-entries/{first['next_starting_after']}")
    rest = client.get(
        "/api/v2/block-lists-entries", params={"limit": 100, "starting_after": first["next_starting_after"]}
    ).json()["items"]
    all_now = client.get("/api/v2/block-lists-entries").json()["items"]
    assert [e["id"] for e in rest] == [e["id"] for e in all_now[1:]]
