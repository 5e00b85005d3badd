"""Confirmation of destructive and outbound calls: HMAC tokens and elicitation on both protocol generations.

A token binds a confirmation to one tool, its exact validated arguments, the API key in use and an
expiry, so it needs no server-side session: any replica holding the same secret can check it.
The same token rides the 2026-07-28 `request_state`, which keeps elicitation stateless too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import mcp_types as types
from mcp_types.version import is_version_at_least

from instantly_mcp.errors import ConfirmationError

TOKEN_TTL_S = 300
TOKEN_VERSION = "v1"
INPUT_REQUIRED_VERSION = "2026-07-28"
FORM_ELICITATION_VERSION = "2025-06-18"
URL_ELICITATION_VERSION = "2025-11-25"
ELICIT_KEY = "confirm"

# The one form a token is accepted in: ASCII digits without a leading zero, the MAC as minted.
TOKEN_FORM = re.compile(re.escape(TOKEN_VERSION) + r"\.([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{43})", re.ASCII)
MAX_TOKEN_CHARS = 80

Purpose = Literal["token", "elicit"]
Channel = Literal["inline", "input_required", "url", "page", "token"]
Answer = Literal["accept", "unconfirmed", "decline", "cancel"]

CONFIRM_FORM: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {
            "type": "boolean",
            "title": "Yes, do it",
            "description": "Tick to go ahead; anything else sends nothing.",
            "default": False,
        }
    },
    "required": ["confirm"],
}


@cache
def process_secret() -> bytes:
    """Used when INSTANTLY_MCP_SECRET is unset: tokens then work only within this process."""
    return secrets.token_bytes(32)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass
class TokenSigner:
    """Mints and checks confirmation tokens: `v1.<expiry>.<mac>`.

    The MAC covers the purpose too, so the `request_state` of an elicitation (which a client
    handles, not the agent) cannot be passed off as a `confirm_token`, nor the other way round.
    A token confirms one call: once used, this process refuses it (keyed on its MAC, so no other
    spelling of the same token passes); other replicas cannot know, which is the price of needing
    no shared store.
    """

    secret: bytes = field(repr=False)
    clock: Callable[[], float] = time.time
    ttl_s: int = TOKEN_TTL_S
    _used: dict[str, float] = field(default_factory=dict, repr=False)

    def mint(self, purpose: Purpose, tool: str, arguments: Mapping[str, Any], fingerprint: str) -> str:
        expiry = int(self.clock()) + self.ttl_s
        return f"{TOKEN_VERSION}.{expiry}.{self._mac(purpose, tool, arguments, fingerprint, expiry)}"

    def redeem(self, token: str, purpose: Purpose, tool: str, arguments: Mapping[str, Any], fingerprint: str) -> None:
        """Accept the token for exactly this call and mark it used, or raise ConfirmationError."""
        expiry, mac = self.check(token, purpose, tool, arguments, fingerprint)
        now = self.clock()
        self._used = {m: exp for m, exp in self._used.items() if exp > now}
        self._used[mac] = float(expiry)

    def check(
        self, token: str, purpose: Purpose, tool: str, arguments: Mapping[str, Any], fingerprint: str
    ) -> tuple[int, str]:
        """(expiry, MAC) of a token that confirms this call; ConfirmationError for anything else."""
        expiry, mac = parse_token(token)
        expected = self._mac(purpose, tool, arguments, fingerprint, expiry)
        if not hmac.compare_digest(expected, mac):
            raise ConfirmationError(
                "it was issued for a different call: the arguments, the tool or the API key differ "
                "(or another server with a different INSTANTLY_MCP_SECRET issued it)"
            )
        now = self.clock()
        if now >= expiry:
            raise ConfirmationError(f"it expired {int(now - expiry)} s ago (tokens last {self.ttl_s} s)")
        if mac in self._used:
            raise ConfirmationError("it was already used; one confirmation covers one call")
        return expiry, mac

    def _mac(self, purpose: Purpose, tool: str, arguments: Mapping[str, Any], fingerprint: str, expiry: int) -> str:
        message = canonical_json([TOKEN_VERSION, purpose, tool, dict(arguments), fingerprint, expiry])
        digest = hmac.new(self.secret, message.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def parse_token(token: Any) -> tuple[int, str]:
    """(expiry, MAC) of a token in its one canonical form; ConfirmationError for any other text."""
    match = TOKEN_FORM.fullmatch(token) if isinstance(token, str) and len(token) <= MAX_TOKEN_CHARS else None
    if match is None:
        raise ConfirmationError("it is not a confirmation token this server issued")
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Caller:
    """What the gate needs to know about the MCP client behind one tools/call."""

    protocol_version: str | None
    capabilities: types.ClientCapabilities | None
    can_send_request: bool
    elicit: Callable[[str], Awaitable[types.ElicitResult]]
    input_responses: Mapping[str, Any] | None = None
    request_state: str | None = None
    elicit_url: Callable[[str, str, str], Awaitable[types.ElicitResult]] | None = None
    tenant: str = ""


def channel_for(mode: str, caller: Caller, *, pages: bool) -> Channel | None:
    """How to ask, per --confirm mode: a form elicitation where the protocol and the client allow
    it (auto, human, elicit); else a URL elicitation to the approval page, else the page itself
    (auto, human); else the agent-visible token (auto, token). None: no channel this mode accepts.
    """
    if mode == "token":
        return "token"
    if can_elicit(caller.capabilities, caller.protocol_version):
        if uses_input_required(caller.protocol_version):
            return "input_required"
        if caller.can_send_request:
            return "inline"
    if mode in ("auto", "human") and pages:
        if can_elicit_url(caller.capabilities, caller.protocol_version) and caller.can_send_request:
            return "url"
        return "page"
    return "token" if mode == "auto" else None


def can_elicit(capabilities: types.ClientCapabilities | None, protocol_version: str | None) -> bool:
    """Form elicitation declared on a protocol that has it; a bare `elicitation: {}` (the only shape
    before modes) counts. 2024-11-05 and 2025-03-26 define no elicitation at all."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    declared = elicitation is not None and (elicitation.form is not None or elicitation.url is None)
    return declared and protocol_version is not None and is_version_at_least(protocol_version, FORM_ELICITATION_VERSION)


