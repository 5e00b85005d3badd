"""The stdio server as a child process spoken to in bare JSON-RPC, for tests that send what no
client library would (a line that is not JSON, malformed params, a request before initialize)."""

from __future__ import annotations

import json
import select
import subprocess
import sys

from .http_server import ROOT, clean_env

CLI = [sys.executable, "-m", "instantly_mcp.cli"]


def start_stdio_server() -> subprocess.Popen[bytes]:
    # Unbuffered pipes: a line left in a reader's buffer would be invisible to read_line's select().
    proc = subprocess.Popen(
        CLI, cwd=ROOT, env=clean_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0
    )
    assert proc.stderr is not None
    # The last start-up line: by default stdio also serves the approval pages, announced once they listen.
    while b"approval pages at" not in proc.stderr.readline():  # announced: the server is set up
        assert proc.poll() is None, "the server exited during start-up"
    return proc


def read_line(proc: subprocess.Popen[bytes], timeout: float = 30) -> dict:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "no answer on stdout"
    return json.loads(proc.stdout.readline())
