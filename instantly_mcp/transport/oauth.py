"""OAuth 2.1 resource-server mode (`--oauth-issuer`), as the MCP authorization spec asks of a server.

- Protected Resource Metadata (RFC 9728) at /.well-known/oauth-protected-resource (and at that path
  plus /mcp, where RFC 9728 section 3.1 puts it for the resource URL .../mcp): the resource, the
  issuer as its authorization server, the scopes. Clients find the issuer there and do the
  OAuth dance with it; this server never sees a password or a client secret.
- Every MCP request must carry an access token, a JWT signed by a key in the issuer's JWKS, issued
  by the issuer, for this resource (audience), unexpired, with the required scopes. Otherwise 401
  (or 403 for missing scopes) with `WWW-Authenticate: Bearer resource_metadata="..."`.
- The token's issuer and subject are the caller's identity: the SDK binds each session to it, and
  calls, confirmations and audit lines are attributed to it (`oauth_user_of` in transport/auth.py).

Built on the SDK's auth pieces (AccessToken, the TokenVerifier protocol, AuthenticatedUser and
ProtectedResourceMetadata) and PyJWT for the signature checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import anyio
import httpx2
import jwt
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.auth.provider import AccessToken
from mcp.shared.auth import ProtectedResourceMetadata
from pydantic import AnyHttpUrl
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Scope

from instantly_mcp.config import Settings

WELL_KNOWN = "/.well-known/oauth-protected-resource"
ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
LEEWAY_S = 30


@dataclass(frozen=True)
class OAuthSettings:
    issuer: str
    resource: str  # this server's MCP endpoint URL, as clients reach it
    audience: str  # the `aud` tokens must carry (the resource unless told otherwise)
    scopes: tuple[str, ...]
    jwks_url: str | None = None  # found in the issuer's metadata unless given

    @classmethod
    def from_settings(cls, settings: Settings) -> OAuthSettings | None:
        if not settings.oauth_issuer:
            return None
        resource = settings.oauth_resource or f"http://{settings.host}:{settings.port}/mcp"
        return cls(
            settings.oauth_issuer,
            resource,
            settings.oauth_audience or resource,
            settings.oauth_scopes,
            settings.oauth_jwks_url,
        )

    @property
    def metadata_url(self) -> str:
        origin, _, path = self.resource.partition("://")[2].partition("/")
        return f"{self.resource.partition('://')[0]}://{origin}{WELL_KNOWN}" + (f"/{path}" if path else "")


class JwtVerifier:
    """The SDK's TokenVerifier for JWT access tokens, keys from the issuer's JWKS (cached, refetched
    for an unknown key id)."""

    def __init__(self, oauth: OAuthSettings) -> None:
        self.oauth = oauth
        self._jwks: jwt.PyJWKClient | None = None

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            claims = await anyio.to_thread.run_sync(self._decode, token)
        except (jwt.PyJWTError, httpx2.HTTPError, ValueError, KeyError):
            return None
        scopes = str(claims.get("scope") or claims.get("scp") or "").split()
        return AccessToken(
            token=token,
            client_id=str(claims.get("client_id") or claims.get("azp") or claims["sub"]),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            resource=self.oauth.resource,
            subject=str(claims["sub"]),
            claims={"iss": claims["iss"]},
        )

    def _decode(self, token: str) -> dict[str, Any]:
        key = self._keys().get_signing_key_from_jwt(token)
        return jwt.decode(
            token,
            key=key,
            algorithms=ALGORITHMS,
            audience=self.oauth.audience,
            issuer=self.oauth.issuer,
            leeway=LEEWAY_S,
            options={"require": ["exp", "iss", "aud", "sub"]},
        )

    def _keys(self) -> jwt.PyJWKClient:
        if self._jwks is None:
            self._jwks = jwt.PyJWKClient(
                self.oauth.jwks_url or discover_jwks_url(self.oauth.issuer.rstrip("/")), cache_keys=True
            )
        return self._jwks


def discover_jwks_url(issuer: str) -> str:
    """jwks_uri from the issuer's RFC 8414 metadata, else its OpenID Connect configuration."""
    for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        answer = httpx2.get(issuer + suffix, timeout=10)
        if answer.status_code == 200:
            return str(answer.json()["jwks_uri"])
    raise ValueError(f"{issuer} publishes no authorization server metadata with a jwks_uri")


class OAuthGate:
    """The check in front of the MCP endpoints, and the metadata document clients start from."""

    def __init__(self, oauth: OAuthSettings) -> None:
        self.oauth = oauth
        self.verifier = JwtVerifier(oauth)
        self.metadata = ProtectedResourceMetadata(
            resource=AnyHttpUrl(oauth.resource),
            authorization_servers=[AnyHttpUrl(oauth.issuer)],
            scopes_supported=list(oauth.scopes) or None,
            resource_name="instantly-mcp",
        )

    async def metadata_endpoint(self, request: Request) -> Response:
        body = self.metadata.model_dump(mode="json", exclude_none=True)
        # As given, not as URL-normalized: clients compare the issuer identifier string for string.
        body.update(resource=self.oauth.resource, authorization_servers=[self.oauth.issuer])
        return JSONResponse(body, headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "max-age=300"})

    async def check(self, scope: Scope, token: str | None) -> Response | None:
        """None when the token is good (the user is then set on the scope), else the 401/403 answer."""
        if token is None:
            return self.refusal(401, "invalid_request", "an OAuth access token is required (Authorization: Bearer ...)")
        access = await self.verifier.verify_token(token)
        if access is None:
            return self.refusal(
                401, "invalid_token", "the access token is invalid, expired, or not issued for this server"
            )
        missing = [s for s in self.oauth.scopes if s not in access.scopes]
        if missing:
            return self.refusal(403, "insufficient_scope", f"the access token lacks the scope(s) {' '.join(missing)}")
        scope["user"] = AuthenticatedUser(access)  # replaces a --per-request-key tenant: the person is the principal
        return None

    def refusal(self, status: int, error: str, description: str) -> Response:
        challenge = (
            f'Bearer error="{error}", error_description="{description}", resource_metadata="{self.oauth.metadata_url}"'
        )
        if self.oauth.scopes:
            challenge += f', scope="{" ".join(self.oauth.scopes)}"'
        body = json.dumps({"error": error, "error_description": description})
        return Response(
            body, status_code=status, media_type="application/json", headers={"WWW-Authenticate": challenge}
        )
