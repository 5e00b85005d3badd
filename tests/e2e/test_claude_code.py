"""Claude Code (npm @anthropic-ai/claude-code, its native binary, offline: `mcp add` and `mcp list` need
no login) against the server as the README tells people to add it: stdio, HTTP with a bearer token,
and HTTP in OAuth mode, where it must find the issuer through the Protected Resource Metadata
(before, it tried dynamic client registration on the server itself and reported HTTP 404)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.auth_server import auth_server
from support.http_server import clean_env, mcp_http_server
from support.node import NodeToolMissing, claude_bin

ROOT = Path(__file__).resolve().parents[2]


class Claude:
    """`claude` with its own HOME and project directory: nothing of a real user's config is read or written."""

    def __init__(self, tmp_path: Path) -> None:
        try:
            self.binary = str(claude_bin())
        except NodeToolMissing as exc:
            pytest.fail(str(exc), pytrace=False)
        self.project = tmp_path / "project"
        self.project.mkdir()
        self.env = clean_env(
            HOME=str(tmp_path / "home"), DISABLE_AUTOUPDATER="1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1"
        )

    def __call__(self, *args: str) -> str:
        done = subprocess.run(
            [self.binary, *args], cwd=self.project, env=self.env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def status(self) -> dict[str, str]:
        """`claude mcp list`: each server's health check, by name."""
        lines = self("mcp", "list").splitlines()
        found = (re.match(r"^([\w-]+): .* - (.+)$", line) for line in lines)
        return {m[1]: m[2] for m in found if m}


def test_claude_code_adds_and_connects_over_stdio_and_http(tmp_path: Path) -> None:
    claude = Claude(tmp_path)
    script = Path(sys.executable).parent / "instantly-mcp"
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "instantly_mcp.cli"]
    claude("mcp", "add", "instantly", "-e", f"PYTHONPATH={ROOT}", "--", *command)
    with mcp_http_server(tmp_path, "--transport", "http", INSTANTLY_MCP_AUTH_TOKEN="tok-3f9a1c") as server:
        claude(
            "mcp",
            "add",
            "--transport",
            "http",
            "instantly-http",
            server.url,
            "--header",
            "Authorization: Bearer tok-3f9a1c",
        )
        claude("mcp", "add", "--transport", "http", "instantly-no-token", server.url)
        status = claude.status()
    assert "Connected" in status["instantly"] and "Connected" in status["instantly-http"], status
    assert "Connected" not in status["instantly-no-token"], status


def test_claude_code_finds_the_issuer_of_an_oauth_server(tmp_path: Path) -> None:
    claude = Claude(tmp_path)
    with (
        auth_server() as issuer,
        mcp_http_server(tmp_path, "--transport", "http", "--oauth-issuer", issuer.issuer) as server,
    ):
        claude("mcp", "add", "--transport", "http", "instantly-oauth", server.url)
        claude(
            "mcp",
            "add",
            "--transport",
            "http",
            "instantly-signed-in",
            server.url,
            "--header",
            f"Authorization: Bearer {issuer.mint(audience=server.url)}",
        )
        status = claude.status()
    assert "Needs authentication" in status["instantly-oauth"], status  # the sign-in with the issuer is next
    assert "registration" not in status["instantly-oauth"] and "404" not in status["instantly-oauth"]
    assert "Connected" in status["instantly-signed-in"], status
    assert os.path.exists(tmp_path / "home")  # claude kept to the test's HOME
