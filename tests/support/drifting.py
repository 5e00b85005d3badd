"""An upstream whose answers drift from the spec: the sandbox, with some JSON answers rewritten on the way out.

GET /api/v2/campaigns and /api/v2/campaigns/{id}: each campaign's `name` becomes a number, `status`
disappears and a `surprise` field appears. GET /api/v2/workspaces/current: `owner` disappears.
Values the rewrite puts in are marked SECRET-VALUE so tests can check reports never show them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MARK = "SECRET-VALUE"


def drift_campaign(item: Any) -> Any:
    if isinstance(item, dict):
        item = {k: v for k, v in item.items() if k != "status"}
        item["name"] = 12345
        item["surprise"] = MARK
    return item


def rewrite(method: str, path: str, data: Any) -> Any:
    if method == "GET" and path == "/api/v2/campaigns" and isinstance(data, dict):
        return {**data, "items": [drift_campaign(i) for i in data.get("items", [])]}
    if method == "GET" and re.fullmatch(r"/api/v2/campaigns/[0-9a-f-]{36}", path):
        return drift_campaign(data)
    if method == "GET" and path == "/api/v2/workspaces/current" and isinstance(data, dict):
        return {k: v for k, v in data.items() if k != "owner"}
    return data


class Drifting:
    """ASGI middleware: buffers each JSON answer and rewrites it with `rewrite`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state = getattr(app, "state", None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            if start.get("status") == 200 and body:
                body = json.dumps(rewrite(scope["method"], scope["path"], json.loads(body))).encode()
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
            await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
