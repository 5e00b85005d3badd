"""What agents write beyond Monty's Python: run as meant (codemode/dialect.py rewrites it line for
line), or refused before anything is sent with what to write instead. Through the SDK client against
the sandbox."""

from __future__ import annotations

import json

import pydantic_monty as monty
import pytest

from instantly_mcp.codemode.dialect import INSTEAD, MODULES

from support.servers import policy_server, text

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


IDIOMS = """camps = (await instantly.list_campaigns(limit=10))['items']
counts = {}
for c in camps:
    counts[c['status']] = counts.get(c['status'], 0) + 1
top = max(counts, key=counts.get)
least = min(counts, key=counts.get)
ranked = sorted(counts, key=counts.get, reverse=True)
names = sorted((c['name'] for c in camps), key=str.lower)
first = next(c['name'] for c in camps if c['status'] == top)
missing = next((c for c in camps if c['name'] == 'no such name'), None)
[top, least, ranked, names, first, missing, list(map(str.strip, [' a '])), str.join('-', ['x', 'y'])]"""


async def test_methods_as_functions_and_next_over_a_generator_run_as_python_runs_them() -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await mcp.call("run_code", {"code": IDIOMS})
        raw = await mcp.call("run_code", {"code": "(await instantly.list_campaigns(limit=10))['items']"})
    assert not result.is_error, text(result)
    camps = json.loads(text(raw))
    counts: dict[str, int] = {}
    for c in camps:
        counts[c["status"]] = counts.get(c["status"], 0) + 1
    top = max(counts, key=counts.__getitem__)
    expected = [
        top,
        min(counts, key=counts.__getitem__),
        sorted(counts, key=counts.__getitem__, reverse=True),
        sorted((c["name"] for c in camps), key=str.lower),
        next(c["name"] for c in camps if c["status"] == top),
        None,
        ["a"],
        "x-y",
    ]
    assert json.loads(text(result)) == expected


async def test_a_rewritten_line_keeps_its_number_in_a_traceback() -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await mcp.call("run_code", {"code": "d = {'a': 2, 'b': 1}\nk = min(d, key=d.get)\nd[k + 'x']"})
    assert result.is_error and 'script.py", line 3' in text(result) and "KeyError" in text(result), text(result)


@pytest.mark.parametrize(
    ("line", "named", "instead"),
    [
        ("from operator import itemgetter", "'operator'", "key=lambda r: r['name']"),
        ("import string", "'string'", "string literals"),
        ("import heapq", "'heapq'", "sorted(xs, key=..., reverse=True)[:n]"),
        ("from collections import Counter, OrderedDict", "'collections.OrderedDict'", "a plain dict"),
        ("import xml.etree", "'xml.etree'", "its modules are asyncio"),
    ],
)
async def test_a_module_the_sandbox_lacks_is_refused_with_what_to_write_instead(
    line: str, named: str, instead: str
) -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await mcp.call("run_code", {"code": f"await instantly.list_campaigns(limit=1)\n{line}"})
        guarded = await mcp.call("run_code", {"code": f"try:\n    {line}\nexcept ImportError:\n    pass\n'ran'"})
        assert mcp.received == []  # refused before the script ran: not even the read before the import
    assert result.is_error and f"line 2: the sandbox has no {named}" in text(result) and instead in text(result)
    assert not guarded.is_error and text(guarded) == "ran", text(guarded)


def test_the_modules_said_to_be_there_or_missing_are_so_in_the_installed_monty() -> None:
    """The check refuses an import only if it would fail for sure: a Monty upgrade that adds a
    module (1.7 added statistics) or drops one must show here."""

    def imports(session: monty.MontySession, name: str) -> bool:
        try:
            session.feed_run(f"import {name}\n1")
        except monty.MontyError:
            return False
        return True

    with monty.Monty(max_processes=1) as pool, pool.checkout() as session:
        missing_from_monty = [name for name in sorted(MODULES) if not imports(session, name)]
        there_after_all = [name for name in sorted(INSTEAD) if "." not in name and imports(session, name)]
    assert missing_from_monty == [] and there_after_all == []


async def test_statistics_runs_in_a_script() -> None:
    async with policy_server(tools=("code",)) as mcp:
        result = await mcp.call("run_code", {"code": "import statistics\nstatistics.median([3, 1, 2])"})
    assert not result.is_error and text(result).strip().startswith("2"), text(result)
