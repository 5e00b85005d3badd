"""Fault injection: every kind, rates and limits, the admin endpoints, and a real dropped connection."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from starlette.testclient import TestClient

import instantly_mcp
from instantly_mcp.sandbox import FaultRule, create_app

from .support import AUTH


def client_with(*rules: FaultRule) -> TestClient:
    return TestClient(create_app(faults=list(rules)), headers=AUTH)


def test_status_fault_with_retry_after_applies_the_first_n_times() -> None:
    with client_with(
        FaultRule(path_prefix="/api/v2/campaigns", kind="status", status=429, retry_after=2, times=2)
    ) as client:
        for _ in range(2):
            limited = client.get("/api/v2/campaigns")
            assert limited.status_code == 429
            assert limited.headers["retry-after"] == "2"
            assert limited.json() == {"statusCode": 429, "error": "Too Many Requests", "message": "Rate limit exceeded"}
        assert client.get("/api/v2/campaigns").status_code == 200
        assert client.get("/api/v2/emails").status_code == 200
        log = client.app.state.sandbox.request_log
        assert [(e["status"], e.get("fault")) for e in log] == [
            (429, "status"),
            (429, "status"),
            (200, None),
            (200, None),
        ]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_statuses(status: int) -> None:
    with client_with(FaultRule(path_prefix="/api/v2/", status=status)) as client:
        response = client.get("/api/v2/campaigns")
        assert response.status_code == status and response.json()["statusCode"] == status
        assert "retry-after" not in response.headers


def test_method_filter_and_faulted_writes_change_nothing() -> None:
    with client_with(FaultRule(path_prefix="/api/v2/block-lists-entries", method="POST", status=503)) as client:
        before = client.app.state.sandbox.store.snapshot()
        assert client.post("/api/v2/block-lists-entries", json={"bl_value": "x.example"}).status_code == 503
        assert client.app.state.sandbox.store.snapshot() == before
        assert client.get("/api/v2/block-lists-entries").status_code == 200
        assert client.app.state.sandbox.request_log[0]["body"] == {"bl_value": "x.example"}


def test_latency_delays_then_answers_normally() -> None:
    with client_with(FaultRule(path_prefix="/api/v2/emails/unread", kind="latency", delay_s=0.3)) as client:
        started = time.monotonic()
        response = client.get("/api/v2/emails/unread/count")
        assert time.monotonic() - started >= 0.3
        assert response.json() == {"count": 3}
        assert client.app.state.sandbox.request_log[-1] | {"ts": 0} == {
            "method": "GET",
            "path": "/api/v2/emails/unread/count",
            "raw_path": "/api/v2/emails/unread/count",
            "query": {},
            "body": None,
            "ts": 0,
            "fault": "latency",
            "operation_id": "countUnreadEmails",
            "status": 200,
        }


def test_drop_raises_a_remote_protocol_error_in_process() -> None:
    with client_with(FaultRule(path_prefix="/api/v2/campaigns", kind="drop", times=1)) as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            client.get("/api/v2/campaigns")
        assert client.get("/api/v2/campaigns").status_code == 200
        assert (
            client.app.state.sandbox.request_log[0]["fault"] == "drop"
            and client.app.state.sandbox.request_log[0]["status"] is None
        )


def test_malformed_json_and_html_error_pages() -> None:
    with client_with(
        FaultRule(path_prefix="/api/v2/leads/list", kind="malformed"),
        FaultRule(path_prefix="/api/v2/emails", kind="html"),
    ) as client:
        malformed = client.post("/api/v2/leads/list", json={})
        assert malformed.status_code == 200 and malformed.headers["content-type"].startswith("application/json")
        with pytest.raises(json.JSONDecodeError):
            json.loads(malformed.text)
        page = client.get("/api/v2/emails")
        assert page.status_code == 502 and page.headers["content-type"].startswith("text/html")
        assert "502 Bad Gateway" in page.text


def test_rate_is_random_but_deterministic_and_globs_match() -> None:
    rule = FaultRule(path_prefix="/api/v2/campaigns/analytics*", kind="status", status=500, rate=0.5)
    runs = []
    for _ in range(2):
        with client_with(rule) as client:
            runs.append([client.get("/api/v2/campaigns/analytics").status_code for _ in range(40)])
            assert client.get("/api/v2/campaigns").status_code == 200
    assert runs[0] == runs[1]
    assert 8 <= runs[0].count(500) <= 32 and set(runs[0]) == {200, 500}


def test_fault_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="kind"):
        FaultRule(kind="explode")
    with pytest.raises(ValueError, match="rate"):
        FaultRule(rate=1.5)
    with pytest.raises(ValueError, match="unknown"):
        FaultRule.from_dict({"path_prefix": "/", "probability": 1})


def test_admin_endpoints_in_process(client: TestClient) -> None:
    assert client.get("/_sandbox/health").json() == {"status": "ok", "operations": 255}
    assert client.post("/_sandbox/faults", json=[{"kind": "explode"}]).status_code == 400
    set_rules = client.post("/_sandbox/faults", json=[{"path_prefix": "/api/v2/campaigns", "status": 429, "times": 1}])
    assert set_rules.json()["faults"][0]["status"] == 429
    assert client.get("/api/v2/campaigns").status_code == 429
    client.post("/api/v2/block-lists-entries", json={"bl_value": "admin.example"})
    log = client.get("/_sandbox/requests").json()
    assert [(e["path"], e["status"]) for e in log] == [("/api/v2/campaigns", 429), ("/api/v2/block-lists-entries", 200)]
    assert client.delete("/_sandbox/requests").json() == {"cleared": 2}
    assert client.get("/_sandbox/requests").json() == []
    assert client.post("/_sandbox/reset").json() == {"reset": True}
    assert "admin.example" not in [e["bl_value"] for e in client.get("/api/v2/block-lists-entries").json()["items"]]
    assert client.post("/_sandbox/faults", json=[]).json() == {"faults": []}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`python -m instantly_mcp.sandbox` on a free port, with SQLite state."""
    port = _free_port()
    root = str(Path(instantly_mcp.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": root}
    process = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.sandbox", "--port", str(port), "--db", str(tmp_path / "served.db")],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx2.get(f"{base}/_sandbox/health").status_code == 200:
                    break
            except httpx2.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("sandbox server did not start")
        yield base
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
        assert b"Traceback" not in stderr, stderr.decode()


def test_out_of_process_server_drops_connections_and_logs(served: str) -> None:
    with httpx2.Client(base_url=served, headers=AUTH) as http:
        assert http.get("/api/v2/campaigns").status_code == 200
        http.post(
            "/_sandbox/faults",
            json=[
                {"path_prefix": "/api/v2/campaigns", "kind": "drop", "times": 1},
                {"path_prefix": "/api/v2/emails", "status": 429, "retry_after": 1.5},
            ],
        )
        with pytest.raises(httpx2.RemoteProtocolError):
            http.get("/api/v2/campaigns")
        limited = http.get("/api/v2/emails")
        assert limited.status_code == 429 and limited.headers["retry-after"] == "1.5"
        assert http.get("/api/v2/campaigns").status_code == 200
        log = http.get("/_sandbox/requests").json()
        assert [(e["path"], e["status"], e.get("fault")) for e in log] == [
            ("/api/v2/campaigns", 200, None),
            ("/api/v2/campaigns", None, "drop"),
            ("/api/v2/emails", 429, "status"),
            ("/api/v2/campaigns", 200, None),
        ]
