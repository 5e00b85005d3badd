"""Issue 15, item 7: operations Instantly serves that the vendored spec lacks (email templates, sales flows,
custom prompt templates: schemas and tags without paths) come from tool_specs/source/supplement.json, each
with its source, and become tools like the rest: models, sandbox state (through the SDK client), scopes."""

from __future__ import annotations

import json
import re

import anyio
import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.source_spec import add_supplement, merged_spec, supplement_path

from support.servers import policy_server, text

SUPPLEMENT = json.loads(supplement_path().read_text())
OPS = load_operations()
SUPPLEMENTED = {f"{m.upper()} {p}" for p, item in SUPPLEMENT["paths"].items() for m in item}


def test_every_supplemented_operation_names_its_source() -> None:
    assert len(SUPPLEMENTED) == 15
    for item in SUPPLEMENT["paths"].values():
        for op in item.values():
            source = op["x-source"]
            assert re.fullmatch(r"[0-9a-f]{40}", source["commit"]) and source["repo"] and source["path"].endswith(".ts")
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", source["retrieved"])
    assert SUPPLEMENT["x-provenance"]["sources"] and SUPPLEMENT["x-provenance"]["not_found"]


def test_supplemented_operations_are_tools_whose_scopes_the_spec_knows() -> None:
    endpoints = {op.endpoint: op for op in OPS.values()}
    assert set(endpoints) >= SUPPLEMENTED
    known_scopes = set(re.findall(r'"([a-z_]+:[a-z]+)"', json.dumps(merged_spec()["components"])))
    for key in SUPPLEMENTED:
        op = endpoints[key]
        assert op.scopes_inferred and set(op.scopes) <= known_scopes | {
            "all:all",
            "all:read",
            "all:create",
            "all:update",
            "all:delete",
        }, op.scopes
    assert endpoints["DELETE /api/v2/email-templates/{id}"].risk == "destructive"
    assert endpoints["GET /api/v2/email-templates"].pagination == "cursor"


def test_a_supplement_repeating_a_spec_operation_is_refused() -> None:
    with pytest.raises(ValueError, match="GET /api/v2/campaigns"):
        add_supplement(
            json.loads(json.dumps({"paths": {"/api/v2/campaigns": {"get": {}}}})),
            {"paths": {"/api/v2/campaigns": {"get": {}}}},
        )


def test_email_template_lifecycle_in_the_sandbox() -> None:
    async def run() -> tuple[list[object], list[tuple[str, str]]]:
        async with policy_server(confirm="off") as server:
            created = await server.data(
                "create_email_template", {"name": "Intro", "body": "<p>Hi {{firstName}}</p>", "subject": "Hello"}
            )
            template_id = created["id"]
            listed = await server.data("list_email_templates", {"limit": 10})
            updated = await server.data("update_email_template", {"id": template_id, "subject": "Hi again"})
            await server.call("delete_email_template", {"id": template_id})
            gone = await server.call("get_email_template", {"id": template_id})
            refused = await server.call("create_email_template", {"name": "X", "body": "y", "folder": "z"})
            log = [(r["method"], r["path"]) for r in server.received]
            return [created, listed, updated, text(gone), text(refused)], log

    (created, listed, updated, gone, refused), log = anyio.run(run)
    assert created["name"] == "Intro" and created["subject"] == "Hello"  # type: ignore[index]
    assert created["id"] in [t["id"] for t in listed["items"]]  # type: ignore[index]
    assert updated["subject"] == "Hi again"  # type: ignore[index]
    assert "404" in gone  # type: ignore[operator]
    assert "folder: unknown argument" in refused  # type: ignore[operator]
    assert ("DELETE", f"/api/v2/email-templates/{created['id']}") in log  # type: ignore[index]
    assert not any(path == "/api/v2/email-templates" and method == "POST" for method, path in log[-1:])
