"""The HTTP transports as users run them: `instantly-mcp --transport http|sse` in a subprocess on
127.0.0.1, driven by the SDK client (both protocol generations, legacy SSE) and by plain HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.sse import sse_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import LOG_LEVEL_META_KEY

from instantly_mcp.upstream.client import key_fingerprint

from support.http_server import ACCEPT, INIT, fake_instantly, mcp_http_server, payload

MODES = ["legacy", "auto"]


@asynccontextmanager
async def connect(
    url: str, *, mode: str = "legacy", headers: dict[str, str] | None = None, **options
) -> AsyncIterator[Client]:
    """The SDK client over streamable HTTP (url ends in /mcp) or legacy SSE (url ends in /sse)."""
    if url.endswith("/sse"):
        async with Client(sse_client(url, headers=headers), mode="legacy", **options) as client:
            yield client
        return
    async with (
        create_mcp_http_client(headers=headers) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode, **options) as client,
    ):
        yield client


def first_json(response: httpx2.Response) -> dict:
    """The JSON-RPC message of a plain JSON or single-event SSE answer."""
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        data = [
            line[5:].strip() for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()
        ]
        return json.loads(data[0])
    return response.json()


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")  # ping, on legacy sessions
def test_http_serves_both_protocol_generations_and_legacy_sse(tmp_path: Path) -> None:
    async def run(server) -> list[tuple[str, str, int, dict]]:
        seen = []
        for url, mode in [(server.url, "legacy"), (server.url, "auto"), (server.sse_url, "legacy")]:
            async with connect(url, mode=mode) as client:
                tools = (await client.list_tools()).tools
                page = payload(await client.call_tool("list_block_list_entries", {"limit": 2}))
                if mode == "legacy":  # ping is gone from 2026-07-28
                    await client.send_ping()
                seen.append((url.rsplit("/", 1)[1], client.protocol_version, len(tools), page))
        return seen

    with mcp_http_server(tmp_path, "--transport", "http") as server:
        seen = anyio.run(run, server)
        health = httpx2.get(server.base + "/healthz").json()
    assert [(path, version, count) for path, version, count, _ in seen] == [
        ("mcp", "2025-11-25", 255),
        ("mcp", "2026-07-28", 255),
        ("sse", "2025-11-25", 255),
    ]
    assert all(len(page["items"]) == 2 for *_, page in seen)
    assert health["status"] == "ok" and health["tools"] == 255 and health["stateless"] is False
    assert "serving the built-in SANDBOX" in server.log() and "/mcp (streamable HTTP)" in server.log()


def test_sse_transport_serves_only_the_legacy_endpoints(tmp_path: Path) -> None:
    async def run(server):
        async with connect(server.sse_url) as client:
            return len((await client.list_tools()).tools)

    with mcp_http_server(tmp_path, "--transport", "sse") as server:
        assert anyio.run(run, server) == 255
        assert httpx2.post(server.url, json=INIT, headers=ACCEPT).status_code == 404


def test_dns_rebinding_protection_checks_host_and_origin(tmp_path: Path) -> None:
    with mcp_http_server(tmp_path, "--transport", "http") as server:

        def post(**headers: str) -> httpx2.Response:
            return httpx2.post(server.url, json=INIT, headers={**ACCEPT, **headers}, timeout=10)

        assert post().status_code == 200
        assert post(Origin=f"http://localhost:{server.port}").status_code == 200
        evil_host = post(Host="evil.example")
        assert evil_host.status_code == 421 and "Host" in evil_host.json()["error"]["message"]
        assert post(Host=f"evil.example:{server.port}").status_code == 421
        assert post(Origin="http://evil.example").status_code == 403
        assert post(Origin=f"http://evil.example:{server.port}").status_code == 403
        assert httpx2.get(server.sse_url, headers={"Host": "evil.example"}, timeout=10).status_code == 421
        assert httpx2.get(server.base + "/healthz", headers={"Host": "evil.example"}).status_code == 200


def test_public_bind_needs_allowed_hosts_and_then_checks_them(tmp_path: Path) -> None:
    from instantly_mcp.config import Settings
    from instantly_mcp.errors import ConfigError

    with pytest.raises(ConfigError, match="--allowed-hosts"):
        Settings(transport="http", host="0.0.0.0")
    with mcp_http_server(
        tmp_path,
        "--transport",
        "http",
        INSTANTLY_MCP_ALLOWED_HOSTS="mcp.example.com",
        INSTANTLY_MCP_ALLOWED_ORIGINS="https://app.example.com",
    ) as server:
        ok = httpx2.post(
            server.url, json=INIT, headers={**ACCEPT, "Host": "mcp.example.com", "Origin": "https://app.example.com"}
        )
        assert ok.status_code == 200
        assert httpx2.post(server.url, json=INIT, headers={**ACCEPT, "Host": "other.example.com"}).status_code == 421


def test_bearer_token_guards_every_mcp_endpoint(tmp_path: Path) -> None:
    token = "s3cret-token-for-tests-7f1c"

    async def run(server) -> tuple[int, int]:
        good = {"Authorization": f"Bearer {token}"}
        async with connect(server.url, headers=good) as client:
            via_http = len((await client.list_tools()).tools)
        async with connect(server.sse_url, headers=good) as client:
            via_sse = len((await client.list_tools()).tools)
        return via_http, via_sse

    with mcp_http_server(tmp_path, "--transport", "http", INSTANTLY_MCP_AUTH_TOKEN=token) as server:
        missing = httpx2.post(server.url, json=INIT, headers=ACCEPT)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
        # A client that sent no token (Claude Code without --header) is told which header to send.
        for told in (missing.headers["www-authenticate"], missing.json()["error"]["message"]):
            assert "send the header Authorization: Bearer <token>" in told and "--header" in told
        for wrong in ("Bearer nope", f"Bearer {token}x", f"Basic {token}", token[:-1]):
            assert httpx2.post(server.url, json=INIT, headers={**ACCEPT, "Authorization": wrong}).status_code == 401
        assert httpx2.get(server.sse_url, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx2.post(server.base + "/messages/?session_id=" + "0" * 32, json=INIT).status_code == 401
        assert httpx2.get(server.base + "/healthz").status_code == 200
        assert anyio.run(run, server) == (255, 255)
        assert token not in server.log()


def test_per_request_key_keeps_tenants_apart(tmp_path: Path) -> None:
    keys = {"alpha": "sk-tenant-alpha-5b7d2e0c", "beta": "sk-tenant-beta-9a4f1c3e"}

    async def tenant(server, name: str, mode: str) -> list[dict]:
        async with connect(server.url, mode=mode, headers={"X-Instantly-Api-Key": keys[name]}) as client:
            return [payload(await client.call_tool("list_block_list_entries", {"limit": 2})) for _ in range(5)]

    async def concurrently(server) -> dict[str, list[dict]]:
        results: dict[str, list[dict]] = {}

        async def one(name: str, mode: str) -> None:
            results[f"{name}/{mode}"] = await tenant(server, name, mode)

        async with anyio.create_task_group() as tg:
            for name in keys:
                for mode in MODES:
                    tg.start_soon(one, name, mode)
        return results

    async def confirm_across_tenants(server) -> tuple[dict, str, str]:
        args = {"id": "0190c0de-0000-7000-8000-0000000e0001"}
        async with connect(server.url, headers={"X-Instantly-Api-Key": keys["alpha"]}) as alpha:
            asked = payload(await alpha.call_tool("delete_block_list_entry", args))
        async with connect(server.url, headers={"X-Instantly-Api-Key": keys["beta"]}) as beta:
            stolen = await beta.call_tool("delete_block_list_entry", {**args, "confirm_token": asked["confirm_token"]})
        async with connect(server.url, headers={"X-Instantly-Api-Key": keys["alpha"]}) as alpha:
            used = await alpha.call_tool("delete_block_list_entry", {**args, "confirm_token": asked["confirm_token"]})
        return (
            asked,
            stolen.content[0].text if stolen.is_error else "NOT REFUSED",
            used.content[0].text if not used.is_error else "REFUSED",
        )

    with (
        fake_instantly() as fake,
        mcp_http_server(
            tmp_path, "--transport", "http", "--per-request-key", "--confirm", "token", INSTANTLY_BASE_URL=fake.url
        ) as server,
    ):
        results = anyio.run(concurrently, server)
        for name, key in keys.items():
            for mode in MODES:
                values = {item["bl_value"] for page in results[f"{name}/{mode}"] for item in page["items"]}
                assert values == {f"{key_fingerprint(key)}.example"}, (name, mode, values)
        assert {k for k, *_ in fake.seen} == set(keys.values())

        # no key, or a session opened by another tenant: refused before anything reaches Instantly
        before = len(fake.seen)
        missing = httpx2.post(server.url, json=INIT, headers=ACCEPT)
        assert missing.status_code == 401 and "X-Instantly-Api-Key" in missing.json()["error"]["message"]
        opened = httpx2.post(server.url, json=INIT, headers={**ACCEPT, "X-Instantly-Api-Key": keys["alpha"]})
        session = {"mcp-session-id": opened.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"}
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "list_block_list_entries", "arguments": {}},
        }
        hijack = httpx2.post(server.url, json=call, headers={**ACCEPT, **session, "X-Instantly-Api-Key": keys["beta"]})
        assert hijack.status_code == 404
        assert len(fake.seen) == before

        asked, stolen, used = anyio.run(confirm_across_tenants, server)
        assert asked["status"] == "confirmation_required"
        assert "different call" in stolen and "API key" in stolen
        assert not any(method == "DELETE" and key == keys["beta"] for key, method, _ in fake.seen)
        assert used != "REFUSED" and [(k, m) for k, m, _ in fake.seen if m == "DELETE"] == [(keys["alpha"], "DELETE")]
        log = server.log()
        assert "multi-tenant" in log
        assert not any(key in log for key in keys.values())


def test_stateless_replicas_share_confirmations_and_keep_no_sessions(tmp_path: Path) -> None:
    shared = {
        "INSTANTLY_API_KEY": "sk-replica-key-4c1b9d",
        "INSTANTLY_MCP_SECRET": "shared-secret-for-replicas-0b1e-0123456789",
    }

    async def run(a, b, c) -> tuple[dict, bool, str, list[str]]:
        args = {"id": "0190c0de-0000-7000-8000-0000000e0007"}
        async with connect(a.url) as client:
            asked = payload(await client.call_tool("delete_block_list_entry", args))
        async with connect(b.url, mode="auto") as client:  # another replica, the other protocol generation
            done = await client.call_tool("delete_block_list_entry", {**args, "confirm_token": asked["confirm_token"]})
        async with connect(c.url) as client:  # a replica with another secret cannot vouch for it
            foreign = await client.call_tool(
                "delete_block_list_entry", {**args, "confirm_token": asked["confirm_token"]}
            )
        versions = []
        for mode in MODES:
            async with connect(a.url, mode=mode) as client:
                await client.list_tools()
                versions.append(client.protocol_version)
        return asked, done.is_error, foreign.content[0].text, versions

    with fake_instantly() as fake:
        common = ("--transport", "http", "--stateless", "--base-url", fake.url, "--confirm", "token")
        with (
            mcp_http_server(tmp_path, *common, **shared) as a,
            mcp_http_server(tmp_path, *common, **shared) as b,
            mcp_http_server(
                tmp_path, *common, **{**shared, "INSTANTLY_MCP_SECRET": "another-secret-of-at-least-32-bytes-99"}
            ) as c,
        ):
            asked, failed, foreign, versions = anyio.run(run, a, b, c)
            opened = httpx2.post(a.url, json=INIT, headers=ACCEPT)
            sse = httpx2.get(a.sse_url)
            health = httpx2.get(a.base + "/healthz").json()
    assert asked["status"] == "confirmation_required" and not failed
    assert "different call" in foreign
    assert [m for _, m, _ in fake.seen].count("DELETE") == 1
    assert versions == ["2025-11-25", "2026-07-28"]
    assert opened.status_code == 200 and "mcp-session-id" not in opened.headers
    assert sse.status_code == 404 and health["stateless"] is True


def test_several_workers_answer_and_accept_each_others_tokens(tmp_path: Path) -> None:
    async def run(server) -> tuple[int, int]:
        ok = 0
        for n in range(6):  # new connections, spread over the workers by the kernel
            async with connect(server.url) as client:
                asked = payload(
                    await client.call_tool("delete_block_list_entry", {"id": f"0190c0de-0000-7000-8000-0000000e000{n}"})
                )
            async with connect(server.url) as client:
                done = await client.call_tool(
                    "delete_block_list_entry",
                    {"id": f"0190c0de-0000-7000-8000-0000000e000{n}", "confirm_token": asked["confirm_token"]},
                )
                ok += not done.is_error
                assert not done.is_error, done.content[0].text
        return ok, 6

    with (
        fake_instantly() as fake,
        mcp_http_server(
            tmp_path,
            "--transport",
            "http",
            "--stateless",
            "--workers",
            "2",
            "--confirm",
            "token",
            "--base-url",
            fake.url,
            INSTANTLY_API_KEY="sk-workers-key-77aa31",
        ) as server,
    ):
        ok, total = anyio.run(run, server)
        children = worker_processes(server.proc.pid)
    assert ok == total
    assert len(children) >= 2, children


def worker_processes(parent: int) -> list[int]:
    """Python child processes of `parent` (uvicorn's workers), read from /proc."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and b"multiprocessing" in cmdline and b"resource_tracker" not in cmdline:
            found.append(int(entry))
    return found


def test_shutdown_lets_calls_in_flight_finish(tmp_path: Path) -> None:
    """SIGTERM while three slow calls are in flight (streamable HTTP in both generations, legacy SSE):
    all three answers arrive, new connections are refused, and the process exits 0."""

    async def run(server, fake) -> dict[str, object]:
        results: dict[str, object] = {}

        async def call(label: str, url: str, mode: str) -> None:
            try:
                async with connect(url, mode=mode) as client:
                    await client.list_tools()  # the SDK client lists tools after a call if it has not yet
                    results[label] = payload(await client.call_tool("list_block_list_entries", {"limit": 1}))
            except Exception as exc:  # closing the session after shutdown fails; the answer counts
                results.setdefault(label, exc)

        async with anyio.create_task_group() as tg:
            tg.start_soon(call, "http-legacy", server.url, "legacy")
            tg.start_soon(call, "http-auto", server.url, "auto")
            tg.start_soon(call, "sse", server.sse_url, "legacy")
            with anyio.fail_after(10):
                while len(fake.seen) < 3:
                    await anyio.sleep(0.02)
            server.signal(signal.SIGTERM)
            with anyio.fail_after(10):  # the answers are held back until the server says it is draining
                while "waiting for" not in server.log():
                    await anyio.sleep(0.02)
            fake.hold.set()
        return results

    with (
        fake_instantly(hold=threading.Event()) as fake,
        mcp_http_server(
            tmp_path, "--transport", "http", "--base-url", fake.url, INSTANTLY_API_KEY="sk-drain-key-31f0aa"
        ) as server,
    ):
        results = anyio.run(run, server, fake)
        code = server.wait(15)
        with pytest.raises(httpx2.ConnectError):
            httpx2.get(server.base + "/healthz", timeout=2)
    for label in ("http-legacy", "http-auto", "sse"):
        assert isinstance(results.get(label), dict), (label, results.get(label), server.log())
        assert results[label]["items"][0]["bl_value"] == f"{key_fingerprint('sk-drain-key-31f0aa')}.example"
    assert code in (0, -signal.SIGTERM), server.log()  # uvicorn re-raises the signal once it has shut down
    assert "waiting for" in server.log()


@pytest.mark.filterwarnings("ignore::mcp.shared.exceptions.MCPDeprecationWarning")  # logging/setLevel
def test_progress_and_log_notifications_over_http(tmp_path: Path) -> None:
    """A multi-request call (auto-pagination) reports progress per page when the client asks for it,
    and logs each upstream request at the level the client set."""

    async def run(server):
        progress: list[tuple[float, float | None, str | None]] = []
        logs: list[tuple[str, object]] = []

        async def on_progress(done: float, total: float | None, message: str | None) -> None:
            progress.append((done, total, message))

        async def on_log(params) -> None:
            logs.append((params.level, params.data))

        async with connect(server.url, logging_callback=on_log) as client:
            await client.set_logging_level("debug")
            result = await client.call_tool(
                "list_block_list_entries", {"limit": 1, "max_items": 3}, progress_callback=on_progress
            )
            quiet = await client.call_tool("list_block_list_entries", {"limit": 1})
        return payload(result), progress, logs, quiet

    with mcp_http_server(tmp_path, "--transport", "http") as server:
        page, progress, logs, quiet = anyio.run(run, server)
    assert len(page["items"]) == 3
    assert len(progress) >= 3, progress
    values = [done for done, *_ in progress]
    assert values == sorted(set(values)) and values[-1] == 3
    assert any(total == 3 for _, total, _ in progress)
    requests = [data for level, data in logs if level == "debug"]
    assert sum("GET /api/v2/block-lists-entries" in str(d) for d in requests) >= 4  # 3 pages + the quiet call
    assert not quiet.is_error


def test_log_notifications_follow_each_requests_opt_in_on_the_2026_protocol(tmp_path: Path) -> None:
    """On 2026-07-28 there is no logging/setLevel: a call hears its upstream requests logged only when
    its own _meta asks for that level, and a call that does not ask hears nothing."""

    async def run(server):
        logs: list[tuple[str, object]] = []

        async def on_log(params) -> None:
            logs.append((params.level, params.data))

        async with connect(server.url, mode="auto", logging_callback=on_log) as client:
            quiet = await client.call_tool("list_block_list_entries", {"limit": 1})
            heard_before = list(logs)
            asked = await client.call_tool("list_block_list_entries", {"limit": 1}, meta={LOG_LEVEL_META_KEY: "debug"})
            too_high = await client.call_tool(
                "list_block_list_entries", {"limit": 1}, meta={LOG_LEVEL_META_KEY: "warning"}
            )
        return quiet, heard_before, asked, too_high, logs

    with mcp_http_server(tmp_path, "--transport", "http") as server:
        quiet, heard_before, asked, too_high, logs = anyio.run(run, server)
    assert not quiet.is_error and not asked.is_error and not too_high.is_error
    assert heard_before == []
    assert [level for level, _ in logs] == ["debug"], logs
    assert "GET /api/v2/block-lists-entries" in str(logs[0][1])


def test_fingerprint_is_what_tenants_are_known_by() -> None:
    assert key_fingerprint("sk-a") != key_fingerprint("sk-b") and len(key_fingerprint("sk-a")) == 16


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"per_request_key": True}, "--per-request-key needs --transport http or sse"),
        ({"transport": "http", "per_request_key": True, "api_key": "sk-house"}, "INSTANTLY_API_KEY is set together"),
        ({"transport": "sse", "stateless": True}, "--stateless needs --transport http"),
        ({"transport": "http", "workers": 2}, "--workers 2 needs --transport http --stateless"),
        ({"transport": "http", "workers": 0}, "--workers must be at least 1"),
        ({"transport": "http", "port": 70000}, "--port must be between"),
        ({"transport": "ftp"}, "--transport must be one of"),
    ],
)
def test_hosting_options_that_do_not_fit_together_are_refused(options: dict, message: str) -> None:
    from instantly_mcp.config import Settings
    from instantly_mcp.errors import ConfigError

    with pytest.raises(ConfigError, match=re.escape(message)):
        Settings(**options)


def test_per_request_key_never_falls_back_to_a_server_key() -> None:
    from instantly_mcp.config import Settings
    from instantly_mcp.transport.runtime import api_key_in_use

    settings = Settings(transport="http", per_request_key=True, base_url="https://api.instantly.ai")
    assert not settings.uses_sandbox and api_key_in_use(settings) is None
    assert Settings(transport="http", per_request_key=True, sandbox=True).uses_sandbox
