"""Issue 15: requests that public, live-used clients send to Instantly (tests/fixtures/real_world_requests.json,
each with its source repository, path, line and commit), replayed through validation and then through the SDK
client against the sandbox, which must receive exactly the request the real client sends."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from anyio.from_thread import start_blocking_portal

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.errors import InvalidArguments

from support.real_world import FIXTURE, RealRequest, load
from support.servers import Harness, policy_server, text

REQUESTS = load()
BY_ID = {r.id: r for r in REQUESTS}
SENT = [r.id for r in REQUESTS if r.expect in ("valid", "undocumented")]


def test_the_fixture_names_a_source_for_every_request() -> None:
    entries = json.loads(FIXTURE.read_text())["requests"]
    assert len(entries) >= 25 and len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        source = entry["source"]
        assert source["repo"].count("/") == 1 and len(source["commit"]) == 40 and source["path"] and source["line"] > 0
        assert entry["expect"] in ("valid", "undocumented", "refused", "no_tool")


@pytest.mark.parametrize("request_id", [r.id for r in REQUESTS])
def test_validation_takes_what_real_clients_send(request_id: str) -> None:
    real = BY_ID[request_id]
    matched = real.operation()
    if real.expect == "no_tool":
        assert matched is None
        return
    assert matched is not None, f"no tool for {real.method} {real.path}"
    op, path_values = matched
    if real.expect == "refused":
        with pytest.raises(InvalidArguments, match=real.refused_field or ""):
            prepare(op, real.arguments(op, path_values))
        return
    call = prepare(op, real.arguments(op, path_values))
    assert call.undocumented == real.undocumented
    assert call.request.body == (real.body or None if not op.body_required else real.body)


@pytest.fixture(scope="module")
def harness() -> Iterator[tuple[object, Harness]]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(policy_server(confirm="off")) as harness:
        yield portal, harness


@pytest.mark.parametrize("request_id", SENT)
def test_the_sandbox_receives_exactly_what_the_real_client_sends(request_id: str, harness: tuple) -> None:
    portal, server = harness
    real: RealRequest = BY_ID[request_id]
    op, path_values = real.operation()  # type: ignore[misc]
    before = len(server.received)
    result = portal.call(server.client.call_tool, op.name, real.arguments(op, path_values))
    received = [r for r in server.received[before:] if r["method"] == real.method and r["path"] == real.path]
    assert received, text(result)
    assert received[0]["body"] == real.body
    assert {k: str(v) for k, v in received[0]["query"].items()} == real.query
    assert not result.is_error or "HTTP 404" in text(result), text(
        result
    )  # placeholder ids: only "not found" may come back
    if real.undocumented:
        assert ", ".join(real.undocumented) in result.content[-1].text
