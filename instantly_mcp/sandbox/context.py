"""What a handler sees of one validated request, plus the names of the collections it touches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from instantly_mcp.sandbox.resources import Resource, Resources, list_item_schema
from instantly_mcp.sandbox.spec import Operation
from instantly_mcp.sandbox.store import Entity, Store

ACCOUNTS = "accounts"
BLOCK_LIST = "block-lists-entries"
CAMPAIGNS = "campaigns"
CUSTOM_TAGS = "custom-tags"
EMAILS = "emails"
JOBS = "background-jobs"
LEAD_LABELS = "lead-labels"
LEAD_LISTS = "lead-lists"
LEADS = "leads"
SUBSEQUENCES = "subsequences"
TAG_MAPPINGS = "custom-tag-mappings"
WORKSPACE = "workspace"
WORKSPACE_KEY = "current"


@dataclass
class Context:
    op: Operation
    params: dict[str, str]
    query: dict[str, Any]
    body: Any
    store: Store
    resources: Resources

    @property
    def data(self) -> dict[str, Any]:
        """The JSON body when it is an object, else an empty dict."""
        return self.body if isinstance(self.body, dict) else {}

    @property
    def schema(self) -> dict[str, Any]:
        """The success response schema of the operation."""
        return self.op.success_schema or {}

    @property
    def item_schema(self) -> dict[str, Any]:
        """The item schema of a list response (`{items: [...]}` or a bare array)."""
        return list_item_schema(self.op.success_schema) or {}

    def resource(self, collection_path: str) -> Resource:
        resource = self.resources.for_collection(collection_path)
        if resource is None:
            raise KeyError(collection_path)
        return resource

    @property
    def workspace(self) -> Entity:
        workspace = self.store.get(WORKSPACE, WORKSPACE_KEY)
        if workspace is None:
            raise RuntimeError("the sandbox workspace is missing; create_app() makes it")
        return workspace

    @property
    def workspace_id(self) -> str:
        return cast(str, self.workspace["id"])
