"""The sandbox served over real HTTP by `instantly-mcp sandbox`, as a separate process."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from .processes import free_port

ROOT = Path(__file__).resolve().parents[2]


class SandboxProcess:
    def __init__(self, url: str, proc: subprocess.Popen) -> None:
        self.url = url
        self.proc = proc
        self.admin = httpx2.Client(base_url=url, timeout=10)

    def reset(self) -> None:
        self.admin.post("/_sandbox/reset").raise_for_status()
        self.admin.post("/_sandbox/faults", json=[]).raise_for_status()
        self.admin.delete("/_sandbox/requests").raise_for_status()

    def requests(self) -> list[dict]:
        return self.admin.get("/_sandbox/requests").json()

    def faults(self, rules: list[dict]) -> None:
        self.admin.post("/_sandbox/faults", json=rules).raise_for_status()


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    port = free_port()
    # Its access log goes to a file: a pipe nobody reads fills up and then blocks the server.
    log_path = tmp_path_factory.mktemp("sandbox") / "sandbox.log"
    with open(log_path, "wb") as log:  # the server holds its own copy of the file
        proc = subprocess.Popen(
            [sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(port)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx2.get(f"{url}/_sandbox/health", timeout=1).status_code == 200:
                break
        except httpx2.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail(f"the sandbox did not start: {log_path.read_text(errors='replace')[-2000:]}")
    sandbox = SandboxProcess(url, proc)
    yield sandbox
    sandbox.admin.close()
    proc.terminate()
    proc.wait(10)


@pytest.fixture
def sandbox(sandbox_process: SandboxProcess) -> SandboxProcess:
    """The shared sandbox process, reset to its seed, with no faults and an empty request log."""
    sandbox_process.reset()
    return sandbox_process
