"""The call pipeline end to end: validation before sending, upstream errors, retries only where safe."""

from __future__ import annotations

import time

import anyio
import pytest

from support.mcp_session import mcp_client, payload


def call(sandbox, name: str, args: dict, **options):
    async def run():
        async with mcp_client(sandbox.url, **options) as mcp:
            return await mcp.call_tool(name, args)

    return anyio.run(run)


@pytest.mark.parametrize(
    ("name", "args", "names"),
    [
        ("list_block_list_entries", {"limit": "ten"}, ["limit", "integer"]),
        ("list_block_list_entries", {"limit": 500}, ["limit", "<= 100"]),
        ("create_block_list_entry", {}, ["bl_value", "required"]),
        (
            "create_block_list_entry",
            {"bl_value": "x.test", "colour": "red"},
            ["colour", "unknown argument", "bl_value"],
        ),
        ("update_block_list_entry", {"id": "0190c0de-0000-7000-8000-00000000b001"}, ["at least one field", "bl_value"]),
        (
            "reply_to_email",
            {
                "eaccount": "a@b.test",
                "reply_to_uuid": "x",
                "subject": "s",
                "body": {"text": "t"},
                "reminder_ts": "tomorrow",
            },
            ["reminder_ts", "date-time"],
        ),
        ("delete_leads", {}, ["campaign_id", "list_id"]),
    ],
)
def test_invalid_arguments_name_the_field_and_send_nothing(sandbox, name, args, names) -> None:
    result = call(sandbox, name, args)
    text = result.content[0].text
    assert result.is_error
    assert "nothing was sent" in text
    for word in names:
        assert word in text, (word, text)
    assert sandbox.requests() == []


def test_upstream_errors_say_what_to_do(sandbox) -> None:
    missing = call(sandbox, "get_campaign", {"id": "0190c0de-0000-7000-8000-0000000000ff"})
    assert missing.is_error and "404" in missing.content[0].text and "id" in missing.content[0].text
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "kind": "status", "status": 403}])
    forbidden = call(sandbox, "list_campaigns", {})
    assert forbidden.is_error and "campaigns:read" in forbidden.content[0].text
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "kind": "status", "status": 401}])
    unauthorized = call(sandbox, "list_campaigns", {})
    assert unauthorized.is_error and "INSTANTLY_API_KEY" in unauthorized.content[0].text


def test_safe_request_is_retried_after_503(sandbox) -> None:
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "method": "GET", "kind": "status", "status": 503, "times": 2}])
    result = call(sandbox, "list_campaigns", {"limit": 1}, backoff_base=0.01, backoff_cap=0.05)
    assert not result.is_error, result.content[0].text
    assert [r["status"] for r in sandbox.requests()] == [503, 503, 200]


def test_create_that_times_out_is_not_sent_again(sandbox) -> None:
    sandbox.faults(
        [{"path_prefix": "/api/v2/block-lists-entries", "method": "POST", "kind": "latency", "delay_s": 2.0}]
    )
    result = call(sandbox, "create_block_list_entry", {"bl_value": "slow.test"}, timeout=0.5, backoff_base=0.01)
    assert result.is_error
    assert "check whether it took effect" in result.content[0].text or "may have" in result.content[0].text
    deadline = time.monotonic() + 30  # the sandbox logs the slow POST once it has finished it
    while not (posts := [r for r in sandbox.requests() if r["method"] == "POST"]):
        assert time.monotonic() < deadline, "the sandbox never logged the POST"
        time.sleep(0.05)
    assert len(posts) == 1  # the call has returned: no retry can follow


def test_create_rejected_by_429_is_retried(sandbox) -> None:
    sandbox.faults(
        [
            {
                "path_prefix": "/api/v2/block-lists-entries",
                "method": "POST",
                "kind": "status",
                "status": 429,
                "retry_after": 0,
                "times": 1,
            }
        ]
    )
    result = call(sandbox, "create_block_list_entry", {"bl_value": "later.test"}, backoff_base=0.01)
    created = payload(result)
    assert created["bl_value"] == "later.test"
    assert [r["status"] for r in sandbox.requests()] == [429, 200]


def test_key_appears_in_no_error_or_result(sandbox) -> None:
    key = "sk-live-secret-7d1e2b"
    sandbox.faults([{"path_prefix": "/api/v2/campaigns", "kind": "status", "status": 500}])
    texts = [
        call(sandbox, "list_campaigns", {}, api_key=key).content[0].text,
        call(sandbox, "get_lead", {"id": "nope"}, api_key=key).content[0].text,
        call(sandbox, "create_block_list_entry", {"bl_value": 3}, api_key=key).content[0].text,
    ]
    assert all(key not in text for text in texts)
