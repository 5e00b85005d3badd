"""A valid request for every operation of the spec, built against a freshly seeded sandbox.

Path parameters use seeded entities; bodies are synthesized from the request schema, except
where an operation needs real references (a campaign id, a received email, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.app import Sandbox
from instantly_mcp.sandbox.seed import MAYA, OUTREACH
from instantly_mcp.sandbox.spec import Operation
from instantly_mcp.sandbox.store import Entity
from instantly_mcp.sandbox.synth import synthesize


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, Any]
    body: Any


class Seeded:
    """Lookups into the seeded demo workspace."""

    def __init__(self, sandbox: Sandbox):
        self.store = sandbox.store

    def first(self, collection: str, **where: Any) -> Entity:
        return next(e for e in self.store.all(collection) if all(e.get(k) == v for k, v in where.items()))

    @property
    def campaign(self) -> Entity:
        return self.first("campaigns", name="Q3 SaaS Founders - Intro")

    @property
    def lead_list(self) -> Entity:
        return self.first("lead-lists")

    @property
    def received_email(self) -> Entity:
        return self.first("emails", ue_type=2)

    def campaign_lead(self, index: int = 0) -> Entity:
        return [lead for lead in self.store.all("leads") if lead.get("campaign") == self.campaign["id"]][index]


BODIES: dict[str, Callable[[Seeded], Any]] = {
    "createLead": lambda s: {"campaign": s.campaign["id"], "email": "new.lead@acme.example", "first_name": "Nora"},
    "bulkAddLeads": lambda s: {"campaign_id": s.campaign["id"], "leads": [{"email": "bulk.one@acme.example"}]},
    "moveLeads": lambda s: {
        "campaign": s.campaign["id"],
        "ids": [s.campaign_lead()["id"]],
        "to_list_id": s.lead_list["id"],
    },
    "mergeLeads": lambda s: {"lead_id": s.campaign_lead(0)["id"], "destination_lead_id": s.campaign_lead(1)["id"]},
    "updateLeadInterestStatus": lambda s: {"lead_email": s.campaign_lead()["email"], "interest_value": 2},
    "bulkAssignLeads": lambda s: {
        "organization_user_ids": [s.first("workspace")["owner"]],
        "campaign": s.campaign["id"],
    },
    "moveLeadToSubsequence": lambda s: {"id": s.campaign_lead()["id"], "subsequence_id": s.first("subsequences")["id"]},
    "removeLeadFromSubsequence": lambda s: {"id": s.campaign_lead()["id"]},
    "bulkDeleteLeads": lambda s: {"campaign_id": s.campaign["id"], "status": -1},
    "listLeads": lambda s: {"campaign": s.campaign["id"], "limit": 5},
    "replyToEmail": lambda s: {
        "reply_to_uuid": s.received_email["id"],
        "eaccount": MAYA,
        "subject": "Re: thanks",
        "body": {"text": "Thanks!"},
    },
    "forwardEmail": lambda s: {
        "reply_to_uuid": s.received_email["id"],
        "eaccount": MAYA,
        "subject": "Fwd: lead",
        "to_address_email_list": "liam@northwind.example",
        "body": {"html": "FYI"},
    },
    "sendTestEmail": lambda s: {
        "eaccount": MAYA,
        "to_address_email_list": "qa@northwind.example",
        "subject": "Test",
        "body": {"html": "Hi"},
    },
    "toggleTagResource": lambda s: {
        "tag_ids": [s.first("custom-tags")["id"]],
        "resource_type": 2,
        "resource_ids": [s.campaign["id"]],
        "assign": True,
    },
    "changeWorkspaceOwner": lambda s: {"email": "liam.ortiz@northwind.example", "sec": "confirmation-token"},
    "moveAccounts": lambda s: {
        "emails": [OUTREACH],
        "source_workspace_id": s.first("workspace")["id"],
        "destination_workspace_id": "7d1c8f0e-52a4-4b7e-9a51-0c3f2b9d6e11",
    },
    "enableWarmupForAccounts": lambda s: {"emails": [MAYA]},
    "disableWarmupForAccounts": lambda s: {"emails": [MAYA]},
    "pauseAccounts": lambda s: {"emails": [MAYA]},
}

# Path parameters that do not name a stored collection entity.
PATH_VALUES: dict[str, Callable[[Seeded], str]] = {
    "thread_id": lambda s: s.received_email["thread_id"],
    "domain": lambda s: "northwind-mail.example",
    "rule_id": lambda s: "rule-0",
    "resource_id": lambda s: s.lead_list["id"],
    "email": lambda s: MAYA,
}

QUERY: dict[str, Callable[[Seeded], dict[str, Any]]] = {
    "getCtdStatus": lambda s: {"host": "track.northwind.example"},
    "listInboxPlacementAnalytics": lambda s: {"test_id": s.first("inbox-placement-tests")["id"]},
    "listInboxPlacementBlacklistAndSpamAssassinReport": lambda s: {"test_id": s.first("inbox-placement-tests")["id"]},
    "getSubsequenceAnalytics": lambda s: {"campaign_id": s.campaign["id"]},
}


def oauth_session(sandbox: Sandbox) -> str:
    """Session ids only exist after an OAuth init; create one directly in the store."""
    sandbox.store.put("oauth-sessions", "seededsession", {"status": "pending", "provider_code": 2, "polls": 0})
    sandbox.store.commit()
    return "seededsession"


def build_call(op: Operation, sandbox: Sandbox) -> Call:
    seeded = Seeded(sandbox)
    params: dict[str, str] = {}
    for resource, name in sandbox.resources.addressed(op):
        parent = crud.parent_of(resource, params)
        params[name] = crud.key_of(resource, crud.entities(sandbox.store, resource, parent)[0])
    for param in op.params_in("path"):
        name = param["name"]
        if name in params:
            continue
        if name == "sessionId":
            params[name] = oauth_session(sandbox)
        elif name in PATH_VALUES:
            params[name] = PATH_VALUES[name](seeded)
        else:
            params[name] = synthesize(param["schema"], name)
    path = op.path
    for name, value in params.items():
        path = path.replace("{" + name + "}", value)
    body = BODIES[op.operation_id](seeded) if op.operation_id in BODIES else None
    if body is None and op.body_required:
        body = synthesize(op.body_schema)
    query = QUERY[op.operation_id](seeded) if op.operation_id in QUERY else {}
    return Call(op.method.upper(), path, query, body)
