"""Host and Origin checks against DNS rebinding, shared by the MCP server and the standalone sandbox.

Both headers are parsed as an authority (host plus optional port) and compared exactly: anything
that is not a plain host name, IPv4 or bracketed IPv6 address with an optional numeric port
(`localhost:1@evil.com`, `localhost:1.evil.com`, a path, user info) matches nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
ANY = "*"
_AUTHORITY = re.compile(
    r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::(?P<port>[0-9]{1,5}|\*))?"
)
_ORIGIN = re.compile(r"(?P<scheme>https?)://(?P<authority>[^/?#\s]+)")


@dataclass(frozen=True)
class Authority:
    host: str
    port: str | None  # digits, "*" (entries only) or None


def parse_authority(text: str | None) -> Authority | None:
    match = _AUTHORITY.fullmatch((text or "").strip().lower())
    return Authority(match["host"], match["port"]) if match else None


def parse_origin(text: str | None) -> tuple[str, Authority] | None:
    match = _ORIGIN.fullmatch((text or "").strip().lower().rstrip("/"))
    if match is None:
        return None
    authority = parse_authority(match["authority"])
    return (match["scheme"], authority) if authority is not None else None


def authority_matches(given: Authority, entry: Authority) -> bool:
    """Hosts equal; the entry's port is any ("*" or none given) or equal."""
    return given.host == entry.host and (entry.port in (None, ANY) or entry.port == given.port)


def host_allowed(host: str | None, allowed: tuple[str, ...]) -> bool:
    """`allowed` entries are host names, host:port, or host:* ; '*' allows any well-formed Host."""
    given = parse_authority(host)
    if given is None or given.port == ANY:
        return False
    for entry in allowed:
        if entry == ANY:
            return True
        parsed = parse_authority(entry)
        if parsed is not None and authority_matches(given, parsed):
            return True
    return False


def origin_allowed(origin: str | None, allowed: tuple[str, ...]) -> bool:
    """No Origin (not a browser) is fine; else scheme://host[:port] must match an entry (port may be *)."""
    if not origin:
        return True
    given = parse_origin(origin)
    if given is None or given[1].port == ANY:
        return False
    for entry in allowed:
        if entry == ANY:
            return True
        parsed = parse_origin(entry)
        if parsed is not None and parsed[0] == given[0] and authority_matches(given[1], parsed[1]):
            return True
    return False


def loopback_hosts() -> tuple[str, ...]:
    return tuple(f"{name}:*" for name in LOOPBACK_NAMES)


def loopback_origins() -> tuple[str, ...]:
    return tuple(f"{scheme}://{name}:*" for scheme in ("http", "https") for name in LOOPBACK_NAMES)


def rebinding_refusal(headers: Headers, hosts: tuple[str, ...], origins: tuple[str, ...]) -> Response | None:
    if not host_allowed(headers.get("host"), hosts):
        return refusal(421, "Invalid Host header (DNS rebinding protection; see --allowed-hosts)")
    if not origin_allowed(headers.get("origin"), origins):
        return refusal(403, "Invalid Origin header (DNS rebinding protection; see --allowed-origins)")
    return None


def refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32001 if status in (401, 403) else -32600, "message": message},
    }
    return JSONResponse(body, status_code=status, headers=headers)


class RebindingGuard:
    """ASGI middleware checking Host and Origin on every HTTP request (the standalone sandbox)."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...], origins: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = hosts
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = rebinding_refusal(Headers(scope=scope), self.hosts, self.origins)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)
