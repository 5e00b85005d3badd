"""Dedicated behaviour for the workflows agents use most; everything else is generic (see crud.py)."""

from importlib import import_module

from instantly_mcp.sandbox.handlers.registry import HANDLERS, Handler

_MODULES = (
    "accounts",
    "ai_agents",
    "block_list",
    "campaign_analytics",
    "campaigns",
    "domains",
    "emails",
    "jobs",
    "leads",
    "tags",
    "verification",
    "warmup",
    "webhooks",
    "workspace",
)
for _module in _MODULES:
    import_module(f"{__name__}.{_module}")  # registers the module's handlers

__all__ = ["HANDLERS", "Handler"]
