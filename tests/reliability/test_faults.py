"""Every fault class the sandbox can inject, on a request that is safe to repeat and on one that is
not, through a real MCP client against the sandbox served over HTTP.

What must hold: safe requests are retried (capped backoff with jitter, Retry-After honoured, within
the deadline); unsafe ones are never sent twice unless Instantly refused them unprocessed (429);
every failure ends as an isError result that says why; nothing hangs. Sends are counted twice: as
they leave the client (CountingTransport) and as the sandbox logged them.
"""

from __future__ import annotations

import time

import anyio
import pytest

from .harness import Sleeps, data, served, text

SAFE = ("list_campaigns", {"limit": 1}, "GET", "/api/v2/campaigns")
UNSAFE = ("create_block_list_entry", {"bl_value": "fault.example"}, "POST", "/api/v2/block-lists-entries")
MAX_RETRIES = 3

FAULTS = {
    "429 with Retry-After": ({"kind": "status", "status": 429, "retry_after": 2}, "HTTP 429"),
    "429 without Retry-After": ({"kind": "status", "status": 429}, "HTTP 429"),
    "500": ({"kind": "status", "status": 500}, "HTTP 500"),
    "502": ({"kind": "status", "status": 502}, "HTTP 502"),
    "503": ({"kind": "status", "status": 503}, "HTTP 503"),
    "504": ({"kind": "status", "status": 504}, "HTTP 504"),
    "slower than the timeout": ({"kind": "latency", "delay_s": 3}, "timed out waiting for Instantly's answer"),
    "connection reset": ({"kind": "drop"}, "the connection closed before a complete answer"),
    "malformed JSON": ({"kind": "malformed"}, "malformed JSON"),
    "HTML error page": ({"kind": "html"}, "502 Bad Gateway"),
    "HTML page with 200": ({"kind": "html", "status": 200}, "HTML page instead of JSON"),
}
REFUSED_UNPROCESSED = {"429 with Retry-After", "429 without Retry-After"}


def run(sandbox, tool, fault: dict, *, times: int | None, sleeps: Sleeps | None = None, **options):
    name, args, method, path = tool
    options.setdefault("timeout", 1.0)  # ample for an answer that no fault holds back
    sandbox.faults([{"path_prefix": path, "method": method, "times": times, **fault}])

    async def go():
        async with served(sandbox.url, max_retries=MAX_RETRIES, sleep=sleeps or Sleeps(), **options) as s:
            with anyio.fail_after(30):  # a hang guard, not a timing assertion
                result = await s.client.call_tool(name, args)
            return result, s.transport.count(method, path)

    result, sent = anyio.run(go)
    # The sandbox logs a slow request once it has finished it, after we gave up on it: wait for
    # every request sent to be logged, so the count below (and the next test's log) is complete.
    wait_until(lambda: len(received(sandbox, method, path)) >= sent)
    return result, sent


def wait_until(condition, limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, "the sandbox never logged the request"
        time.sleep(0.05)


def received(sandbox, method: str, path: str) -> list[dict]:
    return [r for r in sandbox.requests() if r["method"] == method and r["path"].startswith(path)]


@pytest.mark.parametrize("fault", FAULTS)
def test_safe_request_is_retried_through_a_passing_fault(sandbox, fault: str) -> None:
    rule, _ = FAULTS[fault]
    sleeps = Sleeps()
    result, sent = run(sandbox, SAFE, rule, times=2, sleeps=sleeps)
    assert data(result)["items"], text(result)
    assert sent == 3
    faulted = [r.get("fault") is not None for r in received(sandbox, "GET", SAFE[3])]
    assert sorted(faulted) == [False, True, True]  # logged as they finish: a slow one may come last
    assert len(sleeps.delays) == 2
    if rule.get("retry_after"):
        assert all(delay >= rule["retry_after"] for delay in sleeps.delays)
    else:
        assert all(0 <= delay <= 8.0 for delay in sleeps.delays)


@pytest.mark.parametrize("fault", FAULTS)
def test_safe_request_under_a_lasting_fault_ends_in_a_clear_error(sandbox, fault: str) -> None:
    rule, reason = FAULTS[fault]
    result, sent = run(sandbox, SAFE, rule, times=None)
    assert result.is_error
    assert reason in text(result), text(result)
    assert text(result).startswith("list_campaigns failed")
    assert sent == MAX_RETRIES + 1


@pytest.mark.parametrize("fault", FAULTS)
def test_unsafe_request_is_never_sent_twice(sandbox, fault: str) -> None:
    rule, reason = FAULTS[fault]
    result, sent = run(sandbox, UNSAFE, rule, times=1)
    if fault in REFUSED_UNPROCESSED:  # Instantly did nothing with a 429: sending again is the fix
        assert data(result)["bl_value"] == "fault.example"
        assert sent == 2
        return
    assert result.is_error
    message = text(result)
    assert reason in message, message
    assert "may have" in message or "may still have taken effect" in message, message
    assert sent == 1
    assert len(received(sandbox, "POST", UNSAFE[3])) == 1


def test_unsafe_request_under_a_lasting_429_storm_stops_at_max_retries(sandbox) -> None:
    result, sent = run(sandbox, UNSAFE, {"kind": "status", "status": 429}, times=None)
    assert result.is_error and "Rate limited; retry in a few seconds" in text(result)
    assert sent == MAX_RETRIES + 1
    assert all(r["status"] == 429 for r in received(sandbox, "POST", UNSAFE[3]))


def test_retry_after_beyond_the_deadline_is_not_waited_for(sandbox) -> None:
    sleeps = Sleeps()
    rule = {"kind": "status", "status": 429, "retry_after": 120}
    result, sent = run(sandbox, SAFE, rule, times=None, sleeps=sleeps, deadline_s=30)
    assert result.is_error and "retry after 120 s" in text(result)
    assert sent == 1 and sleeps.delays == []


def test_a_slow_answer_is_cut_at_the_overall_deadline(sandbox) -> None:
    rule = {"kind": "latency", "delay_s": 2}
    result, sent = run(sandbox, SAFE, rule, times=None, timeout=30, deadline_s=0.5)
    assert result.is_error and "no answer within the 0.5 s deadline" in text(result)
    assert sent == 1
