"""The generated registry: names, schemas, annotations and scopes hold their promises for all 255 tools."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from instantly_mcp.catalog.listing import effective_hints, to_mcp_tool
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.source_spec import merged_spec

ROOT = Path(__file__).resolve().parents[2]
OPS = load_operations()
SEED_TAGS = {
    "Analytics": 8,
    "Account": 16,
    "Campaign": 19,
    "Email": 9,
    "EmailVerification": 2,
    "LeadList": 6,
    "InboxPlacementTest": 6,
    "InboxPlacementAnalytics": 5,
    "InboxPlacementBlacklistAndSpamAssassinReport": 2,
    "APIKey": 3,
    "AccountCampaignMapping": 1,
    "Lead": 13,
    "BackgroundJob": 2,
    "CustomTag": 6,
    "BlockListEntry": 9,
    "LeadLabel": 6,
    "Workspace": 8,
    "WorkspaceGroupMember": 5,
    "WorkspaceMember": 5,
    "CampaignSubsequence": 11,
}


def spec_operations() -> list[dict]:
    spec = merged_spec()
    return [
        {"key": f"{m.upper()} {p}", "tags": op["tags"]}
        for p, item in spec["paths"].items()
        for m, op in item.items()
        if m in ("get", "post", "put", "patch", "delete")
    ]


@pytest.mark.e2e  # starts a process
def test_generated_files_match_the_generator():
    result = subprocess.run(
        [sys.executable, "scripts/generate.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_spec_operation_is_a_tool_once():
    keys = Counter(op.endpoint for op in OPS.values())
    assert len(OPS) == 255
    assert set(keys) == {o["key"] for o in spec_operations()}
    assert max(keys.values()) == 1


def test_every_seed_entity_has_all_its_operations():
    by_tag = Counter(tag for o in spec_operations() for tag in o["tags"])
    endpoints = {op.endpoint for op in OPS.values()}
    for tag, count in SEED_TAGS.items():
        assert by_tag[tag] == count, tag
        expected = {o["key"] for o in spec_operations() if tag in o["tags"]}
        assert expected <= endpoints, tag


def test_names_are_snake_case_unique_and_short():
    for name in OPS:
        assert len(name) <= 48 and name.islower() and " " not in name and not name.startswith("_"), name
    assert {
        "list_block_list_entries",
        "get_block_list_entry",
        "create_block_list_entry",
        "update_block_list_entry",
        "delete_block_list_entry",
    } <= set(OPS)
    assert OPS["create_block_list_entry"].path == "/api/v2/block-lists-entries"
    assert OPS["bulk_create_block_list_entries"].path.endswith("/bulk-create")


def _walk(schema, visit):
    visit(schema)
    if isinstance(schema, dict):
        for value in schema.values():
            _walk(value, visit)
    elif isinstance(schema, list):
        for value in schema:
            _walk(value, visit)


@pytest.mark.parametrize("name", sorted(OPS))
def test_input_schema_is_flat_and_self_contained(name):
    schema = OPS[name].input_schema
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is OPS[name].body_open
    assert not {"anyOf", "oneOf", "allOf"} & set(schema)

    def no_refs(node):
        assert not (isinstance(node, dict) and ({"$ref", "$defs"} & set(node))), name

    _walk(schema, no_refs)
    op = OPS[name]
    assert set(schema["properties"]) == set(op.path_params) | set(op.query_params) | set(op.body_params)
    assert set(op.path_params) <= set(schema.get("required", []))


@pytest.mark.parametrize("name", sorted(OPS))
def test_annotations_follow_the_risk_class(name):
    op = OPS[name]
    tool = to_mcp_tool(op)
    assert tool.title
    hints = effective_hints(tool.annotations)  # as a client reads them: MCP defaults filled in
    assert hints == {
        "read_only": op.risk == "read",
        "destructive": op.risk in ("destructive", "outbound", "privileged"),
        "idempotent": op.idempotent,
        "open_world": True,
    }
    # left out only where the default is the cautious reading
    assert tool.annotations.destructive_hint is (
        None if op.risk == "read" else op.risk in ("destructive", "outbound", "privileged")
    )
    if op.method == "GET":
        assert op.risk == "read"
    if op.method == "DELETE":
        assert op.risk in ("destructive", "write")


def test_scopes_parsed_or_inferred():
    inferred = [op for op in OPS.values() if op.scopes_inferred]
    assert len(inferred) == 45  # 30 of the spec's operations state none, nor do the supplement's 15
    for op in OPS.values():
        assert op.scopes and all(":" in s for s in op.scopes), op.name
    assert OPS["list_campaigns"].scopes == ("campaigns:read", "campaigns:all", "all:read", "all:all")
    assert OPS["get_campaign_analytics"].scopes_inferred
    assert OPS["get_campaign_analytics"].scopes[0] == "campaigns:read"


def test_risk_classes_of_the_gated_workflows():
    outbound = {
        "activate_campaign",
        "reply_to_email",
        "forward_email",
        "send_test_email",
        "verify_email",
        "place_dfy_email_account_order",
        "run_enrichment",
        "create_inbox_placement_test",
    }
    destructive = {
        "delete_campaign",
        "delete_all_block_list_entries",
        "merge_leads",
        "move_leads",
        "change_workspace_owner",
        "delete_leads",
        "bulk_delete_block_list_entries",
    }
    assert {n for n in outbound if OPS[n].risk == "outbound"} == outbound
    assert {n for n in destructive if OPS[n].risk == "destructive"} == destructive
    assert OPS["list_leads"].risk == "read" and OPS["list_leads"].method == "POST"
    assert OPS["pause_campaign"].risk == "write"


def test_pagination_and_rate_limits_come_from_the_spec():
    assert OPS["list_block_list_entries"].pagination == "cursor"
    assert OPS["list_leads"].pagination == "cursor_body"
    assert [(limit.requests, limit.period_s) for limit in OPS["list_emails"].rate_limits] == [(20, 60.0)]
    assert [(limit.requests, limit.period_s) for limit in OPS["send_test_email"].rate_limits] == [(10, 60.0)]
    google = OPS["initialize_google_oauth"].rate_limits
    assert [(limit.requests, limit.period_s) for limit in google] == [(75, 60.0)]
    assert OPS["download_block_list_entries_csv"].response_type == "text/csv"
    limited = sum(1 for op in OPS.values() if op.rate_limits)
    assert limited == 8
