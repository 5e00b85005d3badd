"""The approval pages of an in-process server, reached over ASGI as a browser would post its forms.

`approver_secret()` is the installation's secret the pages ask for (the test run's config dir);
`PagesClient.decide` types it into the form unless the test gives another credential."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from starlette.applications import Starlette

from instantly_mcp.transport.approval_pages import pages_for

from support.servers import Harness

PAGES_BASE = "http://127.0.0.1:8765"


def approver_secret() -> str:
    """What the person types: the secret the server created in this test run's config dir on first use
    (the pages create it when first shown), read from its file as a person would."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "instantly-mcp" / "approver-secret"
    return path.read_text().strip() if path.exists() else ""


@dataclass
class PagesClient:
    http: httpx2.AsyncClient

    async def csrf(self, approval_id: str) -> str:
        page = await self.http.get(f"/approvals/{approval_id}")
        match = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert match, page.text
        return match.group(1)

    async def decide(self, approval_id: str, decision: str, **form: str) -> httpx2.Response:
        """As the person types the credential (the installation's approver secret unless given)."""
        data = {"csrf": await self.csrf(approval_id), "decision": decision, **form}
        data.setdefault("approver_token", approver_secret())
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