def can_elicit_url(capabilities: types.ClientCapabilities | None, protocol_version: str | None) -> bool:
    """URL elicitation: declared, on 2025-11-25, the one handshake revision that sends it as elicitation/create."""
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and elicitation.url is not None and protocol_version == URL_ELICITATION_VERSION


def uses_input_required(protocol_version: str | None) -> bool:
    """2026-07-28 and later elicit by returning InputRequiredResult; earlier revisions send elicitation/create."""
    return protocol_version is not None and is_version_at_least(protocol_version, INPUT_REQUIRED_VERSION)


def elicit_request(message: str) -> types.ElicitRequest:
    return types.ElicitRequest(params=types.ElicitRequestFormParams(message=message, requested_schema=CONFIRM_FORM))


def answer_of(result: types.ElicitResult) -> Answer:
    """Accept counts only with the box ticked, so a form submitted with its defaults sends nothing
    (and is reported as not confirmed: the person may have meant yes and missed the box)."""
    if result.action == "accept":
        return "accept" if (result.content or {}).get("confirm") is True else "unconfirmed"
    return result.action


def answer_from_responses(responses: Mapping[str, Any] | None) -> Answer | None:
    response = (responses or {}).get(ELICIT_KEY)
    return answer_of(response) if isinstance(response, types.ElicitResult) else None


def confirmation_required(tool: str, summary: str, token: str, ttl_s: int) -> dict[str, Any]:
    return {
        "status": "confirmation_required",
        "summary": summary,
        "confirm_token": token,
        "expires_in_s": ttl_s,
        "next": (
            f"Nothing was sent. Show the summary to the user; only if they agree, call {tool} again "
            "with the same arguments plus confirm_token."
        ),
    }
