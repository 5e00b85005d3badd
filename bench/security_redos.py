"""Finding 1 of issue 10 in figures: what an adversarial string costs, before and after.

    (1) each format check on its adversarial string: the backtracking regex of ca81728 (Python `re`,
        at sizes that finish in seconds) next to the check now in instantly_mcp/catalog/models/_base.py
        (at the 100,000-character string limit), and the spec pattern `.*\\S.*` under Python `re`
        (what pydantic used) and the Rust engine (what it uses now);
    (2) /healthz latency over HTTP while another session sends the seven 100k-character attacks of
        tests/security/test_redos.py, next to the same figure with no attack.

Prints tables; asserts nothing. Loopback only; the built-in sandbox answers the reads.

    python bench/security_redos.py
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated

import anyio
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from pydantic import BaseModel, ConfigDict, StringConstraints

from common import free_port, wait_http

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from security.test_redos import ATTACKS  # noqa: E402

from instantly_mcp.catalog.models._base import is_date, is_date_time, is_email, is_uri  # noqa: E402

OLD = {  # the format regexes of ca81728, applied with re.match
    "email": (r"^[^@\s]+@[^@\s]+\.[^@\s]+$", is_email, lambda n: "a@" + "a." * (n // 2) + " "),
    "date-time": (
        r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$",
        is_date_time,
        lambda n: "2026-01-31T" + "0" * n,
    ),
    "date": (r"^\d{4}-\d{2}-\d{2}$", is_date, lambda n: "2026-" + "0" * n),
    "uri": (r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", is_uri, lambda n: "a:" + "a" * n + " "),
}
OLD_SIZES = (2_000, 5_000, 10_000)
NEW_SIZE = 100_000


def seconds(check: Callable[[], object]) -> float:
    started = time.perf_counter()
    check()
    return time.perf_counter() - started


def pattern_model(engine: str) -> type[BaseModel]:
    class Tag(BaseModel):
        model_config = ConfigDict(regex_engine=engine)  # type: ignore[typeddict-item]
        label: Annotated[str, StringConstraints(pattern=r".*\S.*")]

    return Tag


def checks_table() -> None:
    print(f"{'check':<22}" + "".join(f"{f'old, {n // 1000}k':>12}" for n in OLD_SIZES) + f"{'new, 100k':>12}")
    for name, (pattern, new, make) in OLD.items():
        compiled = re.compile(pattern)
        old = [seconds(partial(compiled.match, make(n))) for n in OLD_SIZES]
        now = seconds(partial(new, make(NEW_SIZE)))
        print(f"{name:<22}" + "".join(f"{s * 1000:>10.1f}ms" for s in old) + f"{now * 1000:>10.3f}ms")
    python_re, rust = pattern_model("python-re"), pattern_model("rust-regex")
    old = [seconds(lambda n=n: _refused(python_re, " " * n)) for n in OLD_SIZES]
    now = seconds(lambda: _refused(rust, " " * NEW_SIZE))
    label = "pattern .*\\S.*"
    print(f"{label:<22}" + "".join(f"{s * 1000:>10.1f}ms" for s in old) + f"{now * 1000:>10.3f}ms")


def _refused(model: type[BaseModel], label: str) -> bool:
    try:
        model(label=label)
    except ValueError:
        return True
    return False


POLLER = """
import sys, time, httpx2
base, seconds = sys.argv[1], float(sys.argv[2])
with httpx2.Client(timeout=60) as http:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        started = time.perf_counter()
        http.get(base + "/healthz").raise_for_status()
        print(time.perf_counter() - started, flush=True)
        time.sleep(0.005)
"""


def poll_health(base: str, seconds: float) -> subprocess.Popen[str]:
    """/healthz timed from a process of its own, so the attacker's own work does not count."""
    return subprocess.Popen([sys.executable, "-c", POLLER, base, str(seconds)], stdout=subprocess.PIPE, text=True)


async def attack(base: str) -> None:
    async with Client(streamable_http_client(base + "/mcp"), mode="legacy") as client:
        for _ in range(3):
            async with anyio.create_task_group() as calls:
                for tool, arguments, _ in ATTACKS:
                    calls.start_soon(client.call_tool, tool, arguments)


def measured(base: str, *, attacked: bool) -> list[float]:
    poller = poll_health(base, 4.0)
    if attacked:
        anyio.run(attack, base)
    out, _ = poller.communicate(timeout=120)
    return [float(line) for line in out.split()]


def latency_table() -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "instantly_mcp.cli", "--transport", "http", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz", proc, healthy=True)
        idle = measured(base, attacked=False)
        attacked = measured(base, attacked=True)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"\n{'/healthz latency':<34}{'samples':>8}{'median':>10}{'max':>10}")
    for label, figures in (("no attack, 4 s", idle), ("4 s with 3 x 7 attacks of 100k", attacked)):
        print(f"{label:<34}{len(figures):>8}{statistics.median(figures) * 1000:>8.1f}ms{max(figures) * 1000:>8.1f}ms")
    print("(before the fix one 30 KB email froze /healthz for 9 s; a 100k `.*\\S.*` label costs over a minute)")


if __name__ == "__main__":
    checks_table()
    latency_table()
