"""The human channel: how a gated call gets a person's answer, and how that answer is redeemed.

Form elicitation in the call, InputRequiredResult on a 2026-07-28 client, URL elicitation or an
approval page, or (--confirm token) a signed token the agent passes back; then redeeming the token,
the elicitation state or the approval id for exactly this call. Policy.decide calls `confirm` for a
tool call and code mode calls `approve` for a script's gated calls; None lets the call through, an
Outcome stops it (asked, declined or refused).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import mcp_types as types
from mcp.shared.exceptions import MCPError

from instantly_mcp import metrics
from instantly_mcp.calls.pipeline import PreparedCall, error_result
from instantly_mcp.config import ConfirmMode
from instantly_mcp.errors import ApprovalRefused, ConfirmationError, StoreUnavailable, TargetNotFound
from instantly_mcp.gates import activation
from instantly_mcp.gates.approvals import Approval, ApprovalDesk, ApprovalItem
from instantly_mcp.gates.audit import Decision
from instantly_mcp.gates.confirm import (
    ELICIT_KEY,
    Answer,
    Caller,
    Purpose,
    TokenSigner,
    answer_from_responses,
    answer_of,
    channel_for,
    confirmation_required,
    elicit_request,
)
from instantly_mcp.gates.controls import Controls, dry_run_payload, json_result
from instantly_mcp.gates.summaries import Lookup, summarize
from instantly_mcp.redaction import scrub_text
from instantly_mcp.upstream.client import Requester

if TYPE_CHECKING:
    from instantly_mcp.gates.autonomy import Ruling
    from instantly_mcp.gates.redis_stores import RedisUsedTokens


@dataclass(frozen=True)
class Outcome:
    result: types.CallToolResult | types.InputRequiredResult
    decision: Decision
    status: int | None = None
    ruling: Ruling | None = None  # the autonomy policy's, for the audit line


class HumanChannel:
    """Asks a person and redeems the answer; one per server, shared by every session."""

    def __init__(
        self,
        *,
        confirm_mode: ConfirmMode,
        confirm_timeout_s: float,
        tokens: TokenSigner,
        used_tokens: RedisUsedTokens | None,
        desk: ApprovalDesk | None,
        discover: bool = False,
    ) -> None:
        self.confirm_mode = confirm_mode
        self.confirm_timeout_s = confirm_timeout_s
        self.tokens = tokens
        self.used_tokens = used_tokens
        self.desk = desk
        # How an answer names the repeat of a call: in discover mode only call_tool reaches the tool.
        self.spelled: Callable[[str], str] = call_tool_spelling if discover else str
        # Set by the policy: the lookups it allows, and the question a person reads about a call.
        self.lookup: Callable[[Requester], Lookup] = lambda client: _no_lookup
        self.summary: Callable[[PreparedCall, Requester, str, str], Awaitable[str]] = _plain_summary

    async def confirm(
        self,
        caller: Caller,
        call: PreparedCall,
        controls: Controls,
        client: Requester,
        fingerprint: str,
        why: str = "",
    ) -> Outcome | None:
        """None lets the call through; an Outcome stops it (asked, declined or refused). Refused,
        too, when the shared store that must check the confirmation is unreachable (fail closed).
        `why`: the policy's reason for asking (a counter), added to what the person reads."""
        try:
            stop = await self.ask_or_redeem(caller, call, controls, client, fingerprint, why)
        except StoreUnavailable as exc:
            stop = store_unavailable(call.op.name, exc)
        metrics.confirmation(confirmation_event(stop))
        return stop

    async def ask_or_redeem(
        self, caller: Caller, call: PreparedCall, controls: Controls, client: Requester, fingerprint: str, why: str
    ) -> Outcome | None:
        op = call.op
        if controls.token is not None:
            return await self.redeem(controls.token, "token", call, fingerprint)
        if controls.approval_id is not None:
            return await self.redeem_approval(controls.approval_id, caller, call, fingerprint)
        if caller.request_state is not None:
            refused = await self.redeem(caller.request_state, "elicit", call, fingerprint)
            return refused or self.answered(call, answer_from_responses(caller.input_responses))
        channel = channel_for(self.confirm_mode, caller, pages=self.desk is not None and self.desk.base_url is not None)
        if channel is None:
            return Outcome(error_result(no_channel_message(op.name, self.confirm_mode)), "refused")
        try:
            summary = scrub_text(await self.summary(call, client, fingerprint, caller.tenant))
            summary += f" (Asked because {why}.)" if why else ""
        except TargetNotFound as exc:
            return Outcome(
                error_result(f"{op.name} cannot succeed, so nobody was asked: {exc} Nothing was sent."), "refused"
            )
        if channel == "token":
            minted = self.tokens.mint("token", op.name, call.arguments, fingerprint)
            body = confirmation_required(self.spelled(op.name), summary, minted, self.tokens.ttl_s)
            return Outcome(json_result(body), "confirmation_required")
        if channel == "input_required":
            state = self.tokens.mint("elicit", op.name, call.arguments, fingerprint)
            asked = types.InputRequiredResult(input_requests={ELICIT_KEY: elicit_request(summary)}, request_state=state)
            return Outcome(asked, "confirmation_required")
        if channel == "inline":
            return await self.elicit_inline(caller, call, summary)
        assert self.desk is not None
        approval = await self.desk.open([await self.item_for(call, summary, client)], fingerprint, caller.tenant)
        if channel == "url":
            return await self.elicit_url(caller, call, approval, summary)
        return Outcome(
            json_result(approval_required(self.spelled(op.name), summary, self.desk.url(approval), approval)),
            "confirmation_required",
        )

    async def elicit_inline(self, caller: Caller, call: PreparedCall, summary: str) -> Outcome | None:
        """elicitation/create in the call, answered within --confirm-timeout or refused."""
        name = call.op.name
        try:
            with anyio.fail_after(self.confirm_timeout_s):
                answer = answer_of(await caller.elicit(summary))
        except MCPError as exc:
            return Outcome(
                error_result(f"Could not ask the user to confirm {name} ({exc}). Nothing was sent."), "refused"
            )
        except TimeoutError:
            message = f"No answer to the confirmation of {name} within {self.confirm_timeout_s:g} s. Nothing was sent."
            return Outcome(error_result(message), "refused")
        return self.answered(call, answer)

    async def approve(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        *,
        fingerprint: str = "",
        plan: str | None = None,
        approval_id: str | None = None,
        why: str = "",
    ) -> Outcome | None:
        """`ask_approval`, refused (fail closed) when the shared store is unreachable. `why`: the
        autonomy policy's reason for asking about a script's one call, added to the question."""
        try:
            stop = await self.ask_approval(caller, calls, client, fingerprint, plan, approval_id, why)
        except StoreUnavailable as exc:
            stop = store_unavailable("run_code", exc)
        metrics.confirmation(confirmation_event(stop))
        return stop

    async def ask_approval(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        fingerprint: str,
        plan: str | None,
        approval_id: str | None,
        why: str = "",
    ) -> Outcome | None:
        """Get a person's approval for these gated calls, each named: the one way code mode asks.

        None lets them through. A client that elicits while the request waits is asked at once (a
        script pauses at the call). Otherwise the whole `plan` (the script's sha256 and its gated
        calls) is put to a person once: a 2026-07-28 client by InputRequiredResult, whose
        request_state binds the script, the exact calls and the key; a client without elicitation on
        the approval page, redeemed call by call with `approval_id` on the retry. Tokens are never
        offered to scripts: the agent would hold them.
        """
        names = ", ".join(c.op.name for c in calls)
        channel = channel_for("elicit", caller, pages=False)
        if channel == "input_required" and plan is not None:
            binding = {"script": plan, "calls": [[c.op.name, c.arguments] for c in calls]}
            if caller.request_state is not None:
                try:
                    await self.claim(caller.request_state, "elicit", "run_code", binding, fingerprint)
                except ConfirmationError as exc:
                    message = f"run_code refused: the answer does not approve these calls ({exc}). Nothing was sent."
                    return Outcome(error_result(message), "refused")
                return self.answered(calls[0], answer_from_responses(caller.input_responses))
        elif channel != "inline":
            if plan is not None and self.desk is not None and self.desk.base_url is not None:
                return await self.approve_on_page(caller, calls, client, fingerprint, approval_id)
            message = (
                f"{names} needs a person's approval, and a script can ask only through MCP form elicitation "
                "or the approval pages, neither of which is available here. Nothing was sent."
            )
            return Outcome(error_result(message), "refused")
        try:
            summaries = [await self.summary(c, client, fingerprint, caller.tenant) for c in calls]
        except TargetNotFound as exc:
            message = f"{names} cannot succeed, so nobody was asked: {exc} Nothing was sent."
            return Outcome(error_result(message), "refused")
        question = summaries[0] if len(summaries) == 1 else "\n".join(["Approve all of these?", *summaries])
        question += f" (Asked because {why}.)" if why else ""
        if channel == "input_required":
            state = self.tokens.mint("elicit", "run_code", binding, fingerprint)
            asked = types.InputRequiredResult(
                input_requests={ELICIT_KEY: elicit_request(question)}, request_state=state
            )
            return Outcome(asked, "confirmation_required")
        try:
            answer = answer_of(await caller.elicit(question))
        except MCPError as exc:
            message = f"Could not ask the user to approve {names} ({exc}). Nothing was sent."
            return Outcome(error_result(message), "refused")
        return self.answered(calls[0], answer)

    async def approve_on_page(
        self,
        caller: Caller,
        calls: Sequence[PreparedCall],
        client: Requester,
        fingerprint: str,
        approval_id: str | None,
    ) -> Outcome | None:
        """A script's gated calls on one approval page; the retry with approval_id redeems each of them."""
        assert self.desk is not None
        if approval_id is not None:
            for call in calls:  # one status for the whole approval: all pass, or the first answer stops
                stop = await self.redeem_approval(approval_id, caller, call, fingerprint)
                if stop is not None:
                    return stop
            return None
        try:
            summaries = [await self.summary(c, client, fingerprint, caller.tenant) for c in calls]
            items = [await self.item_for(c, summary, client) for c, summary in zip(calls, summaries, strict=True)]
        except TargetNotFound as exc:
            message = f"A call cannot succeed, so nobody was asked: {exc} Nothing was sent."
            return Outcome(error_result(message), "refused")
        approval = await self.desk.open(items, fingerprint, caller.tenant)
        summary = "\n".join(item.summary for item in items)
        body = approval_required("run_code", summary, self.desk.url(approval), approval)
        body["next"] = (
            "Nothing was sent. Show the user this URL; a person approves or denies these calls there. Then call "
            "run_code again with the same code plus approval_id: it runs once approved."
        )
        return Outcome(json_result(body), "confirmation_required")

    async def elicit_url(self, caller: Caller, call: PreparedCall, approval: Approval, summary: str) -> Outcome | None:
        """Ask the client to open the approval page, then continue the same call once the person
        decided; without a decision in time, answer as the page channel does (the approval stays open)."""
        assert self.desk is not None and caller.elicit_url is not None
        url = self.desk.url(approval)
        body = approval_required(self.spelled(call.op.name), summary, url, approval)
        waiting = Outcome(json_result(body), "confirmation_required")
        try:
            with anyio.fail_after(self.confirm_timeout_s):
                opened = await caller.elicit_url(f"Approve or deny: {summary}", url, approval.id)
        except (MCPError, TimeoutError):
            return waiting
        if opened.action != "accept":
            await self.desk.store.decide(approval.id, "deny")
            return self.answered(call, "decline" if opened.action == "decline" else "cancel")
        decided = await self.desk.wait(approval, self.confirm_timeout_s)
        if decided.status == "pending":
            return waiting
        return await self.redeem_approval(approval.id, caller, call, approval.fingerprint)

    async def item_for(self, call: PreparedCall, summary: str, client: Requester) -> ApprovalItem:
        """What the approval page shows of the call; its module is imported with the first approval."""
        from instantly_mcp.gates.approval_items import approval_item, reply_recipient

        return approval_item(call, summary, dry_run_payload(call), await reply_recipient(call, self.lookup(client)))

    async def redeem_approval(
        self, approval_id: str, caller: Caller, call: PreparedCall, fingerprint: str
    ) -> Outcome | None:
        name = call.op.name
        if self.desk is None:
            return Outcome(
                error_result(f"{name} refused: this server serves no approvals. Nothing was sent."), "refused"
            )
        try:
            redeemed = await self.desk.redeem(approval_id, name, call.arguments, fingerprint, caller.tenant)
        except ApprovalRefused as exc:
            message = (
                f"{name} refused: approval_id does not approve this call, because {exc}.{changed_since(call)} "
                "Nothing was sent. "
                f"Call {self.spelled(name)} again without approval_id to ask for a new approval."
            )
            return Outcome(error_result(message), "refused")
        if redeemed.status == "approved":
            return None
        if redeemed.status == "denied":
            return self.answered(call, "decline")
        body = approval_required(
            self.spelled(name), redeemed.approval.items[0].summary, self.desk.url(redeemed.approval), redeemed.approval
        )
        return Outcome(json_result({**body, "status": "approval_pending"}), "confirmation_required")

    async def redeem(self, token: str, purpose: Purpose, call: PreparedCall, fingerprint: str) -> Outcome | None:
        try:
            await self.claim(token, purpose, call.op.name, call.arguments, fingerprint)
        except ConfirmationError as exc:
            what = "confirm_token" if purpose == "token" else "the confirmation answer"
            message = (
                f"{call.op.name} refused: {what} does not confirm this call, because {exc}.{changed_since(call)} "
                f"Nothing was sent. Call {self.spelled(call.op.name)} again without confirm_token to get a new "
                "confirmation."
            )
            return Outcome(error_result(message), "refused")
        return None

    async def claim(self, token: str, purpose: Purpose, name: str, arguments: Any, fingerprint: str) -> None:
        """Check the token here, then mark it used in Redis too, so no other replica accepts it again."""
        self.tokens.redeem(token, purpose, name, arguments, fingerprint)
        if self.used_tokens is not None and not await self.used_tokens.claim(token, float(token.split(".")[1])):
            raise ConfirmationError("it was already used (on another replica); one confirmation covers one call")

    def answered(self, call: PreparedCall, answer: Answer | None) -> Outcome | None:
        if answer == "accept":
            return None
        if answer is None:
            return Outcome(
                error_result(
                    f"{call.op.name} refused: the retry carried no answer to the confirmation. Nothing was sent."
                ),
                "refused",
            )
        if answer == "unconfirmed":
            status = "not_confirmed"
            message = (
                f"The user submitted the form without ticking its confirm box, so {call.op.name} was not confirmed; "
                "nothing was sent to Instantly. Ask the user whether they want it; if so, call it again and they "
                "tick the box."
            )
        else:
            status = "declined" if answer == "decline" else "cancelled"
            message = (
                f"The user {status} {call.op.name}; nothing was sent to Instantly. Do not retry unless the user asks."
            )
        body = {"status": status, "sent": False, "message": message}
        return Outcome(json_result(body), "declined")


