"""Who is calling: the bearer token, the tenant's key header, the OAuth user, and the principal.

Every question about a request's identity is answered here, once:

    authorized(settings, headers)    the bearer token matches --auth-token (or none is required)
    default_hosts/origins(settings)  the Host and Origin values accepted (against DNS rebinding)
    public_base(settings)            the server's address as a person's browser reaches it
    tenant_user(key)                 what Guard puts on a --per-request-key request (tenant:<fingerprint>)
    principal_of(request)            who is calling, whom its approvals belong to: the OAuth user, else
                                     the tenant (--per-request-key), else "" (the installation; stdio)
    oauth_user_of(request)           oauth:<digest of issuer and subject> for an OAuth call, for the audit
    tenant_of(...)                   the client and fingerprint a call acts with (the tenant's own key or the server's)

The tenant's key is only ever sent upstream in the Authorization header; logs and errors name its
fingerprint.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from starlette.datastructures import Headers
from starlette.types import Scope

from instantly_mcp.config import Settings, is_loopback
from instantly_mcp.rebinding import loopback_hosts, loopback_origins
from instantly_mcp.upstream.client import InstantlyClient, key_fingerprint
from instantly_mcp.upstream.tenancy import KeyedClient, Tenant

TENANT_KEY_HEADER = "X-Instantly-Api-Key"
ANONYMOUS = ""
_HEADER_SAFE = re.compile(r"[\x21-\x7e]+")


# ---------------------------------------------------------------- bearer tokens


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def token_matches(given: str | None, expected: str) -> bool:
    """Constant time in the token's content and length (both sides are hashed first)."""
    return given is not None and hmac.compare_digest(_digest(given), _digest(expected))


def authorized(settings: Settings, headers: Headers) -> bool:
    """The bearer token matches, or none is required."""
    return settings.auth_token is None or token_matches(bearer_of(headers), settings.auth_token)


def bearer_of(headers: Headers) -> str | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


# ---------------------------------------------------------------- Host and Origin


def default_hosts(settings: Settings) -> tuple[str, ...]:
    hosts = loopback_hosts()
    if not is_loopback(settings.host) and settings.host not in ("0.0.0.0", "::"):
        hosts += (f"{settings.host}:*",)
    return hosts + settings.allowed_hosts


def default_origins(settings: Settings) -> tuple[str, ...]:
    origins = loopback_origins()
    if settings.public_url:  # the approval pages' forms post from there
        origins += ("/".join(settings.public_url.split("/")[:3]),)
    return origins + settings.allowed_origins


def public_base(settings: Settings) -> str:
    """The server's own address as a person's browser reaches it: --public-url, else the first --allowed-hosts
    name when listening on every interface, else the listening host."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    host = settings.host
    if host in ("0.0.0.0", "::"):
        named = [h for h in settings.allowed_hosts if h != "*" and not h.endswith(":*")]
        host = named[0] if named else "127.0.0.1"
    return f"http://{f'[{host}]' if ':' in host else host}:{settings.port}"


# ---------------------------------------------------------------- tenant key


def valid_tenant_key(value: str | None) -> str | None:
    """The key from the header, or None when it is missing or could not be sent upstream."""
    key = (value or "").strip()
    return key if _HEADER_SAFE.fullmatch(key) else None


def header_key(ctx: Any) -> str | None:
    """X-Instantly-Api-Key of the HTTP request that carried this MCP message (None on stdio)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    return valid_tenant_key(headers.get(TENANT_KEY_HEADER)) if headers is not None else None


def tenant_principal(key: str) -> str:
    """`tenant:<fingerprint>`: a --per-request-key tenant, as a session and an approval name it."""
    return f"tenant:{key_fingerprint(key)}"


def tenant_user(key: str) -> AuthenticatedUser:
    """The SDK binds each session to the principal that opened it: with --per-request-key, the tenant."""
    return AuthenticatedUser(AccessToken(token="", client_id=tenant_principal(key), scopes=[]))


# ---------------------------------------------------------------- principal


def tenant_of_scope(scope: Scope) -> str:
    """The principal Guard (or the OAuth gate) put on the request, or one shared one without either."""
    user = scope.get("user")
    access = getattr(user, "access_token", None)
    return access.client_id if isinstance(access, AccessToken) and access.client_id else ANONYMOUS


def tenant_of_requestor(requestor: Any) -> str:
    """The SDK's AuthorizationContext (a TypedDict) of the request that opens a session."""
    client_id = requestor.get("client_id") if isinstance(requestor, dict) else None
    return client_id if isinstance(client_id, str) and client_id else ANONYMOUS


def principal_of(request: Any) -> str:
    """Whom a call's approvals belong to: the OAuth user (`oauth:<digest>`), else who the HTTP layer
    authenticated (`tenant:<fingerprint>` with --per-request-key), else "" (the installation; stdio)."""
    if (user := oauth_user_of(request)) is not None:
        return user
    user = request.scope.get("user") if request is not None and hasattr(request, "scope") else None
    return str(getattr(user, "username", "") or "")


def oauth_principal(issuer: str, subject: str) -> str:
    """`oauth:<digest>`: one user of one issuer, as a call and the approval page's sign-in name it."""
    return "oauth:" + key_fingerprint(f"{issuer}\0{subject}")


def oauth_user_of(request: Any) -> str | None:
    """`oauth:<digest of issuer and subject>` for a call made with an OAuth token, else None."""
    user = request.scope.get("user") if request is not None and hasattr(request, "scope") else None
    token = getattr(user, "access_token", None)
    if not isinstance(token, AccessToken) or token.subject is None:
        return None
    return oauth_principal(str((token.claims or {}).get("iss", "")), token.subject)


def tenant_of(client: InstantlyClient | None, fingerprint: str, *, per_request_key: bool, ctx: Any) -> Tenant | str:
    """The client and key fingerprint for this call (the server's own unless `per_request_key`), or
    an error message when the tenant's key is missing. An OAuth user is bound into the fingerprint."""
    assert client is not None
    principal = oauth_user_of(getattr(ctx, "request", None))
    bound = f"/{principal}" if principal else ""
    if not per_request_key:
        return Tenant(client, fingerprint + bound, principal)
    key = header_key(ctx)
    if key is None:
        return (
            f"This server is multi-tenant: every request must carry your Instantly API key in the "
            f"{TENANT_KEY_HEADER} header. Nothing was sent."
        )
    return Tenant(KeyedClient(client, key), key_fingerprint(key) + bound, principal)
