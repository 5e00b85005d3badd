"""Issue 15, item 9: `instantly-mcp doctor` checks reachability, the key, which toolsets the key's scopes allow
and where read-only answers drift from the spec, sending only GETs. Against the sandbox with a scoped key,
an upstream whose answers drift, an unreachable one, and as a command against the sandbox process."""

from __future__ import annotations

import json
import subprocess
import sys

import anyio
import httpx2
import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.drift.doctor import Report, diagnose, probe_set
from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.faults import FaultRule
from instantly_mcp.upstream.client import InstantlyClient

from support.drifting import MARK, Drifting
from support.http_server import clean_env
from support.sandbox_http import ROOT, SandboxProcess

OPS = load_operations()
SCOPED_KEY = "sk-doctor-campaigns-only"


def run(app: object | None, key: str, base_url: str = "http://sandbox.test") -> Report:
    async def go() -> Report:
        transport = httpx2.ASGITransport(app=app) if app is not None else None
        client = InstantlyClient(base_url=base_url, api_key=key, transport=transport, max_retries=0)
        try:
            return await diagnose(client, OPS, base_url)
        finally:
            await client.aclose()

    return anyio.run(go)


def test_a_scoped_key_is_valid_and_allows_only_its_toolsets() -> None:
    app = create_app(key_scopes={SCOPED_KEY: ["campaigns:read", "webhooks:read"]})
    report = run(app, SCOPED_KEY)
    assert report.reachable and report.key == "valid" and report.ok
    assert report.toolsets["campaigns"] == "allowed" and report.toolsets["webhooks"] == "allowed"
    assert report.toolsets["leads"] == "denied" and report.toolsets["accounts"] == "denied"
    assert set(report.toolsets) == {op.toolset for op in OPS.values()}  # one probe at least for every toolset
    assert {p.status for p in report.probes} <= {200, 403}
    assert {r["method"] for r in app.state.sandbox.request_log} == {"GET"}
    assert len(app.state.sandbox.request_log) == len(probe_set(OPS.values()))


def test_a_refused_key_stops_at_the_first_probe() -> None:
    app = create_app(faults=[FaultRule(status=401)])  # Instantly's answer to a revoked key, on every path
    report = run(app, "sk-revoked")
    assert report.reachable and report.key == "invalid" and not report.ok
    assert [p.status for p in report.probes] == [401] and len(app.state.sandbox.request_log) == 1


def test_an_unreachable_upstream_is_reported() -> None:
    report = run(None, SCOPED_KEY, base_url="http://127.0.0.1:9")
    assert not report.reachable and report.key == "unknown" and not report.ok


def test_drift_is_reported_per_operation_with_fields_and_types_only() -> None:
    report = run(Drifting(create_app()), SCOPED_KEY)
    drift = {p.tool: p.drift for p in report.probes if p.drift}
    assert drift["list_campaigns"] == [
        "$.items[].name: expected string, got integer",
        "$.items[].status: missing (required number)",
        "$.items[].surprise: not in the spec (string)",
    ]
    assert drift["get_workspace"] == ["$.owner: missing (required string)"]
    assert MARK not in json.dumps(report.as_json()) and "12345" not in json.dumps(report.as_json())
    assert "list_campaigns" in report.as_json()["drifting"]


@pytest.mark.e2e  # starts a process
def test_the_command_against_the_sandbox_process(sandbox: SandboxProcess) -> None:
    env = clean_env(INSTANTLY_API_KEY="sk-doctor-cli", INSTANTLY_BASE_URL=sandbox.url)
    done = subprocess.run(
        [sys.executable, "-m", "instantly_mcp.cli", "doctor", "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] and report["reachable"] and report["key"] == "valid"
    assert set(report["toolsets"].values()) == {"allowed"} and "verification" in report["toolsets"]
    assert "sk-doctor-cli" not in done.stdout + done.stderr
    assert {r["method"] for r in sandbox.requests()} == {"GET"}
    table = subprocess.run(
        [sys.executable, "-m", "instantly_mcp.cli", "doctor"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert (
        table.returncode == 0 and "nothing that writes was sent" in table.stdout and "API key:   valid" in table.stdout
    )
