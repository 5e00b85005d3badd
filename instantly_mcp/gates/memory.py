"""What this server remembers about a workspace between calls, kept in the approvals store
(in memory, or Redis shared by replicas): content a person approved or saw live (activation.py),
and the lists the server itself renamed (so a later delete can say so)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol

RENAMED = "renamed lead list"


class Memory(Protocol):
    async def recall(self, key: str) -> str | None: ...

    async def keep(self, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class WorkspaceMemory:
    """One workspace's part of the store: keys carry the key fingerprint and the tenant."""

    memory: Memory
    workspace: str

    async def recall(self, topic: str, target_id: str) -> Any:
        kept = await self.memory.recall(self._key(topic, target_id))
        return json.loads(kept) if kept else None

    async def keep(self, topic: str, target_id: str, value: Any) -> None:
        await self.memory.keep(self._key(topic, target_id), json.dumps(value, ensure_ascii=False))

    def _key(self, topic: str, target_id: str) -> str:
        return f"{topic}|{self.workspace}|{target_id}"
