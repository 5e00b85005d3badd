"""Finding 6: an upstream that echoes secrets back (whole, lower- or upper-cased, straddling the
1,000-character cut of error messages, in a success body) leaks none of them: not in results,
errors, progress or log notifications, stderr (retry warnings) or the audit log. The secrets in
play are the server's key, a tenant's key, the bearer token and the confirmation secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import mcp_types as types
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from security.conftest import API_KEY, Target, audit_lines, text

from support.http_server import serve_app

AUTH_TOKEN = "bearer-TOKEN-for-security-tests-4c1d9e"
SECRET = "confirmation-SECRET-for-security-tests-0123456789abcdef"
TENANT_KEY = "tenant_KEY_for_security_tests_b7e2a9"
CUT = 1000  # where error messages used to be cut before redaction


def echo_app() -> Starlette:
    """An Instantly that repeats back whatever key it was sent and whatever body it got."""
    failures: dict[str, int] = {}

    def key_of(request: Request) -> str:
        return request.headers.get("authorization", "").removeprefix("Bearer ")

    async def api_keys(request: Request) -> JSONResponse:
        key = key_of(request)
        items = [{"id": "k1", "name": "server", "key": key}, {"id": "k2", "name": "copy", "key": key.lower()}]
        return JSONResponse({"items": items, "next_starting_after": None})

    async def campaign(request: Request) -> JSONResponse:
        key = key_of(request)
        failures[request.url.path] = failures.get(request.url.path, 0) + 1
        status = 500 if failures[request.url.path] == 1 else 404  # one retry, whose warning goes to stderr
        message = "x" * (CUT - 10) + key + " also " + key.lower()
        return JSONResponse({"error": "Not Found", "message": message}, status_code=status)

    async def write(request: Request) -> JSONResponse:
        body = (await request.body()).decode()
        return JSONResponse(
            {"error": "Bad Request", "message": f"{key_of(request).upper()} rejected {body}"}, status_code=400
        )

    return Starlette(
        routes=[
            Route("/api/v2/api-keys", api_keys, methods=["GET"]),
            Route("/api/v2/campaigns/{id}", campaign, methods=["GET"]),
            Route("/api/v2/custom-tags", write, methods=["POST"]),
        ]
    )


@pytest.fixture
def echo_url() -> Iterator[str]:
    with serve_app(echo_app()) as url:
        yield url + "/api/v2/"


def leaks(secret: str, texts: list[str]) -> list[str]:
    """Texts that hold the secret or its first 10 characters, in any case."""
    probe = secret[:10].lower()
    return [t[:200] for t in texts if probe in t.lower()]


async def attack(client: Any, notices: list[str]) -> list[types.CallToolResult]:
    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        notices.append(message or "")

    results = [await client.call_tool("list_api_keys", {}, progress_callback=on_progress)]
    campaign_id = "0190c0de-0000-7000-8000-00000000c001"  # well-formed, so it reaches the echoing upstream
    results.append(await client.call_tool("get_campaign", {"id": campaign_id}, progress_callback=on_progress))
    label = f"{AUTH_TOKEN} {SECRET.upper()} {TENANT_KEY.lower()}"
    results.append(await client.call_tool("create_custom_tag", {"label": label}, progress_callback=on_progress))
    return results


def test_no_secret_leaves_the_server(target: Target, echo_url: str) -> None:
    notices: list[str] = []

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        notices.append(json.dumps(params.data))

    async def run() -> list[types.CallToolResult]:
        env = {"INSTANTLY_BASE_URL": echo_url, "INSTANTLY_MCP_AUTH_TOKEN": AUTH_TOKEN, "INSTANTLY_MCP_SECRET": SECRET}
        with target.serve(**env) as served:
            headers = {"Authorization": f"Bearer {AUTH_TOKEN}"}
            async with served.connect(headers=headers, logging_callback=on_log) as client:
                return await attack(client, notices)

    results = anyio.run(run)
    texts = [text(r) for r in results]
    assert f'"key":"…{API_KEY[-4:]}"' in texts[0] and not results[0].is_error  # a listed key shows its last 4 only
    assert results[1].is_error and "404" in texts[1] and results[2].is_error
    assert any("failed" in n for n in notices), "no log notification was received to check"
    everything = [*texts, *notices, target.log(), target.audit_path.read_text()]
    for secret in (API_KEY, AUTH_TOKEN, SECRET):
        assert not leaks(secret, everything), (secret[:10], leaks(secret, everything))
    assert "retry 1/" in target.log()
    assert [line["tool"] for line in audit_lines(target.audit_path)] == ["create_custom_tag"]


@pytest.mark.parametrize("transport", ["http"])
def test_a_tenants_key_is_scrubbed_from_its_results(target: Target, echo_url: str) -> None:
    notices: list[str] = []

    async def run() -> list[types.CallToolResult]:
        with target.serve("--per-request-key", INSTANTLY_BASE_URL=echo_url, INSTANTLY_API_KEY="") as served:
            async with served.connect(headers={"X-Instantly-Api-Key": TENANT_KEY}) as client:
                return await attack(client, notices)

    results = anyio.run(run)
    texts = [text(r) for r in results]
    assert f'"key":"…{TENANT_KEY[-4:]}"' in texts[0] and not results[0].is_error  # a listed key shows its last 4 only
    everything = [*texts, *notices, target.log(), target.audit_path.read_text()]
    assert not leaks(TENANT_KEY, everything), leaks(TENANT_KEY, everything)
