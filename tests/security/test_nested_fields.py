"""Issue 10, finding 9: an unknown field inside a nested object the spec closes (body.bcc and
body.attachments of send_test_email) is refused by name, through the SDK client over stdio and
streamable HTTP; the sandbox receives nothing, not even with dry_run or with confirmation off."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest
from mcp import Client

from support.real_clients import TRANSPORTS, http, http_process, stdio
from support.sandbox_http import SandboxProcess

SMUGGLED = {"bcc": "spy@evil.example", "attachments": [{"name": "x.exe", "content": "TVqQ"}]}


def smuggling_arguments() -> dict:
    return {
        "eaccount": "sender@example.com",
        "to_address_email_list": "me@example.com",
        "subject": "Hello",
        "body": {"html": "<p>hi</p>", **SMUGGLED},
    }


async def attempts(client: Client) -> list[tuple[bool, str]]:
    seen = []
    for extra in ({}, {"dry_run": True}):
        result = await client.call_tool("send_test_email", {**smuggling_arguments(), **extra})
        seen.append((bool(result.is_error), result.content[0].text))
    return seen


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_unknown_nested_fields_are_refused_and_nothing_is_sent(
    transport: str, sandbox: SandboxProcess, tmp_path: Path
) -> None:
    audit = tmp_path / "audit.jsonl"
    env = {"INSTANTLY_CONFIRM": "off", "INSTANTLY_AUDIT_LOG": str(audit)}

    async def over_stdio() -> list[tuple[bool, str]]:
        async with stdio(sandbox.url, **env) as client:
            return await attempts(client)

    async def over_http(url: str) -> list[tuple[bool, str]]:
        async with http(url) as client:
            return await attempts(client)

    if transport == "stdio":
        seen = anyio.run(over_stdio)
    else:
        with http_process(tmp_path, sandbox.url, **env) as server:
            seen = anyio.run(over_http, server.url)
    for is_error, text in seen:
        assert is_error, text
        assert "nothing was sent" in text
        assert "body.bcc: unknown argument" in text and "body.attachments: unknown argument" in text
    assert sandbox.requests() == []
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert [(line["tool"], line["decision"], line["status"]) for line in lines] == [
        ("send_test_email", "invalid", None)
    ] * 2
