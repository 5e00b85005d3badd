"""Issue 15, item 4: Instantly answers DELETE /emails/{id} with a 500 although the email is deleted. After a
doubtful answer to a delete (5xx, or 404 on a retry) the server asks the matching get: a 404 there means the
delete happened, and the agent is told so; an item still there keeps the error. Through the SDK client against
the sandbox, whose fault rule `after` deletes first and answers 500."""

from __future__ import annotations

import json
from typing import Any

import anyio

from instantly_mcp.sandbox.faults import FaultRule

from support.servers import policy_server, text


def delete_first_email(fault: dict[str, Any]) -> tuple[Any, list[tuple[str, int | None]], bool]:
    async def run() -> tuple[Any, list[tuple[str, int | None]], bool]:
        async with policy_server(confirm="off") as server:
            email_id = (await server.data("list_emails", {"limit": 1}))["items"][0]["id"]
            server.app.state.sandbox.faults.replace(
                [FaultRule(**{"path_prefix": f"/api/v2/emails/{email_id}", "method": "DELETE", **fault})]
            )
            result = await server.call("delete_email", {"id": email_id})
            server.app.state.sandbox.faults.replace([])
            still_there = not (await server.call("get_email", {"id": email_id})).is_error
            log = [(r["method"], r.get("status")) for r in server.received if r["path"].endswith(email_id)]
            return result, log, still_there

    return anyio.run(run)


def test_a_500_after_the_delete_happened_is_reported_as_deleted() -> None:
    result, log, still_there = delete_first_email({"status": 500, "after": True, "times": 1})
    assert not result.is_error, text(result)
    answer = json.loads(text(result))
    # The first attempt deleted it and answered 500; the client's retry got 404; the check confirms it.
    assert answer["deleted"] is True and "HTTP 404 after 2 attempts" in answer["message"]
    assert "get_email now answers 404" in answer["message"]
    assert not still_there
    assert log[:2] == [("DELETE", 500), ("DELETE", 404)] and ("GET", 404) in log


def test_a_500_when_nothing_was_deleted_stays_an_error() -> None:
    result, log, still_there = delete_first_email({"status": 500})
    assert result.is_error and "500" in text(result)
    assert still_there
    assert ("GET", 200) in log


def test_a_500_without_retries_is_checked_too() -> None:
    result, log, _ = delete_first_email({"status": 500, "after": True})
    answer = json.loads(text(result))
    assert answer["deleted"] is True and "get_email now answers 404" in answer["message"]
    assert next(entry for entry in log if entry[0] == "DELETE") == ("DELETE", 500)
