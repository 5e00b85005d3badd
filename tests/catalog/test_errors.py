"""The exception tree: the drawing in errors.py is the hierarchy, and each layer raises its own branch."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import instantly_mcp
from instantly_mcp import errors
from instantly_mcp.calls.input_limits import InputLimits
from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.config import Settings


def drawn_parents() -> dict[str, str]:
    """Class → parent, read from the tree in the module docstring (indentation gives the depth)."""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in (errors.__doc__ or "").splitlines():
        found = re.match(r"^(\s*(?:[│ ]   )*(?:[├└]── )?)([A-Z]\w+)(?:\s|$)", line)
        if not found or not line.startswith("    "):
            continue
        depth, name = len(found.group(1)), found.group(2)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if stack:
            parents[name] = stack[-1][1]
        stack.append((depth, name))
    return parents


def package_exceptions() -> dict[str, type[BaseException]]:
    """Every exception class defined anywhere in the package (the sandbox, the far side of the wire, and
    the generated models aside), by qualified name."""
    found: dict[str, type[BaseException]] = {}
    for module in pkgutil.walk_packages(instantly_mcp.__path__, "instantly_mcp."):
        if module.name.startswith(("instantly_mcp.sandbox", "instantly_mcp.catalog.models")):
            continue
        loaded = importlib.import_module(module.name)
        for name, value in vars(loaded).items():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.name:
                found[f"{module.name}.{name}"] = value
    return found


def test_every_exception_of_the_package_is_in_errors_py_and_drawn() -> None:
    found = package_exceptions()
    outside = sorted(name for name in found if not name.startswith("instantly_mcp.errors."))
    assert not outside, f"define these in instantly_mcp/errors.py (and draw them): {outside}"
    drawn = drawn_parents()
    for name, cls in found.items():
        assert issubclass(cls, errors.InstantlyMcpError), name
        assert cls is errors.InstantlyMcpError or cls.__name__ in drawn, f"{name} is not in the drawing"


def test_the_drawn_tree_is_the_class_hierarchy() -> None:
    drawn = drawn_parents()
    ours = {name for name, value in vars(errors).items() if isinstance(value, type) and issubclass(value, Exception)}
    assert set(drawn) | {"InstantlyMcpError"} == ours
    for name, parent in drawn.items():
        assert getattr(errors, parent) in getattr(errors, name).__bases__, (name, parent)


def test_each_layer_raises_a_branch_of_the_one_tree() -> None:
    with pytest.raises(errors.ConfigError) as config:
        Settings(confirm="sometimes")  # type: ignore[arg-type]
    op = load_operations()["list_campaigns"]
    with pytest.raises(errors.InvalidArguments) as invalid:
        prepare(op, {"limit": "ten"})
    with pytest.raises(errors.InvalidArguments) as too_large:
        prepare(op, {"search": "x" * 50}, InputLimits(max_string_chars=10))
    for caught in (config, invalid, too_large):
        assert isinstance(caught.value, errors.InstantlyMcpError)
    assert isinstance(config.value, ValueError)
    assert "search" in str(too_large.value) and "nothing was sent" in str(too_large.value)


def test_upstream_failures_share_one_base() -> None:
    api = errors.ApiError(429, "Too Many Requests", "slow down", attempts=0)
    transport = errors.TransportError("connection reset", may_have_been_sent=True)
    for failure in (api, transport):
        assert isinstance(failure, errors.UpstreamError) and isinstance(failure, errors.InstantlyMcpError)
    assert not issubclass(errors.UpstreamError, errors.InvalidArguments)


def test_errors_are_imported_from_errors_py_only() -> None:
    """Not through a module that happens to import them: one place to look, one name for each."""
    root = Path(instantly_mcp.__file__).parent
    names = "|".join(sorted(package_exceptions_names()))
    through = re.compile(rf"from instantly_mcp\.(?!errors\b)[\w.]+ import [^\n]*\b({names})\b")
    found = [
        f"{path.relative_to(root.parent)}: {hit.group(0)}"
        for path in [*root.rglob("*.py"), *(root.parent / "tests").rglob("*.py")]
        for hit in through.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not found, found


def package_exceptions_names() -> set[str]:
    return {cls.__name__ for cls in package_exceptions().values()}
