"""Operations with dedicated behaviour, keyed by operationId."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from instantly_mcp.sandbox.context import Context

Handler = Callable[[Context], Any]
HANDLERS: dict[str, Handler] = {}


def handles(*operation_ids: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for operation_id in operation_ids:
            if operation_id in HANDLERS:
                raise ValueError(f"two handlers for {operation_id}")
            HANDLERS[operation_id] = handler
        return handler

    return register
