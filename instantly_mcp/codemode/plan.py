"""Plans that follow ids: a script's writes collected in a first pass, then bound in the real run.

For a client that cannot be asked while a script runs, the script first runs as a plan: reads are
real, every write is validated (its dry run) and answers a placeholder record, `{**arguments, "id":
<placeholder>}`, so later steps can use the id. A person approves the plan. The real run must then
make the same writes in the same order, each placeholder replaced by the id its write really got;
the first write that differs, or that the plan does not hold, stops the script before it is sent.
Every write is bound, gated or not, so a script that behaves differently once it really runs
cannot send anything the person did not see.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.upstream.client import ApiRequest, ApiResponse, Requester


@dataclass(frozen=True)
class Planned:
    call: PreparedCall
    placeholder: str


def prefix(script: str) -> str:
    return f"{script[:8]}-0000-4000-8000-"


def placeholder(script: str, index: int) -> str:
    """A UUID-shaped id for the plan's write number `index` (from 1), the same in every pass of one
    script (its sha256), so the approval a person gave binds the same calls when it runs again."""
    return f"{prefix(script)}{index:012x}"


def creates(call: PreparedCall) -> bool:
    """A write that names no existing record by `id` makes one: its id is unknown until it runs."""
    return "id" not in call.arguments


def record(planned: Planned) -> dict[str, Any]:
    """What a planned write answers inside the plan: its own arguments, and a placeholder id for what it makes."""
    arguments = planned.call.arguments
    return arguments if not creates(planned.call) else {**arguments, "id": planned.placeholder}


def canonical(arguments: dict[str, Any], ids: dict[str, str]) -> str:
    """The arguments as compared with the plan: real ids written back as the placeholders they replaced."""
    text = json.dumps(arguments, sort_keys=True, ensure_ascii=False, default=str)
    for real, stand_in in ids.items():
        text = text.replace(real, stand_in)
    return text


@dataclass
class Binding:
    """The approved plan, consumed write by write in the real run."""

    writes: list[Planned]
    ids: dict[str, str] = field(default_factory=dict)  # real id -> placeholder
    done: int = 0

    def next(self, call: PreparedCall) -> Planned:
        """The planned write this call must be, or PermissionError naming how it differs."""
        if self.done >= len(self.writes):
            raise PermissionError(
                f"{call.op.name}: a write the approved plan does not hold (the plan had {len(self.writes)}); "
                "the script was stopped and nothing more was sent"
            )
        planned = self.writes[self.done]
        if planned.call.op.name != call.op.name or canonical(call.arguments, self.ids) != canonical(
            planned.call.arguments, {}
        ):
            raise PermissionError(
                f"{call.op.name}: write {self.done + 1} differs from the approved plan (it was "
                f"{planned.call.op.name} with other arguments); the script was stopped and nothing more was sent"
            )
        self.done += 1
        return planned

    def learn(self, planned: Planned, data: Any) -> None:
        if creates(planned.call) and isinstance(data, dict) and isinstance(data.get("id"), str) and data["id"]:
            self.ids[data["id"]] = planned.placeholder


@dataclass
class PlanClient:
    """The client a plan pass and its question use: a read of something the plan creates answers
    the planned record (by id) or nothing yet (a list); every other request goes upstream."""

    inner: Requester
    prefix: str
    records: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse:
        for stand_in, data in self.records.items():
            if stand_in in req.path:
                return ApiResponse(200, data if req.method == "GET" else {}, "application/json", 0)
        if self.prefix in json.dumps([dict(req.query), req.body], default=str):
            return ApiResponse(200, {"items": []}, "application/json", 0)
        return await self.inner.request(req, api_key=api_key)
