"""Shared fixtures; each lives in tests/support/ and is imported here so pytest finds it.

Tests live by layer (catalog/, calls/, upstream/, gates/, drift/, codemode/, transport/), plus
e2e/ for whole-product runs, and security/, reliability/, sandbox/. A test that starts a process
(anything in e2e/, or one that uses a fixture below that starts a server, a browser or Redis) is
marked `e2e`, so `pytest -m "not e2e"` runs the fast, in-process part.

Every server a test starts (in process or as a child) keeps its approver secret in a config
directory of this test run, never in the user's own ~/.config.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="instantly-mcp-test-config-")

from support.browser import browser  # noqa: F401
from support.prism import prism_url  # noqa: F401
from support.redis_server import redis, redis_server  # noqa: F401
from support.sandbox_http import sandbox, sandbox_process  # noqa: F401

E2E_FOLDER = Path(__file__).parent / "e2e"
PROCESS_FIXTURES = frozenset(
    {"browser", "prism_url", "redis", "redis_server", "sandbox", "sandbox_process", "served"}  # served: test_faults.py
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        in_e2e = E2E_FOLDER in Path(str(item.path)).parents
        if in_e2e or PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
