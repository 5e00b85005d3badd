"""Shared fixtures; each lives in tests/support/ and is imported here so pytest finds it.

Tests live by layer (catalog/, calls/, upstream/, gates/, drift/, codemode/, transport/), plus
e2e/ for whole-product runs, and security/, reliability/, sandbox/. A test that starts a process
(anything in e2e/, or one that uses a fixture below that starts a server, a browser or Redis) is
marked `e2e`, so `pytest -m "not e2e"` runs the fast, in-process part. A test not so marked that
starts a process anyway fails, saying to mark it (`@pytest.mark.e2e  # starts a process`).

Every server a test starts (in process or as a child) keeps its approver secret in a config
directory of this test run, never in the user's own ~/.config.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
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
    # Files that start processes run first: under pytest-xdist (scripts/test.sh, a file per worker at a
    # time) the long files then start early, and the short in-process ones fill the end.
    starts_processes = {item.path for item in items if item.get_closest_marker("e2e")}
    items.sort(key=lambda item: item.path not in starts_processes)


STARTED: list[str] = []  # the commands the running unmarked test started
WATCHING = [False]


def _note_process(event: str, args: tuple[object, ...]) -> None:
    if WATCHING[0] and event == "subprocess.Popen":
        STARTED.append(str(args[1]))


sys.addaudithook(_note_process)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("e2e"):
        return (yield)
    STARTED.clear()
    WATCHING[0] = True
    try:
        result = yield
    finally:
        WATCHING[0] = False
    if STARTED:
        pytest.fail(f"this test starts a process ({STARTED[0][:200]}): mark it `@pytest.mark.e2e  # starts a process`")
    return result
