"""The spec everything is built from: the vendored openapi.json plus the curated supplement.

tool_specs/source/supplement.json adds operations Instantly serves that the vendored copy lacks, each
with its source (issue 15, item 7). The generator, the sandbox and Prism all read the merged document,
so a supplemented operation gets a model, sandbox state and a contract check like any other.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from instantly_mcp.catalog.paths import openapi_path


def supplement_path() -> Path:
    return openapi_path().with_name("supplement.json")


def add_supplement(doc: dict[str, Any], supplement: dict[str, Any]) -> dict[str, Any]:
    """`doc` with the supplement's paths added; a supplemented method the spec already has is an error,
    so a refreshed spec that starts documenting an operation is noticed (drop it from the supplement)."""
    paths = doc.setdefault("paths", {})
    for path, item in supplement.get("paths", {}).items():
        clashes = sorted(set(paths.get(path, {})) & set(item))
        if clashes:
            raise ValueError(
                f"supplement.json repeats {', '.join(m.upper() for m in clashes)} {path}, which the spec now has"
            )
        paths[path] = {**paths.get(path, {}), **item}
    return doc


@cache
def merged_spec() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(openapi_path().read_text(encoding="utf-8"))
    supplement = supplement_path()
    if supplement.is_file():
        add_supplement(doc, json.loads(supplement.read_text(encoding="utf-8")))
    return doc


def write_merged(target: Path) -> Path:
    """The merged spec as a file, for tools that read one (Prism)."""
    target.write_text(json.dumps(merged_spec()), encoding="utf-8")
    return target
