"""Dedicated behaviour for the workflows agents use most; everything else is generic."""

from instantly_mcp.sandbox.handlers import (  # noqa: F401  (importing registers the handlers)
    accounts,
    ai_agents,
    block_list,
    campaigns,
    emails,
    jobs,
    leads,
    tags,
    workspace,
)
from instantly_mcp.sandbox.handlers.registry import HANDLERS, Handler

__all__ = ["HANDLERS", "Handler"]
