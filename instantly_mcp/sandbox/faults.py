"""Fault injection: make chosen requests fail the ways a real network and API do.

Rules are matched in order before a request is handled; a seeded RNG keeps `rate` < 1
deterministic, and `times` limits a rule to its first N applications.
"""

from __future__ import annotations

import fnmatch
import json
import random
from dataclasses import asdict, dataclass, fields
from typing import Any

import httpx2
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from instantly_mcp.sandbox.errors import error_body

KINDS = ("status", "latency", "drop", "malformed", "html")
_DEFAULT_STATUS = {"status": 500, "html": 502, "malformed": 200}
_STATUS_MESSAGES = {
    429: "Rate limit exceeded",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service temporarily unavailable",
    504: "Gateway timeout",
}
_MALFORMED_JSON = b'{"items": [{"id": "0b7c1f6e-'


@dataclass
class FaultRule:
    path_prefix: str = "/"
    kind: str = "status"
    method: str | None = None
    status: int | None = None
    retry_after: float | None = None
    delay_s: float = 1.0
    rate: float = 1.0
    times: int | None = None
    after: bool = False
    """Handle the request first and answer with the fault anyway: the change happens, the answer says it
    failed (as Instantly's DELETE /emails/{id} does live with a 500)."""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("fault rate must be between 0 and 1")
        if self.times is not None and self.times < 0:
            raise ValueError("fault times must be >= 0")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault rule field(s): {', '.join(sorted(unknown))}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def effective_status(self) -> int:
        return self.status if self.status is not None else _DEFAULT_STATUS.get(self.kind, 500)

    def matches(self, method: str, path: str) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if any(ch in self.path_prefix for ch in "*?["):
            return fnmatch.fnmatchcase(path, self.path_prefix)
        return path.startswith(self.path_prefix)


class ConnectionDropped(httpx2.RemoteProtocolError):
    """Raised by the app for a "drop" fault: in-process clients see a RemoteProtocolError."""


class DropResponse(Response):
    """Starts a response and dies mid-way, so a real server closes the connection without a body."""

    def __init__(self) -> None:
        super().__init__(status_code=200, headers={"content-length": "64"}, media_type="application/json")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        raise ConnectionDropped("sandbox fault: connection dropped without a response")


def fault_response(rule: FaultRule) -> Response:
    """The response for every kind except latency (which only delays normal handling)."""
    status = rule.effective_status
    if rule.kind == "drop":
        return DropResponse()
    if rule.kind == "malformed":
        return Response(_MALFORMED_JSON, status_code=status, media_type="application/json")
    if rule.kind == "html":
        title = f"{status} {error_body(status, '')['error']}"
        page = (
            f"<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center>"
            "<hr><center>cloudflare</center></body></html>"
        )
        return Response(page, status_code=status, media_type="text/html")
    headers = {}
    if rule.retry_after is not None:
        seconds = rule.retry_after
        headers["Retry-After"] = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
    body = error_body(status, _STATUS_MESSAGES.get(status, error_body(status, "")["error"]))
    return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")


class FaultInjector:
    def __init__(self, rules: list[FaultRule] | None = None, seed: int = 0):
        self._seed = seed
        self.replace(rules or [])

    def replace(self, rules: list[FaultRule]) -> None:
        self.rules = list(rules)
        self._applied = [0] * len(self.rules)
        self._rng = random.Random(self._seed)

    def pick(self, method: str, path: str) -> FaultRule | None:
        for index, rule in enumerate(self.rules):
            if not rule.matches(method, path):
                continue
            if rule.times is not None and self._applied[index] >= rule.times:
                continue
            if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                continue
            self._applied[index] += 1
            return rule
        return None
