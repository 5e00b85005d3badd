"""Real HTTP servers on 127.0.0.1 for the transport tests: `instantly-mcp --transport http|sse` in a
subprocess, and a fake Instantly API in a thread that answers with per-key data and records keys."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from instantly_mcp.upstream.client import key_fingerprint

from .processes import free_port, stop_process_group

ROOT = Path(__file__).resolve().parents[2]
# A raw initialize request and the headers streamable HTTP wants, for tests that speak plain HTTP.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def clean_env(**extra: str) -> dict[str, str]:
    """The test environment without any INSTANTLY_* variable, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**env, **extra}


@dataclass
class McpHttpServer:
    """`python -m instantly_mcp.cli <args>` listening on a free port; stderr goes to a file."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    command: tuple[str, ...] = (sys.executable, "-m", "instantly_mcp.cli")
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return self.base + "/mcp"

    @property
    def sse_url(self) -> str:
        return self.base + "/sse"

    def start(self, timeout: float = 30.0) -> McpHttpServer:
        self.port = free_port()
        command = [*self.command, *self.args, "--port", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if httpx2.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def signal(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        os.killpg(self.proc.pid, sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_process_group(proc, timeout=15)


@contextmanager
def mcp_http_server(
    tmp_path: Path, *args: str, command: tuple[str, ...] | None = None, **env: str
) -> Iterator[McpHttpServer]:
    log = tmp_path / f"server-{time.monotonic_ns()}.log"
    server = McpHttpServer(list(args), clean_env(**env), log, *(() if command is None else (command,))).start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class FakeInstantly:
    """A tiny Instantly API: block list entries whose values name the fingerprint of the key that
    asked for them (the server scrubs the key itself from every result).

    `seen` records (key, method, path) of every request; `delay_s` slows every answer down, and
    `hold` (when given) keeps every answer back until it is set.
    """

    delay_s: float = 0.0
    seen: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""
    hold: threading.Event | None = None

    async def _delay(self) -> None:
        await asyncio.sleep(self.delay_s)
        while self.hold is not None and not self.hold.is_set():
            await asyncio.sleep(0.01)

    def app(self) -> Starlette:
        async def entries(request: Request) -> JSONResponse:
            owner = key_fingerprint(self._record(request))
            await self._delay()
            limit = int(request.query_params.get("limit", "2"))
            items = [
                {"id": f"{owner}-entry-{i}", "bl_value": f"{owner}.example", "is_domain": True} for i in range(limit)
            ]
            return JSONResponse({"items": items, "next_starting_after": None})

        async def entry(request: Request) -> JSONResponse:
            owner = key_fingerprint(self._record(request))
            await self._delay()
            return JSONResponse({"id": request.path_params["id"], "bl_value": f"{owner}.example", "is_domain": True})

        return Starlette(
            routes=[
                Route("/api/v2/block-lists-entries", entries, methods=["GET"]),
                Route("/api/v2/block-lists-entries/{id}", entry, methods=["GET", "DELETE"]),
            ]
        )

    def _record(self, request: Request) -> str:
        key = request.headers.get("authorization", "").removeprefix("Bearer ")
        self.seen.append((key, request.method, request.url.path))
        return key


@contextmanager
def serve_app(app: Any, *, lifespan: str = "off", port: int | None = None) -> Iterator[str]:
    """Any ASGI app on 127.0.0.1 (a free port unless given), in a thread of this process; yields its base URL."""
    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def fake_instantly(**options: Any) -> Iterator[FakeInstantly]:
    fake = FakeInstantly(**options)
    with serve_app(fake.app()) as url:
        fake.url = url
        yield fake


def payload(result: Any) -> Any:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)
