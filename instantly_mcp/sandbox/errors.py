"""Instantly's (Fastify-style) error bodies, raised from anywhere in the sandbox."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"statusCode": status, "error": reason(status), "message": message}


class SandboxHttpError(Exception):
    """An error answered with Instantly's `{statusCode, error, message}` body (or a custom one)."""

    def __init__(self, status: int, message: str, *, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.body = error_body(status, message) if body is None else body
        self.headers = headers or {}


def bad_request(message: str) -> SandboxHttpError:
    return SandboxHttpError(400, message)


def not_found(message: str) -> SandboxHttpError:
    return SandboxHttpError(404, message)
