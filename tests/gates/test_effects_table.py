"""The effects table (tool_specs/effects.toml) against the registry: one row for every write tool,
no row for anything else, and every gate consistent with the tool's risk class."""

from __future__ import annotations

import re

from instantly_mcp.catalog.effects import EFFECTS, load_effects
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.gates.controls import GATED_RISKS

OPERATIONS = load_operations()
TABLE = load_effects()
WRITES = {name for name, op in OPERATIONS.items() if op.risk != "read"}
# What an argument can change that decides whether email goes out, an agent runs or data leaves.
DECIDING_ARGUMENT = re.compile(
    r"^(status|automations|webhook_url|target_hook_url|instruction|content|feedback_text|campaign_id|campaign"
    r"|parent_campaign|payload|config|lt_interest_status|interest_value|signature|sequences|email_list|cc_list"
    r"|bcc_list|is_public|auto_update)$"
)


def test_every_write_tool_has_exactly_one_row_and_no_other_tool_has_one() -> None:
    assert set(TABLE) - WRITES == set()
    assert WRITES - set(TABLE) == set()


def test_rows_use_the_vocabulary_and_their_gate_follows_their_effects() -> None:
    for name, row in TABLE.items():
        assert row.effects <= set(EFFECTS), name
        assert (row.gate == "runs") == (not row.effects), name
        assert (row.gate == "asks_when_live") == bool(row.when), name
        assert row.why.endswith("."), name
        for trigger in row.when:
            assert trigger.argument in OPERATIONS[name].input_schema["properties"], (name, trigger.argument)
            assert trigger.lookup is None or OPERATIONS[trigger.lookup].risk == "read", name


def test_every_tool_gated_by_its_risk_class_still_asks() -> None:
    assert {n for n in WRITES if OPERATIONS[n].risk in GATED_RISKS} <= {n for n, r in TABLE.items() if r.gate == "asks"}


def test_deletes_merges_and_moves_are_marked_deletes() -> None:
    named = {n for n in WRITES if n.startswith(("delete_", "merge_", "move_")) and n != "move_lead_to_subsequence"}
    assert named <= {n for n, r in TABLE.items() if "deletes" in r.effects}


def test_every_tool_whose_arguments_can_change_what_goes_out_is_reviewed_beyond_runs() -> None:
    """A write that takes a status, an automation, a webhook URL, a guidance text or a campaign/agent link
    either asks, asks on those arguments, or its row says in `why` why the argument reaches no one."""
    reviewed = set()
    for name in sorted(WRITES):
        row = TABLE[name]
        deciding = [a for a in OPERATIONS[name].input_schema["properties"] if DECIDING_ARGUMENT.match(a)]
        if row.gate == "runs" and deciding:
            reviewed.add(name)
    assert reviewed == REVIEWED_RUNS


# Writes whose deciding-looking arguments were reviewed and reach no one (the row's why says so).
REVIEWED_RUNS = {
    "create_campaign",  # sequences, email_list, cc/bcc: a draft sends nothing until activate_campaign asks
    "bulk_assign_leads",  # campaign: a selection filter
    "create_sales_flow",  # campaign_id: a filter of the saved view
    "update_sales_flow",
    "create_account",  # signature of a new mailbox, in no campaign yet
}
