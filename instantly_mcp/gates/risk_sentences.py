"""One sentence per effect a gated call has, for the person deciding on the approval page.

Keyed by the effect names of the effects table (tool_specs/effects.toml, loaded by catalog/effects.py
once it lands); until then the effects are derived from the risk class and the tool's name.
"""

from __future__ import annotations

from instantly_mcp.catalog.operations import Operation

EFFECT_SENTENCES = {
    "emails_people": "This emails people outside the workspace; a sent email cannot be called back.",
    "runs_agent": "This starts or instructs an AI agent, which then acts on its own.",
    "grants_access": "This gives someone access to the workspace or its account.",
    "sends_data_out": "This sends workspace data to an address outside Instantly.",
    "spends_credits": "This spends Instantly credits or money, which are not refunded.",
    "deletes": "This deletes for good; it cannot be undone.",
}
SPENDS = ("order", "verify", "enrich", "lead_finder")
AGENTS = ("ai_",)
DATA_OUT = ("webhook", "forward", "share")


def effects_of(op: Operation) -> tuple[str, ...]:
    """Stand-in for the effects table: what the risk class and the name say the call causes."""
    named = (
        ("spends_credits", SPENDS),
        ("runs_agent", AGENTS),
        ("sends_data_out", DATA_OUT),
    )
    found = tuple(effect for effect, words in named if any(word in op.name for word in words))
    if op.risk == "destructive":
        return ("deletes",)
    if op.risk == "outbound":
        return found if "spends_credits" in found else ("emails_people", *found)
    if op.risk == "privileged":
        return tuple(e for e in found if e != "spends_credits") or ("grants_access",)
    return ()


def risk_sentences(op: Operation) -> tuple[str, ...]:
    return tuple(EFFECT_SENTENCES[effect] for effect in effects_of(op) if effect in EFFECT_SENTENCES)
