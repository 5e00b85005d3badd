"""What the server remembers of a workspace and what a person is asked about a call.

An activation's question shows what goes out and what changed since it last ran (activation.py);
its confirmation binds the digest of that content; a pause keeps what was live, a rename when it
happened (memory.py). Kept beside the approvals: in this process, or in Redis with --redis-url.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.errors import StoreUnavailable
from instantly_mcp.gates import activation
from instantly_mcp.gates.approvals import ApprovalStore
from instantly_mcp.gates.memory import RENAMED, WorkspaceMemory
from instantly_mcp.gates.summaries import Lookup, summarize
from instantly_mcp.upstream.client import Requester

# Calls after (or before) which the workspace memory is updated: activations, pauses, list renames.
REMEMBERED = frozenset({*activation.ACTIVATIONS, *activation.PAUSES, "update_lead_list"})


class Recall:
    def __init__(
        self, store: ApprovalStore, lookup: Callable[[Requester], Lookup], clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.lookup = lookup
        self.clock = clock

    async def summary(self, call: PreparedCall, client: Requester, fingerprint: str, tenant: str) -> str:
        """The question a person is asked: an activation shows what goes out and what changed
        (activation.py); a list's delete says when this server renamed it."""
        lookup, memory = self.lookup(client), self.memory(fingerprint, tenant)
        name, arguments = call.op.name, call.arguments
        action = await activation.question(name, arguments, lookup, memory) if name in activation.ACTIVATIONS else None
        renamed = await memory.recall(RENAMED, arguments["id"]) if name == "delete_lead_list" else None
        return await summarize(
            call.op,
            arguments,
            lookup,
            undocumented=call.undocumented,
            action=action,
            renamed_at=renamed,
            now=self.clock(),
        )

    async def bound(self, call: PreparedCall, client: Requester) -> PreparedCall:
        """The call as its confirmation binds it. An activation carries the digest of the content it sends
        (activation.CONTENT), so a token or approval given for what the person saw does not cover
        content the agent changed afterwards. Only the binding changes: the request sent is the same."""
        if call.op.name not in activation.ACTIVATIONS:
            return call
        digest = await activation.digest(call.op.name, call.arguments, self.lookup(client))
        return replace(call, arguments={**call.arguments, activation.CONTENT: digest})

    def memory(self, fingerprint: str, tenant: str) -> WorkspaceMemory:
        return WorkspaceMemory(self.store, f"{fingerprint}|{tenant}")

    async def remember(self, call: PreparedCall, client: Requester, memory: WorkspaceMemory, *, sent: bool) -> None:
        """Before a pause, the content that was live; after an activation or a rename, what it now is."""
        name = call.op.name
        try:
            if name in activation.PAUSES or name in activation.ACTIVATIONS:
                await activation.remember(name, call.arguments, self.lookup(client), memory, sent=sent)
            elif name == "update_lead_list" and sent and "name" in call.arguments:
                await memory.keep(RENAMED, call.arguments["id"], self.clock())
        except StoreUnavailable:
            pass  # a pause or rename is never held up by the store; the next question then knows less
