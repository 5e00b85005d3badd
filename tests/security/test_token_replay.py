"""Finding 2: one confirmation, one call. Other spellings of an accepted token (leading zeros,
non-ASCII digits), replays, and malformed tokens are refused cleanly, each with one audit line;
the same holds for the 2026-07-28 request_state."""

from __future__ import annotations

import json
from typing import Any

import anyio
import mcp_types as types

from security.conftest import Target, audit_lines, text

from support.servers import Human

SEND = {
    "eaccount": "sender@ours.test",
    "to_address_email_list": "boss@ours.test",
    "subject": "Test",
    "body": {"html": "<p>hello</p>"},
}
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")  # noqa: RUF001 (the attack)


def spellings(token: str) -> list[str]:
    """Other texts the old parser took for the same token, and malformed ones that crashed it."""
    version, expiry, mac = token.split(".")
    return [
        f"{version}.0{expiry}.{mac}",
        f"{version}.00{expiry}.{mac}",
        f"{version}.{expiry.translate(ARABIC_INDIC)}.{mac}",
        f"{version}.{expiry.translate(FULLWIDTH)}.{mac}",
        f"{version}.{expiry}.{mac}.",
        f" {token}",
        f"{version}.².X",
        f"{version}.{'9' * 5000}.{mac}",
    ]


def sends(target: Target) -> list[dict[str, Any]]:
    return [r for r in target.sandbox.requests() if r["method"] == "POST"]


def test_confirm_token_confirms_exactly_one_call(target: Target) -> None:
    results: list[types.CallToolResult] = []

    async def run() -> str:
        async with target.connect("--confirm", "token") as client:
            asked = await client.call_tool("send_test_email", SEND)
            token = json.loads(text(asked))["confirm_token"]
            for variant in [*spellings(token), token, token, *spellings(token)]:
                results.append(await client.call_tool("send_test_email", {**SEND, "confirm_token": variant}))  # noqa: PERF401 (sequential calls, one at a time)
            return str(token)

    token = anyio.run(run)
    variants = len(spellings(token))
    errors = [r.is_error for r in results]
    assert errors == [True] * variants + [False, True] + [True] * variants
    assert "already used" in text(results[variants + 1])
    assert all("Nothing was sent" in text(r) and len(text(r)) < 1000 for r in results if r.is_error)
    assert len(sends(target)) == 1
    decisions = [line["decision"] for line in audit_lines(target.audit_path)]
    assert (
        decisions == ["confirmation_required"] + ["refused"] * variants + ["sent", "refused"] + ["refused"] * variants
    )


def test_request_state_confirms_exactly_one_call(target: Target) -> None:
    accept = {"confirm": types.ElicitResult(action="accept", content={"confirm": True})}
    results: list[Any] = []

    async def run() -> None:
        async with target.connect("--confirm", "elicit", mode="auto", elicitation_callback=Human()) as client:
            assert client.protocol_version == "2026-07-28"
            asked = await client.session.call_tool("send_test_email", SEND, allow_input_required=True)
            state = asked.request_state
            assert state is not None
            for variant in [state, state, *spellings(state)]:
                results.append(  # noqa: PERF401 (sequential calls, one at a time)
                    await client.session.call_tool(
                        "send_test_email",
                        SEND,
                        input_responses=accept,
                        request_state=variant,
                        allow_input_required=True,
                    )
                )

    anyio.run(run)
    assert [getattr(r, "is_error", None) for r in results] == [False] + [True] * (len(results) - 1)
    assert len(sends(target)) == 1
    decisions = [line["decision"] for line in audit_lines(target.audit_path)]
    assert decisions == ["confirmation_required", "sent"] + ["refused"] * (len(results) - 1)
