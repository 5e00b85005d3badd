"""The sandbox's state: named collections of JSON entities, optionally persisted to SQLite.

Entities keep insertion order (the order list endpoints page through); keys starting with
"_" are sandbox-internal and never rendered. Stored entities are never mutated in place (a
change is a `put` of a new dict), so the undo log can restore them: each request ends with
`commit()` (one SQLite transaction) or `rollback()`, and is applied completely or not at all.
"""

from __future__ import annotations

import copy
import json
import sqlite3
import threading
from typing import Any

Entity = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    collection TEXT NOT NULL,
    key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (collection, key)
);
"""


class Store:
    def __init__(self, db_path: str | None = None):
        self.db_path = db_path
        self._collections: dict[str, dict[str, Entity]] = {}
        self._seq = 0
        self._seq_of: dict[tuple[str, str], int] = {}
        self._undo: dict[tuple[str, str], tuple[Entity | None, int | None]] = {}
        self._cleared = False
        self._lock = threading.RLock()
        self._ordered: dict[str, list[Entity]] = {}
        self._db: sqlite3.Connection | None = None
        if db_path:
            self._db = sqlite3.connect(db_path, check_same_thread=False)
            self._db.executescript(_SCHEMA)
            self._load()

    def _load(self) -> None:
        assert self._db is not None
        rows = self._db.execute("SELECT collection, key, seq, data FROM entities ORDER BY seq").fetchall()
        for collection, key, seq, data in rows:
            self._collections.setdefault(collection, {})[key] = json.loads(data)
            self._seq_of[(collection, key)] = seq
            self._seq = max(self._seq, seq)

    @property
    def is_empty(self) -> bool:
        return not any(self._collections.values())

    def all(self, collection: str) -> list[Entity]:
        """The collection in creation order; the order is kept between writes, so reads don't sort."""
        ordered = self._ordered.get(collection)
        if ordered is None:
            entities = self._collections.get(collection, {})
            keys = sorted(entities, key=lambda key: self._seq_of[(collection, key)])
            ordered = self._ordered[collection] = [entities[key] for key in keys]
        return list(ordered)

    def count(self, collection: str) -> int:
        return len(self._collections.get(collection, {}))

    def get(self, collection: str, key: str) -> Entity | None:
        return self._collections.get(collection, {}).get(key)

    def put(self, collection: str, key: str, entity: Entity) -> Entity:
        """Insert or replace; a new key is appended at the end of the collection's order."""
        with self._lock:
            entities = self._collections.setdefault(collection, {})
            self._remember(collection, key)
            if (collection, key) not in self._seq_of or key not in entities:
                self._seq += 1
                self._seq_of[(collection, key)] = self._seq
            entities[key] = entity
            self._ordered.pop(collection, None)
            return entity

    def delete(self, collection: str, key: str) -> Entity | None:
        with self._lock:
            entities = self._collections.get(collection, {})
            if key in entities:
                self._remember(collection, key)
                self._ordered.pop(collection, None)
            return entities.pop(key, None)

    def _remember(self, collection: str, key: str) -> None:
        """Record the state before this request's first change to a key, for rollback()."""
        previous = self._collections.get(collection, {}).get(key)
        self._undo.setdefault((collection, key), (previous, self._seq_of.get((collection, key))))

    def seq(self, collection: str, key: str) -> int | None:
        """Position of a key in its collection's order; remembered after deletion so cursors survive."""
        return self._seq_of.get((collection, key))

    def clear(self) -> None:
        with self._lock:
            self._collections.clear()
            self._ordered.clear()
            self._seq_of.clear()
            self._undo.clear()
            self._cleared = True

    def snapshot(self) -> dict[str, dict[str, Entity]]:
        """A deep copy of all state, e.g. to check that a rejected request changed nothing."""
        return copy.deepcopy({name: entities for name, entities in self._collections.items() if entities})

    def commit(self) -> None:
        """Make this request's mutations permanent: one SQLite transaction when persisting."""
        with self._lock:
            if self._db is not None:
                with self._db:
                    if self._cleared:
                        self._db.execute("DELETE FROM entities")
                    for collection, key in self._undo:
                        entity = self.get(collection, key)
                        if entity is None:
                            self._db.execute("DELETE FROM entities WHERE collection = ? AND key = ?", (collection, key))
                        else:
                            self._db.execute(
                                "INSERT OR REPLACE INTO entities (collection, key, seq, data) VALUES (?, ?, ?, ?)",
                                (collection, key, self._seq_of[(collection, key)], json.dumps(entity)),
                            )
            self._undo.clear()
            self._cleared = False

    def rollback(self) -> None:
        """Undo every mutation since the last commit."""
        with self._lock:
            self._ordered.clear()
            for (collection, key), (previous, seq) in self._undo.items():
                entities = self._collections.setdefault(collection, {})
                if previous is None:
                    entities.pop(key, None)
                else:
                    entities[key] = previous
                if seq is not None:
                    self._seq_of[(collection, key)] = seq
            self._undo.clear()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
