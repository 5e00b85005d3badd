"""Every error instantly-mcp raises, in one tree (after httpx's _exceptions.py).

    InstantlyMcpError
    ├── ConfigError              a setting is invalid; raised at start-up (also a ValueError)
    ├── InvalidArguments         a tool's arguments do not fit its schema; nothing was sent
    │   └── InputTooLarge        the arguments break a size limit (also a ValueError)
    ├── ConfirmationError        a confirm_token does not confirm this call
    ├── ApprovalRefused          an approval id does not let this call through
    ├── TargetNotFound           a gated call's target does not exist (a lookup answered 404)
    ├── LimitReached             a run_code script hit one of its limits
    ├── PromptError              an unknown prompt or a missing argument (also a ValueError)
    ├── StoreUnavailable         the shared store (Redis) cannot be reached
    ├── FormTooLarge             a form posted to the approval pages is over its size limit
    └── UpstreamError            Instantly gave no usable answer
        ├── ApiError             it answered with an HTTP error status
        └── TransportError       timeout, connection failure, malformed body

Catch `UpstreamError` for "the request did not succeed"; `InstantlyMcpError` for anything of ours.
The texts that tell an agent what to do next live in calls/advice.py; the sandbox's own HTTP error
is sandbox.errors.SandboxHttpError and is not part of this tree (it is the far side of the wire).
"""

from __future__ import annotations

from typing import Any


class InstantlyMcpError(Exception):
    """The base of every error this package raises on purpose."""


class ConfigError(InstantlyMcpError, ValueError):
    """A setting is invalid; raised at start-up, never ignored."""


class InvalidArguments(InstantlyMcpError):
    """The arguments do not fit the tool's model; the message names every field and the fix."""


class InputTooLarge(InvalidArguments, ValueError):
    """The arguments break a size limit; the message names the field and the limit."""


class ConfirmationError(InstantlyMcpError):
    """The token does not confirm this call; the message says why and what to do instead."""


class ApprovalRefused(InstantlyMcpError):
    """The approval id does not let this call through; the message says why."""


class TargetNotFound(InstantlyMcpError):
    """A lookup by id found nothing: the id is wrong (a name passed as an id, a thread id as an email id)."""

    def __init__(self, lookup: str, arguments: dict[str, Any], list_tool: str | None) -> None:
        ids = ", ".join(f"{k} {v!r}" for k, v in arguments.items())
        noun = lookup.removeprefix("get_").replace("_", " ")
        hint = f" Call {list_tool} to find the right id." if list_tool else ""
        super().__init__(f"Instantly has no {noun} with {ids} (it answered 404 to {lookup}).{hint}")


class LimitReached(InstantlyMcpError):
    """Raised into a run_code script; `Run.stopped` keeps it even if the script catches it."""


class PromptError(InstantlyMcpError, ValueError):
    """An unknown prompt or a missing required argument; the message says what is expected."""


class FormTooLarge(InstantlyMcpError):
    """A form posted to the approval pages is over its size limit (answered 413)."""


class StoreUnavailable(InstantlyMcpError):
    """The shared store cannot be reached: no approval or token can be checked, so gated calls are refused."""


class UpstreamError(InstantlyMcpError):
    """The request to Instantly did not succeed. `attempts` counts the HTTP requests actually sent;
    `retry_safe` whether repeating it cannot act twice."""

    attempts: int
    retry_safe: bool


class ApiError(UpstreamError):
    """Instantly answered with an HTTP error status.

    The client also raises it, without sending anything, with the status Instantly would have
    sent: 401 when no API key is configured, 429 when the local rate budget has no slot in time.
    """

    def __init__(
        self,
        status: int,
        error: str,
        message: str,
        *,
        retry_after: float | None = None,
        body: Any = None,
        attempts: int = 1,
        retry_safe: bool = False,
    ) -> None:
        super().__init__(status, error, message)
        self.status = status
        self.error = error
        self.message = message
        self.retry_after = retry_after
        self.body = body
        self.attempts = attempts
        self.retry_safe = retry_safe

    def __str__(self) -> str:
        return f"HTTP {self.status} {self.error}: {self.message}"

    def __repr__(self) -> str:
        return (
            f"ApiError(status={self.status}, error={self.error!r}, message={self.message!r}, "
            f"retry_after={self.retry_after!r}, attempts={self.attempts})"
        )


class TransportError(UpstreamError):
    """No usable HTTP answer: timeout, connection failure or reset, malformed body.

    `may_have_been_sent` says whether Instantly could have received (and acted on) the request;
    `transient` whether the same request could succeed later.
    """

    def __init__(
        self,
        reason: str,
        *,
        may_have_been_sent: bool,
        transient: bool = True,
        attempts: int = 1,
        retry_safe: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.may_have_been_sent = may_have_been_sent
        self.transient = transient
        self.attempts = attempts
        self.retry_safe = retry_safe

    def __str__(self) -> str:
        return self.reason

    def __repr__(self) -> str:
        return (
            f"TransportError(reason={self.reason!r}, may_have_been_sent={self.may_have_been_sent}, "
            f"attempts={self.attempts})"
        )
