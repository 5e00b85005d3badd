"""What every bench script needs to run servers on loopback: a free port and a wait for readiness."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout: float = 30, *, healthy: bool = False) -> None:
    """Until `url` answers (with 200 when `healthy`); fails at once if the process exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{url}: {proc.args} exited with {proc.returncode}")
        try:
            if httpx2.get(url, timeout=1).status_code == 200 or not healthy:
                return
        except httpx2.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"{url} did not answer within {timeout:.0f}s")
