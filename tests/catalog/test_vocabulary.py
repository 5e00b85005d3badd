"""The typed vocabulary (Risk, Pagination, ToolsetId) is the registry's: the same words, and a
registry with a word the code does not know is refused when it loads, naming the tool."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from instantly_mcp.catalog.operations import PAGINATION_STYLES, RISK_CLASSES, TOOLSET_IDS, load_operations
from instantly_mcp.catalog.paths import tool_specs_dir

OVERRIDES = Path(__file__).resolve().parents[2] / "tool_specs" / "overrides.toml"


def test_toolset_ids_are_the_toolsets_of_the_overrides_and_the_registry() -> None:
    curated = set(tomllib.loads(OVERRIDES.read_text())["toolsets"].values())
    assert set(TOOLSET_IDS) == curated == {op.toolset for op in load_operations().values()}


def test_the_registry_uses_every_risk_class_and_only_known_pagination_styles() -> None:
    operations = load_operations().values()
    assert {op.risk for op in operations} == set(RISK_CLASSES)
    assert {op.pagination for op in operations} - {None} <= set(PAGINATION_STYLES)


@pytest.mark.parametrize(("field", "word"), [("risk", "risky"), ("toolset", "misc"), ("pagination", "page_number")])
def test_an_unknown_word_in_the_registry_stops_the_load(tmp_path: Path, field: str, word: str) -> None:
    source = tool_specs_dir() / "Campaign.json"
    document = json.loads(source.read_text())
    document["operations"][0][field] = word
    (tmp_path / "Campaign.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match=f"{document['operations'][0]['name']} has {field} '{word}'"):
        load_operations(tmp_path)
