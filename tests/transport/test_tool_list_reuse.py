"""tools/list answered again from the SDK's first shaping: the same answer, and the same refusals.

The SDK validates and dumps every tools/list answer (7 ms and 0.9 MB for 255 tools); the server keeps
the first shaped answer of each protocol version (transport/server.py, ShapedToolList). What an
agent sees must not change: a later answer equals the first and equals the SDK's own shaping, and a
request the SDK refuses is refused the same way on the kept path.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server import runner

from instantly_mcp.config import Settings
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server

from support.stdio_pipe import read_line, start_stdio_server


async def listed_twice(mode: str, *, keep: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    settings = Settings(api_key="test-key", base_url="http://127.0.0.1:9", confirm="off")
    server = build_server(settings, build_runtime(settings))
    if not keep:
        server.middleware[:] = [m for m in server.middleware if "ShapedToolList" not in repr(m)]
    async with Client(server, mode=mode) as client:
        first = [t.model_dump(by_alias=True) for t in (await client.list_tools()).tools]
        second = [t.model_dump(by_alias=True) for t in (await client.list_tools()).tools]
    return first, second


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_a_kept_answer_is_the_sdks_own(mode: str) -> None:
    first, second = anyio.run(lambda: listed_twice(mode, keep=True))
    unkept, _ = anyio.run(lambda: listed_twice(mode, keep=False))
    assert len(first) == 255
    assert second == first
    assert first == unkept


def test_the_server_shapes_the_list_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two lists in a session: one shaping fewer than without the kept answer (the client side
    shapes each answer too, with the same function)."""
    shaped: list[str] = []
    shape = runner._methods.serialize_server_result

    def counted(method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        shaped.append(method)
        return shape(method, *args, **kwargs)

    monkeypatch.setattr(runner._methods, "serialize_server_result", counted)
    anyio.run(lambda: listed_twice("legacy", keep=True))
    kept = shaped.count("tools/list")
    shaped.clear()
    anyio.run(lambda: listed_twice("legacy", keep=False))
    assert kept == shaped.count("tools/list") - 1


class Pipe:
    """The stdio server (no key: the sandbox) spoken to in bare JSON-RPC, so that a request can be malformed."""

    def __init__(self) -> None:
        self.proc = start_stdio_server()
        self.next_id = 0

    def request(self, method: str, params: dict[str, Any] | None) -> dict[str, Any]:
        self.next_id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        while (answer := read_line(self.proc)).get("id") != self.next_id or "method" in answer:
            pass  # a notification or a log line for the client
        return answer

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def initialize(self) -> None:
        params = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
        assert "result" in self.request("initialize", params)
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def close(self) -> None:
        with self.proc:  # closes the pipes on the way out
            self.proc.kill()


BAD_PARAMS = {"cursor": 5}


@pytest.mark.e2e  # starts a process
def test_invalid_params_are_refused_on_the_kept_path_as_on_the_first() -> None:
    fresh = Pipe()
    try:
        fresh.initialize()
        refused_first = fresh.request("tools/list", BAD_PARAMS)
    finally:
        fresh.close()
    kept = Pipe()
    try:
        kept.initialize()
        assert len(kept.request("tools/list", {})["result"]["tools"]) == 255
        refused_kept = kept.request("tools/list", BAD_PARAMS)
        again = kept.request("tools/list", None)
    finally:
        kept.close()
    assert refused_first["error"]["code"] == -32602
    assert refused_kept["error"] == refused_first["error"]
    assert len(again["result"]["tools"]) == 255


@pytest.mark.e2e  # starts a process
def test_a_list_before_initialize_is_refused() -> None:
    pipe = Pipe()
    try:
        early = pipe.request("tools/list", {})
        pipe.initialize()
        later = pipe.request("tools/list", {})
    finally:
        pipe.close()
    assert "error" in early and "result" not in early
    assert len(later["result"]["tools"]) == 255
