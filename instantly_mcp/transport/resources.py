"""The workspace as MCP resources: what an agent or a person may attach as context, read-only.

    instantly://campaigns/{id}       a campaign with its sequence, and its analytics summary
    instantly://lead-lists/{id}      a lead list
    instantly://accounts/{email}     a sending account, with its warmup state
    instantly://block-list.csv       the block list, as CSV

resources/list names the block list and every campaign, lead list and account, a page of one kind
at a time (the cursor says which kind and where in it). Every read is a call of the read tools
behind it, through the same gates as tools/call (scopes, toolsets, --tools, the tenant's key, the
rate limiter): a resource whose tools are hidden is neither listed nor readable.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import mcp_types as types
from mcp.shared.exceptions import MCPError

SCHEME = "instantly://"
PAGE_SIZE = 50
RESOURCE_NOT_FOUND = -32002

# Runs one read tool for the caller of the current request; the text of an error result raises.
RunRead = Callable[[str, dict[str, Any]], Awaitable[str]]


@dataclass(frozen=True)
class Template:
    uri_template: str
    name: str
    title: str
    description: str
    mime_type: str
    reads: tuple[str, ...]  # the read tools behind it: all must be visible

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.uri_template)) + "$")

    def listed(self) -> types.ResourceTemplate:
        return types.ResourceTemplate(
            uri_template=self.uri_template,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=self.mime_type,
        )


CAMPAIGN = Template(
    f"{SCHEME}campaigns/{{id}}",
    "campaign",
    "Campaign",
    "A campaign with its schedule and sequence (steps and variants), and its analytics summary.",
    "application/json",
    ("get_campaign", "get_campaign_analytics"),
)
LEAD_LIST = Template(
    f"{SCHEME}lead-lists/{{id}}", "lead_list", "Lead list", "A lead list.", "application/json", ("get_lead_list",)
)
ACCOUNT = Template(
    f"{SCHEME}accounts/{{email}}",
    "account",
    "Sending account",
    "A sending account with its warmup state and warmup analytics.",
    "application/json",
    ("get_account", "get_warmup_analytics"),
)
BLOCK_LIST = Template(
    f"{SCHEME}block-list.csv",
    "block_list",
    "Block list",
    "Every blocked email address and domain, as CSV.",
    "text/csv",
    ("download_block_list_entries_csv",),
)
TEMPLATES = (CAMPAIGN, LEAD_LIST, ACCOUNT, BLOCK_LIST)


@dataclass(frozen=True)
class Listing:
    """One kind of resource in resources/list: the list tool that enumerates it."""

    template: Template
    list_tool: str
    key: str  # the item field that fills the template
    label: str  # the item field that names it


LISTINGS = (
    Listing(CAMPAIGN, "list_campaigns", "id", "name"),
    Listing(LEAD_LIST, "list_lead_lists", "id", "name"),
    Listing(ACCOUNT, "list_accounts", "email", "email"),
)


class ResourceProvider(Protocol):
    """Resources served next to the workspace's (the conformance suite's fixtures, in its tests)."""

    def templates(self) -> list[types.ResourceTemplate]: ...

    def resources(self) -> list[types.Resource]: ...

    async def read(self, uri: str) -> types.ReadResourceResult | None: ...


class WorkspaceResources:
    def __init__(self, visible: Callable[[str], bool]) -> None:
        self.visible = visible  # is this tool visible under the server's policy?

    def usable(self, template: Template) -> bool:
        return all(self.visible(name) for name in template.reads)

    def templates(self) -> list[types.ResourceTemplate]:
        return [t.listed() for t in TEMPLATES if "{" in t.uri_template and self.usable(t)]

    async def list_page(self, cursor: str | None, run: RunRead) -> types.ListResourcesResult:
        """The block list first, then a page of one kind per call; the cursor resumes in that kind."""
        index, after = decode_cursor(cursor)
        resources: list[types.Resource] = []
        if index == 0 and after is None and self.usable(BLOCK_LIST):
            resources.append(
                types.Resource(
                    uri=BLOCK_LIST.uri_template,
                    name=BLOCK_LIST.name,
                    title=BLOCK_LIST.title,
                    description=BLOCK_LIST.description,
                    mime_type=BLOCK_LIST.mime_type,
                )
            )
        while index < len(LISTINGS) and not self.listable(LISTINGS[index]):
            index, after = index + 1, None
        if index >= len(LISTINGS):
            return types.ListResourcesResult(resources=resources)
        listing = LISTINGS[index]
        arguments: dict[str, Any] = {"limit": PAGE_SIZE, **({"starting_after": after} if after else {})}
        page = json.loads(await run(listing.list_tool, arguments))
        for item in page.get("items") or []:
            value = str(item[listing.key])
            resources.append(
                types.Resource(
                    uri=listing.template.uri_template.replace(f"{{{listing.key}}}", value),
                    name=str(item.get(listing.label) or value),
                    title=f"{listing.template.title}: {item.get(listing.label) or value}",
                    description=listing.template.description,
                    mime_type=listing.template.mime_type,
                )
            )
        following = page.get("next_starting_after")
        next_cursor: str | None = encode_cursor(index, following) if following else encode_cursor(index + 1, None)
        if not following and index + 1 >= len(LISTINGS):
            next_cursor = None
        return types.ListResourcesResult(resources=resources, next_cursor=next_cursor)

    def listable(self, listing: Listing) -> bool:
        return self.usable(listing.template) and self.visible(listing.list_tool)

    async def read(self, uri: str, run: RunRead) -> types.ReadResourceResult | None:
        for template in TEMPLATES:
            match = template.pattern.match(uri)
            if match is None:
                continue
            if not self.usable(template):
                raise MCPError(
                    code=RESOURCE_NOT_FOUND, message=f"Resource not available under this server's policy: {uri}"
                )
            text = await READERS[template.name](match.groupdict(), run)
            return types.ReadResourceResult(
                contents=[types.TextResourceContents(uri=uri, mime_type=template.mime_type, text=text)]
            )
        return None


async def read_campaign(params: dict[str, str], run: RunRead) -> str:
    campaign = json.loads(await run("get_campaign", {"id": params["id"]}))
    analytics = json.loads(await run("get_campaign_analytics", {"id": params["id"]}))
    summary = analytics[0] if isinstance(analytics, list) and analytics else analytics
    return compact({"campaign": campaign, "analytics": summary})


async def read_lead_list(params: dict[str, str], run: RunRead) -> str:
    return await run("get_lead_list", {"id": params["id"]})


async def read_account(params: dict[str, str], run: RunRead) -> str:
    account = json.loads(await run("get_account", {"email": params["email"]}))
    warmup = json.loads(await run("get_warmup_analytics", {"emails": [params["email"]]}))
    return compact({"account": account, "warmup": warmup})


async def read_block_list(params: dict[str, str], run: RunRead) -> str:
    return await run("download_block_list_entries_csv", {})


READERS: dict[str, Callable[[dict[str, str], RunRead], Awaitable[str]]] = {
    CAMPAIGN.name: read_campaign,
    LEAD_LIST.name: read_lead_list,
    ACCOUNT.name: read_account,
    BLOCK_LIST.name: read_block_list,
}


def compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def encode_cursor(index: int, after: str | None) -> str:
    return base64.urlsafe_b64encode(compact([index, after]).encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[int, str | None]:
    if not cursor:
        return 0, None
    try:
        index, after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if isinstance(index, int) and 0 <= index <= len(LISTINGS) and (after is None or isinstance(after, str)):
            return index, after
    except (ValueError, TypeError):
        pass
    raise MCPError(
        code=types.INVALID_PARAMS, message="Invalid cursor: pass the nextCursor of the previous resources/list"
    )
