"""Every operation of the vendored spec answers a valid request with a schema-valid 2xx."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from starlette.testclient import TestClient

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.spec import Operation, get_spec

from .requests_for_spec import build_call
from .support import AUTH

OPERATIONS = get_spec().operations


@pytest.fixture(scope="module")
def shared_client() -> Iterator[TestClient]:
    with TestClient(create_app(), headers=AUTH) as client:
        yield client


def problems(client: TestClient, op: Operation) -> list[str]:
    """Why the sandbox's answer to a valid request for `op` is wrong (empty when it is right)."""
    sandbox = client.app.state.sandbox
    sandbox.reset()
    call = build_call(op, sandbox)
    kwargs = {"json": call.body} if call.body is not None else {}
    response = client.request(call.method, call.path, params=call.query, **kwargs)
    if response.status_code != op.success_status:
        return [f"status {response.status_code} (expected {op.success_status}): {response.text[:300]}"]
    if sandbox.request_log[-1].get("operation_id") != op.operation_id:
        return ["routed to another operation"]
    if op.success_media_type == "text/csv":
        ok = response.headers["content-type"].startswith("text/csv") and response.text.startswith("Blocked Email,Date")
        return [] if ok else ["not the block-list CSV"]
    if not op.success_schema:
        return [] if response.content == b"" else ["unexpected body"]
    validator = Draft202012Validator(op.success_schema, format_checker=FormatChecker())
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.json())]


def test_the_spec_and_supplement_have_255_operations() -> None:
    assert len(OPERATIONS) == 255
    assert len({op.operation_id for op in OPERATIONS}) == 255


@pytest.mark.parametrize("op", OPERATIONS, ids=[op.operation_id for op in OPERATIONS])
def test_operation_answers_with_schema_valid_2xx(shared_client: TestClient, op: Operation) -> None:
    assert problems(shared_client, op) == []
