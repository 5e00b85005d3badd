"""The soak, short: bench/soak.py for 200 calls over HTTP on loopback, with faults injected at random.
Counted in calls, not seconds, so a busy machine runs it longer rather than differently: every call
answered, nothing sent twice, no crash, no error beyond the injected ones, memory about flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CALLS = 200


@pytest.mark.e2e  # a soak: two hundred calls
def test_a_soak_of_two_hundred_calls(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOAK_LOG_DIR": str(tmp_path)}
    command = [sys.executable, str(ROOT / "bench" / "soak.py"), "--calls", str(CALLS), "--seconds", "400", "--json"]
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=480)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["calls"] == CALLS, report  # every call answered (a crash or hang ends a worker early)
    assert report["crashes"] == 0 and report["duplicate_sends"] == 0 and report["unexpected_errors"] == 0
    kinds, surfaced = report["calls_by_kind"], report["errors_surfaced"]
    assert surfaced.get("bad input refused", 0) == kinds.get("bad input", 0)
    # every write reached the sandbox, or ended in an injected fault the agent was told about
    writes, lost = kinds.get("write", 0), surfaced.get("injected fault on the write", 0)
    assert writes - lost <= report["writes_checked"] <= writes
    assert sum(report["faults_injected"].values()) >= 1, report  # it did run through faults
    assert report["rss_mb"]["end"] < report["rss_mb"]["start"] + 40, report["rss_mb"]
