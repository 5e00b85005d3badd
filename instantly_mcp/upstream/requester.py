"""What the call path needs from an upstream client: send one request, get its answer.

InstantlyClient implements it, and so do the views that wrap it (KeyedClient, TrackedClient), so
policy and pipeline accept any of them.
"""

from __future__ import annotations

from typing import Protocol

from instantly_mcp.upstream.client import ApiRequest, ApiResponse


class Requester(Protocol):
    async def request(self, req: ApiRequest, *, api_key: str | None = None) -> ApiResponse: ...
