"""One sentence per effect a gated call has, for the person deciding on the approval page,
from the effects table (tool_specs/effects.toml)."""

from __future__ import annotations

from instantly_mcp.catalog.effects import EFFECTS, Effect, effects_of

EFFECT_SENTENCES: dict[Effect, str] = {
    "emails_people": "This emails people outside the workspace; a sent email cannot be called back.",
    "runs_agent": "This starts or instructs an AI agent, which then acts on its own.",
    "grants_access": "This gives someone access to the workspace or its account.",
    "sends_data_out": "This sends workspace data to an address outside Instantly.",
    "spends_credits": "This spends Instantly credits or money, which are not refunded.",
    "deletes": "This deletes or overwrites for good; it cannot be undone.",
}


def risk_sentences(tool: str) -> tuple[str, ...]:
    effects = effects_of(tool)
    return tuple(EFFECT_SENTENCES[effect] for effect in EFFECTS if effect in effects)
