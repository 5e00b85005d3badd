"""A local OAuth 2.1 authorization server for the resource-server tests: RFC 8414 metadata, a JWKS,
and a `mint` that signs access tokens with its RSA key (or any other key, to forge one).

`/authorize` signs in `person` at once (no login form) and redirects back with a code; `/token`
exchanges it, PKCE checked, for an access token whose audience is the requested resource."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from .http_server import serve_app
from .processes import free_port


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class AuthServer:
    issuer: str = ""
    key: rsa.RSAPrivateKey = field(default_factory=rsa_key)
    kid: str = "test-key-1"
    jwks_fetches: int = 0
    registrations: list[dict[str, Any]] = field(default_factory=list)
    person: str = "alice@example.com"  # who /authorize signs in
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def metadata(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": self.issuer,
                    "jwks_uri": self.issuer + "/jwks",
                    "authorization_endpoint": self.issuer + "/authorize",
                    "token_endpoint": self.issuer + "/token",
                    "registration_endpoint": self.issuer + "/register",
                    "grant_types_supported": ["authorization_code"],
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_fetches += 1
            public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return JSONResponse({"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]})

        async def register(request: Request) -> JSONResponse:  # RFC 7591 dynamic client registration
            client = await request.json()
            self.registrations.append(client)
            return JSONResponse({**client, "client_id": f"client-{len(self.registrations)}"}, status_code=201)

        async def authorize(request: Request) -> RedirectResponse:
            query = request.query_params
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "challenge": query["code_challenge"],
                "resource": query["resource"],
                "subject": self.person,
                "redirect_uri": query["redirect_uri"],
            }
            return RedirectResponse(f"{query['redirect_uri']}?code={code}&state={query['state']}", status_code=302)

        async def token(request: Request) -> JSONResponse:
            form = await request.form()
            grant = self.codes.pop(str(form["code"]), None)
            verifier = str(form.get("code_verifier", ""))
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if grant is None or challenge != grant["challenge"] or form.get("redirect_uri") != grant["redirect_uri"]:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            access = self.mint(audience=grant["resource"], subject=grant["subject"])
            return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 600})

        return Starlette(
            routes=[
                Route("/.well-known/oauth-authorization-server", metadata),
                Route("/jwks", jwks),
                Route("/register", register, methods=["POST"]),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
            ]
        )

    def mint(
        self,
        *,
        audience: str,
        subject: str = "alice@example.com",
        scope: str = "mcp:tools",
        ttl_s: int = 600,
        issuer: str | None = None,
        key: rsa.RSAPrivateKey | None = None,
        **claims: Any,
    ) -> str:
        now = int(time.time())
        body = {
            "iss": issuer or self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "exp": now + ttl_s,
            "scope": scope,
            "client_id": "claude-code",
            **claims,
        }
        return jwt.encode(body, key or self.key, algorithm="RS256", headers={"kid": self.kid})


@contextmanager
def auth_server() -> Iterator[AuthServer]:
    fake = AuthServer()
    port = free_port()
    fake.issuer = f"http://127.0.0.1:{port}"  # the metadata names it, so it is known before serving
    with serve_app(fake.app(), port=port):
        yield fake
