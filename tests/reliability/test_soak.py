"""The soak, short: bench/soak.py for 10 s over HTTP on loopback, with faults injected at random.
Nothing sent twice, no crash, no error beyond the injected ones, memory about flat."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ten_second_soak(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOAK_LOG_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "soak.py"), "--seconds", "10", "--json"], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["crashes"] == 0 and report["duplicate_sends"] == 0 and report["unexpected_errors"] == 0
    assert report["calls"] >= 100 and report["writes_checked"] >= 10
    assert len(report["faults_injected"]) >= 6  # most fault classes came up in 10 s
    assert report["rss_mb"]["end"] < report["rss_mb"]["start"] + 40, report["rss_mb"]
