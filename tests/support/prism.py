"""Prism, the OpenAPI mock server, run on the vendored Instantly spec for the tests.

The `prism_url` session fixture starts
    node22 scripts/node/node_modules/.bin/prism mock -h 127.0.0.1 -p PORT <tmp>/openapi.merged.json
(the vendored spec plus tool_specs/source/supplement.json, as the generator and the sandbox read it)
waits until it answers and yields "http://127.0.0.1:PORT".

Prism validates every request against the spec (security, path, query, body,
content type) and answers a valid one from the spec's examples with the lowest
declared 2xx status. An invalid request gets the operation's declared 400 (with
the spec's example body) when there is one, else a 422 application/problem+json
body whose `validation` lists the reasons; either way the reasons are also in
the `sl-violations` response header (see `request_violations`).

`--errors` is deliberately NOT passed: it changes nothing for requests but turns
*response* violations into 500s, and ~27 of the spec's own response examples do
not match their schemas (dates in `format: date` fields etc.), so valid requests
to those operations would fail. Without it such violations only show up in the
`sl-violations` header with location ["response", ...].

Set INSTANTLY_TEST_PRISM_URL to reuse an already running Prism (faster reruns).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from instantly_mcp.catalog.source_spec import write_merged

from .node import REPO_ROOT, NodeToolMissing, node22, npx_bin
from .processes import free_port, stop_process_group

SPEC_PATH = REPO_ROOT / "tool_specs" / "source" / "openapi.json"
STARTUP_TIMEOUT = 120.0


class PrismError(RuntimeError):
    pass


class PrismServer:
    """One Prism mock process; use as a context manager or call start()/stop()."""

    def __init__(self, spec: Path = SPEC_PATH, *, log_path: Path, host: str = "127.0.0.1") -> None:
        self.spec = spec
        self.host = host
        self.log_path = log_path
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        # Run the CLI's JS with Node 22 (Prism 5.16 declares node >= 24.18 but works on 20 and 22).
        return [str(node22()), str(npx_bin("prism")), "mock", "-h", self.host, "-p", str(self.port), str(self.spec)]

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def start(self, timeout: float = STARTUP_TIMEOUT) -> str:
        for _attempt in range(3):  # a new port if another process grabbed ours first
            self.port = free_port()
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    self.command(),
                    cwd=REPO_ROOT,
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            if self._wait_ready(timeout):
                return self.url
            if "EADDRINUSE" not in self._log_tail():
                break
        self.stop()
        raise PrismError(f"Prism did not start within {timeout:.0f}s; log {self.log_path}:\n{self._log_tail()}")

    def _wait_ready(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with httpx2.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.proc is None or self.proc.poll() is not None:
                    return False
                try:
                    client.get(self.url + "/")  # any HTTP answer (404 "no path matched") means ready
                    return True
                except httpx2.TransportError:
                    time.sleep(0.2)
        return False

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        stop_process_group(proc, timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def request_violations(response: httpx2.Response) -> list[dict]:
    """Prism's reasons for rejecting the request (empty for a request it accepted).

    Read from the `sl-violations` header (entries located under "request"), and
    from the `validation` list of Prism's own 422 problem+json body.
    """
    found: list[dict] = []
    header = response.headers.get("sl-violations")
    if header:
        found += [v for v in json.loads(header) if (v.get("location") or [None])[0] == "request"]
    if response.headers.get("content-type", "").startswith("application/problem+json"):
        found += [v for v in response.json().get("validation", []) if v not in found]
    return found


@pytest.fixture(scope="session")
def prism_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a Prism mock of the vendored Instantly spec, for the whole session."""
    external = os.environ.get("INSTANTLY_TEST_PRISM_URL")
    if external:
        yield external.rstrip("/")
        return
    try:
        folder = tmp_path_factory.mktemp("prism")
        server = PrismServer(write_merged(folder / "openapi.merged.json"), log_path=folder / "prism.log")
        url = server.start()
    except (NodeToolMissing, PrismError) as exc:
        pytest.fail(f"Prism mock server unavailable: {exc}", pytrace=False)
    try:
        yield url
    finally:
        server.stop()
