"""Where the tool specs and the vendored OpenAPI spec live, in a checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def tool_specs_dir() -> Path:
    """tool_specs/ beside the package in a checkout; instantly_mcp/_tool_specs in a wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "tool_specs", package / "_tool_specs"):
        if (candidate / "source" / "openapi.json").is_file():
            return candidate
    raise FileNotFoundError("tool_specs/ not found beside the instantly_mcp package")


def openapi_path() -> Path:
    return tool_specs_dir() / "source" / "openapi.json"
