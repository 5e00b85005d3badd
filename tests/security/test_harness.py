"""The harness itself: both transports reach the sandbox, and a refused call leaves one audit line."""

from __future__ import annotations

import anyio

from security.conftest import Target, nothing_sent, one_audit_line, text


def test_both_transports_reach_the_sandbox_and_audit(target: Target) -> None:
    async def run() -> tuple[bool, str]:
        async with target.connect("--confirm", "token") as client:
            read = await client.call_tool("list_campaigns", {"limit": 1})
            assert not read.is_error, text(read)
            assert [r["path"] for r in target.sandbox.requests()] == ["/api/v2/campaigns"]
            target.sandbox.reset()
            lead = "0190c0de-0000-7000-8000-00000000a001"
            refused = await client.call_tool("delete_lead", {"id": lead, "confirm_token": "v1.1.nope"})
            return refused.is_error, text(refused)

    is_error, message = anyio.run(run)
    assert is_error and "Nothing was sent" in message
    assert nothing_sent(target.sandbox)
    line = one_audit_line(target.audit_path)
    assert line["tool"] == "delete_lead" and line["decision"] == "refused"
