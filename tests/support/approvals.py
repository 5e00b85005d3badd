"""The approval pages of an in-process server, reached over ASGI as a browser would post its forms."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
from starlette.applications import Starlette

from instantly_mcp.transport.approval_pages import pages_for

from support.servers import Harness

PAGES_BASE = "http://127.0.0.1:8765"


@dataclass
class PagesClient:
    http: httpx2.AsyncClient

    async def csrf(self, approval_id: str) -> str:
        page = await self.http.get(f"/approvals/{approval_id}")
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    async def decide(self, approval_id: str, decision: str, **form: str) -> httpx2.Response:
        data = {"csrf": await self.csrf(approval_id), "decision": decision, **form}
        return await self.http.post(f"/approvals/{approval_id}", data=data, headers={"Origin": PAGES_BASE})


@asynccontextmanager
async def serve_pages(mcp: Harness, approver_token: str | None = None) -> AsyncIterator[PagesClient]:
    """Serve the harness's approvals as if on PAGES_BASE (what approval URLs then point at)."""
    desk = mcp.runtime.policy.desk
    assert desk is not None, "the harness serves no approvals (--confirm auto or human)"
    desk.base_url = PAGES_BASE
    settings = mcp.runtime.settings
    if approver_token:
        from dataclasses import replace

        settings = replace(settings, approver_token=approver_token)
    app = Starlette(routes=pages_for(desk, settings).routes())
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url=PAGES_BASE, follow_redirects=False) as http:
        yield PagesClient(http)
