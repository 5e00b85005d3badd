"""A local OAuth 2.1 authorization server for the resource-server tests: RFC 8414 metadata, a JWKS,
and a `mint` that signs access tokens with its RSA key (or any other key, to forge one)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
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

        return Starlette(
            routes=[
                Route("/.well-known/oauth-authorization-server", metadata),
                Route("/jwks", jwks),
                Route("/register", register, methods=["POST"]),
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
