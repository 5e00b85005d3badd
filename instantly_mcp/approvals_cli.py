"""`instantly-mcp approvals list|approve|deny`: decide from a terminal next to a headless server,
through the server's /approvals/api endpoints and an approver credential: --approver-token or
INSTANTLY_MCP_APPROVER_TOKEN, else (a server on this machine) the installation's approver secret.
Never the platform bearer token, and never over plain HTTP to another host."""

from __future__ import annotations

import os
import sys
from typing import Any
from urllib.parse import urlsplit

import httpx2

from instantly_mcp.config import is_loopback


def run_approvals(action: str, approval_id: str | None, url: str, token: str | None) -> int:
    parts = urlsplit(url)
    local = is_loopback((parts.hostname or "").strip("[]"))
    if parts.scheme != "https" and not (parts.scheme == "http" and local):
        print(
            f"instantly-mcp approvals: refusing to send an approver credential to {url} over plain HTTP: "
            "use https:// for another host (or 127.0.0.1 for this one)",
            file=sys.stderr,
        )
        return 2
    token = token or os.environ.get("INSTANTLY_MCP_APPROVER_TOKEN") or (local_secret() if local else None)
    if action != "list" and not approval_id:
        print(
            f"instantly-mcp approvals {action}: give the approval id (see `instantly-mcp approvals list`)",
            file=sys.stderr,
        )
        return 2
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    base = url.rstrip("/") + "/approvals/api"
    try:
        with httpx2.Client(timeout=10, trust_env=False, headers=headers) as client:
            if action == "list":
                response = client.get(f"{base}/pending")
            else:
                response = client.post(f"{base}/{approval_id}/{action}")
    except httpx2.HTTPError as exc:
        print(f"instantly-mcp approvals: cannot reach {url} ({exc})", file=sys.stderr)
        return 1
    body: Any = response.json() if response.headers.get("content-type", "").startswith("application/json") else {}
    if response.status_code >= 400 and response.status_code != 409:
        print(
            f"instantly-mcp approvals: {response.status_code} {body.get('error', response.text[:200])}", file=sys.stderr
        )
        return 1
    if action == "list":
        print_pending(body)
        return 0
    print(f"{body['id']}: {body['state']}")
    return 0 if response.status_code == 200 else 1


def print_pending(approvals: list[dict[str, Any]]) -> None:
    if not approvals:
        print("Nothing is waiting.")
    for approval in approvals:
        print(f"{approval['id']}  {approval['url']}")
        for call in approval["calls"]:
            print(f"    {call['tool']}: {call['summary']}")


def local_secret() -> str | None:
    """The installation's approver secret, when this user has one (a server on this machine made it)."""
    from instantly_mcp.errors import ConfigError
    from instantly_mcp.transport.approvers import approver_secret_path, read_secret

    try:
        return read_secret(approver_secret_path())
    except (OSError, ConfigError):
        return None
