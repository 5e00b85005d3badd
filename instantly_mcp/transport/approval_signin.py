"""Under `--oauth-issuer` the approval page signs the person in through the same issuer.

An authorization-code flow with PKCE (public client): `--oauth-client-id`, else a client this server
registers with the issuer on first use (RFC 7591). The access token it gets is checked exactly as
on /mcp (signature, issuer, audience, expiry); its issuer and subject are the principal, which must
own the approval. The flow's state and PKCE verifier ride a short-lived signed cookie, so any replica
can finish a sign-in another began. Imported only when an issuer is configured.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import httpx2
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from instantly_mcp.transport.approvers import Passes
from instantly_mcp.transport.auth import oauth_principal
from instantly_mcp.transport.oauth import JwtVerifier, OAuthSettings

FLOW_COOKIE = "instantly_signin"
FLOW_TTL_S = 600
CALLBACK = "/signin/callback"


class SignIn:
    """The two routes of the flow and the token check shared with the JSON API."""

    def __init__(self, oauth: OAuthSettings, prefix: str, base_url: str, client_id: str | None) -> None:
        self.oauth = oauth
        self.verifier = JwtVerifier(oauth)
        self.prefix = prefix
        self.redirect_uri = base_url.rstrip("/") + prefix + CALLBACK
        self.client_id = client_id
        self._endpoints: dict[str, Any] | None = None

    async def principal_of_token(self, token: str) -> str | None:
        access = await self.verifier.verify_token(token)
        if access is None or access.subject is None:
            return None
        if any(scope not in access.scopes for scope in self.oauth.scopes):
            return None
        return oauth_principal(str((access.claims or {}).get("iss", "")), access.subject)

    async def start(self, request: Request, passes: Passes) -> Response:
        """Off to the issuer; `next` is the approval to come back to."""
        back = request.query_params.get("next", "")
        if not back.replace("-", "").replace("_", "").isalnum():
            back = ""
        endpoints = await self.endpoints()
        client_id = await self.client()
        state, verifier = secrets.token_urlsafe(16), secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": self.redirect_uri,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "resource": self.oauth.resource,
        }
        if self.oauth.scopes:
            query["scope"] = " ".join(self.oauth.scopes)
        response = RedirectResponse(f"{endpoints['authorization_endpoint']}?{urlencode(query)}", status_code=303)
        flow = f"{state}.{verifier}.{back}.{int(time.time()) + FLOW_TTL_S}"
        response.set_cookie(
            FLOW_COOKIE,
            f"{flow}.{passes.csrf(flow)}",
            max_age=FLOW_TTL_S,
            httponly=True,
            samesite="lax",  # the issuer's redirect back is a cross-site navigation
            secure=self.redirect_uri.startswith("https://"),
            path=self.prefix,
        )
        return response

    async def finish(self, request: Request, passes: Passes) -> tuple[str | None, str, str | None]:
        """(principal, approval id to return to, why it was refused): the code exchanged and the token checked."""
        flow, _, mac = (request.cookies.get(FLOW_COOKIE) or "").rpartition(".")
        parts = flow.split(".")
        fresh = len(parts) == 4 and parts[3].isascii() and parts[3].isdigit() and int(parts[3]) >= time.time()
        if not fresh or not secrets.compare_digest(mac, passes.csrf(flow)):
            return None, "", ("The sign-in expired or was not started here: open the approval page again.")
        state, verifier, back, _ = parts
        if not secrets.compare_digest(request.query_params.get("state", ""), state):
            return None, back, ("The sign-in answer does not match its request: open the approval page again.")
        code = request.query_params.get("code")
        if not code:
            reason = request.query_params.get("error", "no code")
            return None, back, (f"The sign-in was not completed ({reason}).")
        endpoints = await self.endpoints()
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": await self.client(),
            "code_verifier": verifier,
            "resource": self.oauth.resource,
        }
        async with httpx2.AsyncClient(timeout=10, trust_env=False) as http:
            answer = await http.post(endpoints["token_endpoint"], data=form)
        token = answer.json().get("access_token") if answer.status_code == 200 else None
        principal = await self.principal_of_token(token) if isinstance(token, str) else None
        if principal is None:
            return None, back, ("The issuer's token was not accepted for this server: nothing was decided.")
        return principal, back, None

    async def endpoints(self) -> dict[str, Any]:
        if self._endpoints is None:
            issuer = self.oauth.issuer.rstrip("/")
            async with httpx2.AsyncClient(timeout=10, trust_env=False) as http:
                for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
                    answer = await http.get(issuer + suffix)
                    if answer.status_code == 200:
                        self._endpoints = answer.json()
                        break
            if self._endpoints is None:
                raise RuntimeError(f"{issuer} publishes no authorization server metadata")
        return self._endpoints

    async def client(self) -> str:
        """--oauth-client-id, else one registered with the issuer (once per process)."""
        if self.client_id is None:
            registration = (await self.endpoints()).get("registration_endpoint")
            if not registration:
                raise RuntimeError("the issuer offers no client registration: set --oauth-client-id")
            body = {
                "client_name": "instantly-mcp approvals",
                "redirect_uris": [self.redirect_uri],
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "token_endpoint_auth_method": "none",
            }
            async with httpx2.AsyncClient(timeout=10, trust_env=False) as http:
                answer = await http.post(registration, json=body)
            self.client_id = str(answer.json()["client_id"])
        return self.client_id
