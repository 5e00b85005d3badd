"""Differential test: the sandbox's request validation agrees with Prism's.

For every operation, one valid request (built against the seeded sandbox) and a family of
broken ones (wrong type, missing required field, unknown field, out-of-range limit, no key)
go to both servers. Each must accept (2xx) or reject (4xx) the same requests, and the
sandbox's state must not change on a rejected one.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from sandbox.requests_for_spec import Call, build_call
from starlette.testclient import TestClient

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.spec import Operation, get_spec

pytestmark = pytest.mark.prism
AUTH = {"Authorization": "Bearer differential-key"}


@dataclass
class Case:
    label: str
    call: Call
    auth: bool = True


def broken_variants(op: Operation, good: Call) -> Iterator[Case]:
    body_schema = op.body_schema or {}
    properties = body_schema.get("properties") or {}
    if isinstance(good.body, dict):
        for name in body_schema.get("required", [])[:1]:
            body = {k: v for k, v in good.body.items() if k != name}
            yield Case(f"missing required body field {name}", Call(good.method, good.path, good.query, body))
        strings = [
            k for k, v in good.body.items() if isinstance(v, str) and properties.get(k, {}).get("type") == "string"
        ]
        for name in strings[:1]:
            body = {**good.body, name: 12345}
            yield Case(f"integer for string field {name}", Call(good.method, good.path, good.query, body))
        if body_schema.get("additionalProperties") is False:
            body = {**good.body, "not_a_field": True}
            yield Case("unknown body field", Call(good.method, good.path, good.query, body))
    limit = next((p for p in op.params_in("query") if p["name"] == "limit" and "maximum" in p["schema"]), None)
    if limit is not None:
        query = {**good.query, "limit": limit["schema"]["maximum"] + 1}
        yield Case("limit above its maximum", Call(good.method, good.path, query, good.body))
    yield Case("no API key", good, auth=False)


def send(client: Any, case: Case) -> int:
    headers = AUTH if case.auth else {}
    kwargs = {"json": case.call.body} if case.call.body is not None else {}
    return client.request(
        case.call.method, case.call.path, params=case.call.query, headers=headers, **kwargs
    ).status_code


def verdict(status: int) -> str:
    return "accept" if 200 <= status < 300 else "reject" if 400 <= status < 500 else f"other {status}"


def test_sandbox_and_prism_agree_on_good_and_bad_requests(prism_url: str) -> None:
    app = create_app()
    sandbox = app.state.sandbox
    disagreements: list[str] = []
    compared = 0
    with TestClient(app) as local, httpx2.Client(base_url=prism_url, timeout=30) as prism:
        for op in get_spec().operations:
            sandbox.reset()
            good = build_call(op, sandbox)
            cases = [Case("valid request", copy.deepcopy(good)), *broken_variants(op, good)]
            for case in cases:
                before = sandbox.store.snapshot()
                ours, theirs = verdict(send(local, case)), verdict(send(prism, case))
                compared += 1
                if ours != theirs:
                    disagreements.append(
                        f"{op.method.upper()} {op.path} [{case.label}]: sandbox {ours}, prism {theirs}"
                    )
                if ours == "reject":
                    assert sandbox.store.snapshot() == before, f"{op.operation_id}: state changed on {case.label}"
                sandbox.reset()
    print(
        f"\ndifferential: {compared - len(disagreements)}/{compared} requests classified alike by the sandbox and Prism"
    )
    assert compared >= 600
    assert not disagreements, "\n".join(disagreements)