async def _no_lookup(name: str, arguments: dict[str, Any]) -> Any:
    return None


async def _plain_summary(call: PreparedCall, client: Requester, fingerprint: str, tenant: str) -> str:
    return await summarize(call.op, call.arguments, _no_lookup, undocumented=call.undocumented)


def confirmation_event(stop: Outcome | None) -> str:
    """What a confirmation step amounted to, for the metrics: asked, approved, denied, expired or refused."""
    if stop is None:
        return "approved"
    if stop.decision in ("confirmation_required", "declined"):
        return "asked" if stop.decision == "confirmation_required" else "denied"
    texts = [c.text for c in getattr(stop.result, "content", []) if isinstance(c, types.TextContent)]
    return "expired" if any("because it expired" in text for text in texts) else "refused"


def store_unavailable(name: str, exc: StoreUnavailable) -> Outcome:
    message = (
        f"{name} refused: confirmations cannot be checked right now, because {exc}, and this server's replicas "
        "share their confirmations and approvals there. Nothing was sent. Try again once the operator has Redis back."
    )
    return Outcome(error_result(message), "refused")


def changed_since(call: PreparedCall) -> str:
    if activation.CONTENT not in call.arguments:
        return ""
    return " Its content may have changed since the person was asked: what they approved is not what it would send."


def no_channel_message(tool: str, mode: str) -> str:
    if mode == "human":
        return (
            f"{tool} needs a person's approval, and this server (--confirm human) found no channel to ask one: "
            "this client declared no elicitation and no approval pages are served. Nothing was sent. Serve them with "
            "--transport http (pages at /approvals) or --approvals-port N on stdio, or use a client with elicitation."
        )
    return (
        f"{tool} needs the user's confirmation, and this server asks through MCP elicitation "
        "(--confirm elicit), which this client did not declare. Nothing was sent. Use a client that "
        "supports elicitation, or start the server with --confirm token."
    )


def call_tool_spelling(tool: str) -> str:
    return f'call_tool(name="{tool}", arguments={{...}})'


def approval_required(tool: str, summary: str, url: str, approval: Approval) -> dict[str, Any]:
    return {
        "status": "approval_required",
        "summary": summary,
        "approval_url": url,
        "approval_id": approval.id,
        "expires_at": int(approval.expires),
        "next": (
            f"Nothing was sent. Show the user this URL; a person approves or denies there. Then call {tool} again "
            "with the same arguments plus approval_id: it proceeds once approved, "
            "and says so if it was denied or expired."
        ),
    }
