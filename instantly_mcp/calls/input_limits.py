"""Size limits on a tool's raw arguments, checked before the model or anything else looks at them.

A 1 MB string or a list of 100,000 items costs memory and time to validate and would be refused
by Instantly anyway (or, worse, accepted and half applied). The arguments are walked once,
without recursion: every string (and object key) has a length limit, every list and object an
item limit, nesting a depth limit, and the whole a limit on its size as JSON. The defaults fit
the largest requests the spec allows (10,000 lead ids for run_enrichment, 1,000 leads for
add_leads) and can be changed with environment variables.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from functools import cache
from typing import Any

from instantly_mcp.errors import ConfigError, InputTooLarge

ENV_NAMES = {
    "max_total_bytes": "INSTANTLY_MCP_MAX_INPUT_BYTES",
    "max_string_chars": "INSTANTLY_MCP_MAX_STRING_CHARS",
    "max_list_items": "INSTANTLY_MCP_MAX_LIST_ITEMS",
    "max_depth": "INSTANTLY_MCP_MAX_DEPTH",
}


@dataclass(frozen=True)
class InputLimits:
    max_total_bytes: int = 512 * 1024
    max_string_chars: int = 100_000
    max_list_items: int = 10_000
    max_depth: int = 32

    def __post_init__(self) -> None:
        for f in fields(self):
            if getattr(self, f.name) < 1:
                raise ConfigError(f"{ENV_NAMES[f.name]} must be a positive integer, got {getattr(self, f.name)}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> InputLimits:
        env = os.environ if env is None else env
        values: dict[str, int] = {}
        for name, var in ENV_NAMES.items():
            text = env.get(var, "").strip()
            if text:
                try:
                    values[name] = int(text)
                except ValueError:
                    raise ConfigError(f"{var} must be a positive integer, got {text!r}") from None
        return cls(**values)

    def check(self, arguments: Mapping[str, Any]) -> None:
        """Raise InputTooLarge for the first limit the arguments break."""
        stack: list[tuple[str, Any, int]] = [(name, value, 1) for name, value in arguments.items()]
        for name in arguments:
            self._check_string(_shown(name), name, "argument name")
        while stack:
            path, value, depth = stack.pop()
            if isinstance(value, str):
                self._check_string(path, value, "string")
            elif isinstance(value, (list, dict)):
                if depth >= self.max_depth:
                    raise InputTooLarge(f"{path}: nested more than {self.max_depth} levels deep, the most allowed")
                if len(value) > self.max_list_items:
                    kind = "items" if isinstance(value, list) else "fields"
                    raise InputTooLarge(
                        f"{path}: {len(value)} {kind}, more than the {self.max_list_items} allowed; "
                        "split the work over several calls"
                    )
                if isinstance(value, list):
                    stack.extend((f"{path}[{i}]", item, depth + 1) for i, item in enumerate(value))
                else:
                    for key, item in value.items():
                        self._check_string(f"{path}.{_shown(key)}", key, "field name")
                        stack.append((f"{path}.{_shown(key)}", item, depth + 1))
        total = _json_bytes(dict(arguments))
        if total > self.max_total_bytes:
            sizes = {name: _json_bytes(value) for name, value in arguments.items()}
            largest = max(sizes, key=sizes.__getitem__)
            raise InputTooLarge(
                f"{_shown(largest)}: the arguments come to {total} bytes as JSON ({_shown(largest)} alone "
                f"{sizes[largest]}), more than the {self.max_total_bytes} allowed in one call; "
                "send fewer items per call"
            )

    def _check_string(self, path: str, value: Any, what: str) -> None:
        if isinstance(value, str) and len(value) > self.max_string_chars:
            raise InputTooLarge(
                f"{path}: a {what} of {len(value)} characters, more than the {self.max_string_chars} allowed"
            )


def _shown(name: Any) -> str:
    text = str(name)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str).encode())


SMALL_ARGUMENTS = 4096  # characters and items; see is_small


def is_small(arguments: Mapping[str, Any], budget: int = SMALL_ARGUMENTS) -> bool:
    """Whether the arguments add up to at most `budget` characters and items: then validating them
    costs less than handing the work to a thread and back. Stops counting once past the budget, so
    a huge argument costs no more to judge than a small one."""
    stack: list[Any] = [arguments]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            budget -= len(value)
        elif isinstance(value, Mapping):
            budget -= len(value)
            if budget < 0:
                return False
            budget -= sum(len(key) if isinstance(key, str) else 1 for key in value)
            stack.extend(value.values())
        elif isinstance(value, list):
            budget -= len(value)
            if budget < 0:
                return False
            stack.extend(value)
        else:
            budget -= 1
        if budget < 0:
            return False
    return True


@cache
def default_limits() -> InputLimits:
    """The limits from the environment (INSTANTLY_MCP_MAX_*), read once; ConfigError when one is not
    a positive integer."""
    return InputLimits.from_env()
