"""State survives restarts when the sandbox persists to SQLite; rejected requests leave nothing behind."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.store import Store

from .support import AUTH


def test_state_survives_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    with TestClient(create_app(db_path=db), headers=AUTH) as first:
        seeded_campaigns = len(first.get("/api/v2/campaigns").json()["items"])
        entry = first.post("/api/v2/block-lists-entries", json={"bl_value": "persisted.example"}).json()
        campaign = first.get("/api/v2/campaigns").json()["items"][0]
        first.post(f"/api/v2/campaigns/{campaign['id']}/pause")
        first.post("/api/v2/block-lists-entries", json={"bl_value": 5})
        first.app.state.sandbox.store.close()

    with TestClient(create_app(db_path=db), headers=AUTH) as second:
        assert second.get(f"/api/v2/block-lists-entries/{entry['id']}").json()["bl_value"] == "persisted.example"
        assert second.get(f"/api/v2/campaigns/{campaign['id']}").json()["status"] == 2
        assert len(second.get("/api/v2/campaigns").json()["items"]) == seeded_campaigns
        values = [e["bl_value"] for e in second.get("/api/v2/block-lists-entries").json()["items"]]
        assert values[-1] == "persisted.example" and len(values) == 4
        second.post("/_sandbox/reset")
        second.app.state.sandbox.store.close()

    with TestClient(create_app(db_path=db), headers=AUTH) as third:
        assert third.get(f"/api/v2/block-lists-entries/{entry['id']}").status_code == 404
        assert len(third.get("/api/v2/block-lists-entries").json()["items"]) == 3


def test_unseeded_sandbox_starts_empty_but_has_a_workspace(tmp_path: Path) -> None:
    with TestClient(create_app(db_path=str(tmp_path / "empty.db"), seed=False), headers=AUTH) as client:
        assert client.get("/api/v2/campaigns").json() == {"items": []}
        assert client.get("/api/v2/workspaces/current").json()["name"] == "Sandbox Workspace"


def test_rollback_restores_every_change_since_the_last_commit(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "store.db"))
    store.put("things", "a", {"id": "a", "v": 1})
    store.commit()
    store.put("things", "a", {"id": "a", "v": 2})
    store.put("things", "b", {"id": "b", "v": 1})
    store.delete("things", "a")
    store.rollback()
    assert store.all("things") == [{"id": "a", "v": 1}]
    store.close()
    reopened = Store(str(tmp_path / "store.db"))
    assert reopened.all("things") == [{"id": "a", "v": 1}]
    reopened.close()
