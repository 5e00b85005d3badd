"""Issue 24: schema compaction drops repetition, never a sentence that changes the answer.

Every sentence of the spec's argument descriptions that states a unit, a time zone or date reading,
a default, a limit, a side effect or a required combination (the reviewed patterns in
scripts/specgen/meaning.py) must survive in the schema the server serves for its tool: its words
that make it a fact, its numbers and the field names it mentions (shared shapes followed to the
tool that spells them out; a fact two sibling arguments share is said once, on the later one).
And where the spec accepts a date or a date-time, so does the tool.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.paths import openapi_path
from instantly_mcp.config import Settings

from support.mcp_session import mcp_client
from support.schema_args import resolve_shared
from support.servers import policy_server, text

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from specgen import meaning
from specgen.spec import Spec
from specgen.text import strip_markdown, strip_scopes


def spec_sentences() -> list[tuple[str, str, str]]:
    """(tool, argument, sentence) for every fact-stating sentence of the spec's argument descriptions."""
    by_endpoint = {op.endpoint: op.name for op in load_operations().values()}
    spec = Spec(openapi_path())
    found = []
    for op in spec.operations():
        tool = by_endpoint.get(op.key)
        if tool is None:
            continue
        described = [(p["name"], p.get("description") or p["schema"].get("description", "")) for p in op.path_params]
        described += [(p["name"], p.get("description") or p["schema"].get("description", "")) for p in op.query_params]
        described += list(descriptions(op.body_schema))
        for argument, said in described:
            found += [(tool, argument, s) for s in meaning.sentences(strip_markdown(strip_scopes(said)))]
    return found


def descriptions(schema: Any, name: str = "") -> Any:
    """(top-level argument, description) for the argument and everything nested in it."""
    if isinstance(schema, dict):
        if name and isinstance(schema.get("description"), str):
            yield name, schema["description"]
        for key, value in schema.items():
            if key == "properties" and isinstance(value, dict) and not name:
                for prop, sub in value.items():
                    yield from descriptions(sub, prop)
            elif key != "description":
                yield from descriptions(value, name)
    elif isinstance(schema, list):
        for value in schema:
            yield from descriptions(value, name)


def listed() -> dict[str, dict[str, Any]]:
    """tools/list as a real client receives it."""

    async def run() -> dict[str, dict[str, Any]]:
        async with mcp_client("http://127.0.0.1:9", settings=Settings(api_key="k")) as mcp:
            return {tool.name: tool.input_schema for tool in (await mcp.list_tools()).tools}

    return anyio.run(run)


def served_schemas() -> dict[str, dict[str, Any]]:
    """tools/list with every shared shape followed."""
    return resolve_shared(listed())


def test_every_fact_stating_sentence_survives_in_the_served_schema() -> None:
    served = listed()
    shared = resolve_shared(served)
    facts = spec_sentences()
    assert len(facts) > 150  # the patterns find what they should: units, defaults, limits, UTC, ...

    def schema(tool: str) -> str:
        """What the agent reads of the tool's arguments: as served and with shared shapes followed."""
        return json.dumps([served[tool], shared[tool]])

    lost = [
        (tool, name, sentence)
        for tool, name, sentence in facts
        if tool in served and not meaning.survives(sentence, schema(tool))
    ]
    assert not lost, "\n".join(f"{t}.{a}: {s}" for t, a, s in lost)


def test_analytics_dates_say_utc_midnight_and_take_a_date_or_a_date_time() -> None:
    end_date = served_schemas()["get_campaign_analytics"]["properties"]["end_date"]
    assert "interpreted as UTC midnight" in end_date["description"]
    assert {"format": "date-time"} in end_date["anyOf"] and {"format": "date"} in end_date["anyOf"]

    async def run() -> list[str]:
        async with policy_server() as mcp:
            for value in ("2026-12-06T23:59:59Z", "2026-12-06"):
                result = await mcp.call("get_campaign_analytics", {"start_date": "2026-11-06", "end_date": value})
                assert not result.is_error, text(result)
            wrong = await mcp.call("get_campaign_analytics", {"end_date": "06/12/2026"})
            assert wrong.is_error and "end_date" in text(wrong)
            return [str(e.url) for e in mcp.sent]

    sent = anyio.run(run)
    assert len(sent) == 2 and "end_date=2026-12-06T23%3A59%3A59Z" in sent[0] and "end_date=2026-12-06" in sent[1]
