"""Contract: every tool, called through MCP with arguments built from its own inputSchema,
sends a request that Prism (running the vendored spec) accepts.

A rejection here is a bug in our schemas or request building, never in Prism.
"""

from __future__ import annotations

import json

import anyio
import pytest
from mcp import Client

from instantly_mcp.calls.pipeline import prepare
from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.config import Settings
from instantly_mcp.errors import InvalidArguments
from instantly_mcp.transport.runtime import build_runtime
from instantly_mcp.transport.server import build_server
from instantly_mcp.upstream.client import InstantlyClient

from support.recording import RecordingTransport
from support.schema_args import arguments_for, resolve_shared

pytestmark = pytest.mark.prism
SERVER_ARGUMENTS = {"dry_run", "confirm_token", "fields", "max_items"}  # the server's own, never sent upstream


def contract_arguments(name: str, schema: dict) -> dict:
    """The first of these that our own validation accepts: required fields only; every field
    (for "at least one field" rules); every field but one (for rules such as "if category is 0,
    give no instruction"). All built from the inputSchema as listed (shared shapes followed to
    where the list spells them out); nothing is sent while searching."""
    op = load_operations()[name]
    schema = {**schema, "properties": {k: v for k, v in schema["properties"].items() if k not in SERVER_ARGUMENTS}}
    full = arguments_for(schema, full=True)
    candidates = [arguments_for(schema), full]
    candidates += [{k: v for k, v in full.items() if k != drop} for drop in full]
    for args in candidates:
        try:
            prepare(op, args)
            return args
        except InvalidArguments:
            continue
    return candidates[0]


def violations(exchange) -> list:
    header = exchange.headers.get("sl-violations")
    return [v for v in json.loads(header) if v.get("location", [""])[0] != "response"] if header else []


def test_every_tool_sends_a_request_prism_accepts(prism_url: str) -> None:
    names = sorted(load_operations())
    transport = RecordingTransport()
    failures: list[str] = []

    async def run() -> None:
        settings = Settings(api_key="contract-key", confirm="off")
        runtime = build_runtime(settings)
        runtime.client = InstantlyClient(base_url=prism_url, api_key="contract-key", transport=transport, max_retries=0)
        async with Client(build_server(settings, runtime), mode="legacy") as client:
            listed = resolve_shared({tool.name: tool.input_schema for tool in (await client.list_tools()).tools})
            for name in names:
                before = len(transport.exchanges)
                args = contract_arguments(name, listed[name])
                result = await client.call_tool(name, args)
                sent = transport.exchanges[before:]
                if len(sent) != 1:
                    failures.append(f"{name}: {len(sent)} requests sent; result: {result.content[0].text[:200]}")
                    continue
                exchange = sent[0]
                if exchange.status in (400, 404, 405, 415, 422) or violations(exchange):
                    failures.append(
                        f"{name}: {exchange.method} {exchange.url} -> {exchange.status} {violations(exchange)}"
                    )
                elif result.is_error:
                    failures.append(
                        f"{name}: error result for status {exchange.status}: {result.content[0].text[:200]}"
                    )
        await runtime.client.aclose()

    anyio.run(run)
    accepted = len(names) - len(failures)
    print(f"\ncontract: {accepted}/{len(names)} tools sent a request Prism accepts")
    assert not failures, "\n".join(failures)
