"""What every bench script needs to run servers on loopback: a free port, a wait for readiness, the
sandbox, and the environment that picks which checkout of instantly_mcp runs."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx2


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory now (VmRSS) or at its peak (VmHWM), from /proc; NaN once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return float("nan")
    for line in lines:
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def start_sandbox(root: Path, port: int, env: dict[str, str] | None = None, scale: str = "demo") -> subprocess.Popen:
    """The emulated Instantly API every server of a bench calls, on loopback (`scale` as sandbox --scale)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "sandbox", "--port", str(port), "--scale", scale],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_http(f"http://127.0.0.1:{port}/_sandbox/health", proc, healthy=True)
    return proc


def plain_env(pythonpath: Path) -> dict[str, str]:
    """This environment without INSTANTLY_* settings, importing instantly_mcp from `pythonpath`, with
    bytecode caching on (as an installed package has it): without it every start compiles every module."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_") and k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(pythonpath)
    return env


def against_label(path: Path) -> str:
    """'@<short commit>' of another checkout (`--against`), e.g. last week's in its own worktree."""
    commit = subprocess.run(
        ["git", "-C", str(path), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    )
    return "@" + commit.stdout.strip()


def add_against(parser: argparse.ArgumentParser, what: str) -> None:
    """`--against PATH`, repeatable: other checkouts to run beside this one (each from its own directory)."""
    parser.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help=f"also run the checkout at PATH ({what}); repeatable",
    )
