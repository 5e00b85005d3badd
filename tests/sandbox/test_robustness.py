"""Arbitrary request bodies never crash the sandbox, and every rejected request leaves state as it was."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.spec import get_spec

from .requests_for_spec import build_call
from .support import AUTH

OPERATIONS_WITH_BODIES = [op for op in get_spec().operations if op.body_schema is not None]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from(["", "x", "a@b.example", "rule-0"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with TestClient(create_app(), headers=AUTH) as client:
        yield client


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.e2e  # every operation with mangled bodies (about 13 s)
def test_mangled_bodies_are_answered_without_server_errors(shared_client: TestClient, data: st.DataObject) -> None:
    op = data.draw(st.sampled_from(OPERATIONS_WITH_BODIES), label="operation")
    sandbox = shared_client.app.state.sandbox
    sandbox.reset()
    call = build_call(op, sandbox)
    names = sorted((op.body_schema or {}).get("properties", {})) or ["x"]
    overrides = data.draw(st.dictionaries(st.sampled_from(names), JSON, max_size=3), label="overrides")
    body: Any = {**call.body, **overrides} if isinstance(call.body, dict) else data.draw(JSON, label="body")

    before = sandbox.store.snapshot()
    response = shared_client.request(call.method, call.path, params=call.query, json=body)

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert set(response.json()) >= {"message"}
        assert sandbox.store.snapshot() == before
