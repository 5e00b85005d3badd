"""run_code: one agent script in a pydantic-monty worker, its calls sent through the policy.

The script sees one module, `instantly`, holding an async function per visible operation; each
call goes through `Policy.call` (filter, validation, dry run, approval, rate limiter, audit) exactly
like a tool call and returns the parsed result, or raises with the tool's own error. Notes that
come with a result (what the server changed, undocumented fields sent, truncation) go to
`instantly.notes()` and follow the script's output. `instantly.search(...)` and
`instantly.describe(...)` find tools from inside a script. Before it runs, a script is refused only
for what will fail for sure (check.py). The worker has no filesystem, network or environment; Monty
enforces memory, recursion and execution time inside it, the host enforces wall time and the
API-call budget (counted as calls start, so `asyncio.gather` cannot overshoot it), and a worker
that dies is replaced by the pool while this request reports it. Scripts mostly wait on Instantly,
so the pool holds several workers (`--code-workers`, about 6 MB each while idle, spawned on demand);
on a multi-tenant server one tenant holds at most all but one of them at once, so another tenant's
script always finds one.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple, TypeVar

import anyio
import mcp_types as types
import pydantic_monty as monty

from instantly_mcp.calls.paging import cut_text
from instantly_mcp.calls.pipeline import PreparedCall, error_result, prepare, text_result
from instantly_mcp.catalog.operations import Operation
from instantly_mcp.codemode.check import Checked, Params, check
from instantly_mcp.codemode.limits import CodeLimits
from instantly_mcp.codemode.plan import Binding, PlanClient, Planned, placeholder, prefix, record
from instantly_mcp.errors import InvalidArguments, LimitReached
from instantly_mcp.gates.audit import Decision
from instantly_mcp.gates.confirm import Caller, channel_for
from instantly_mcp.gates.controls import APPROVAL_ID, CONFIRM_TOKEN, DRY_RUN
from instantly_mcp.gates.policy import Policy
from instantly_mcp.upstream.client import Requester

MODULE = "instantly"
SCRIPT_NAME = "script.py"
PRELUDE = f"import {MODULE}\n"  # fed with the script (one worker round trip less); script_error takes its line off
PLAN_FAILED = (
    "No write was sent: this client cannot be asked while a script runs, so the script first ran as a plan (reads "
    "real, each write checked by its dry run and answered with a placeholder id) to collect the writes a person "
    "approves, and the plan failed.\n"
)
OUTPUT_BYTES_FACTOR = 4  # print output kept before cutting: a few times what may be returned
NOTES_CHARS = 2_000
HELPERS = frozenset({"search", "describe", "notes"})
Helpers = dict[str, Callable[..., Any]]


@dataclass
class Run:
    """One script's bookkeeping: its hash and every call it made, in order."""

    sha256: str
    dry_run: bool
    calls: list[tuple[str, str]] = field(default_factory=list)
    started: int = 0  # calls begun, finished or not: what --code-max-calls counts
    notes: list[str] = field(default_factory=list)
    stopped: str | None = None
    planning: PlanClient | None = None  # a plan pass: writes answered with placeholders and collected
    writes: list[Planned] = field(default_factory=list)
    binding: Binding | None = None  # the plan a person approved, consumed write by write

    def sent(self) -> str:
        done = [f"{name} ({outcome})" for name, outcome in self.calls]
        return "; ".join(done) if done else "nothing"


Invoke = Callable[..., Awaitable[Any]]


class Active(NamedTuple):
    """The script a host function serves: set around each run, read by every call it makes."""

    run: Run
    caller: Caller
    client: Requester
    fingerprint: str


ACTIVE: ContextVar[Active] = ContextVar("instantly_mcp_code_run")
CHECKED_SCRIPTS = 256  # check answers and modules kept, most recently used: agents retry and repeat scripts
Key = TypeVar("Key")
Value = TypeVar("Value")


def kept(cache: dict[Key, Value], key: Key, make: Callable[[], Value]) -> Value:
    """`cache[key]`, made on a miss; only the CHECKED_SCRIPTS most recently used stay (a dict keeps order)."""
    value = cache.pop(key) if key in cache else make()
    cache[key] = value
    if len(cache) > CHECKED_SCRIPTS:
        del cache[next(iter(cache))]
    return value


@dataclass
class Runner:
    policy: Policy
    limits: CodeLimits
    params: Mapping[str, Params]  # per visible tool, for the check
    helpers: Helpers = field(default_factory=dict)  # search and describe, answered from the catalog
    suggest: Callable[[str], str] = lambda name: ""
    _pool: monty.AsyncMonty | None = None
    _stack: AsyncExitStack = field(default_factory=AsyncExitStack)
    _lock: anyio.Lock = field(default_factory=anyio.Lock)
    _shares: dict[str, anyio.CapacityLimiter] = field(default_factory=dict)  # tenant -> its share of the workers
    _checked: dict[str, Checked] = field(default_factory=dict)
    _modules: dict[frozenset[str], monty.ExternalModule] = field(default_factory=dict)  # by the tools named

    @asynccontextmanager
    async def share(self, tenant: str) -> AsyncIterator[None]:
        """One of the tenant's `workers - 1` places (multi-tenant servers only); forgotten when unused."""
        if not self.limits.shared:
            yield
            return
        limiter = self._shares.setdefault(tenant, anyio.CapacityLimiter(max(1, self.limits.workers - 1)))
        try:
            async with limiter:
                yield
        finally:
            if limiter.borrowed_tokens == 0 and limiter.statistics().tasks_waiting == 0:
                self._shares.pop(tenant, None)

    async def pool(self) -> monty.AsyncMonty:
        async with self._lock:
            if self._pool is None:
                pool = monty.AsyncMonty(
                    min_processes=1, max_processes=self.limits.workers, request_timeout=self.limits.wall_s + 5
                )
                self._pool = await self._stack.enter_async_context(pool)
            return self._pool

    async def aclose(self) -> None:
        self._pool = None
        await self._stack.aclose()

    async def run(
        self,
        source: str,
        *,
        dry_run: bool,
        caller: Caller,
        client: Requester,
        fingerprint: str,
        approval_id: str | None = None,
    ) -> types.CallToolResult | types.InputRequiredResult:
        run = Run(hashlib.sha256(source.encode()).hexdigest(), dry_run)
        started = time.perf_counter()
        result: types.CallToolResult | types.InputRequiredResult
        checked = self.check(source, run.sha256)
        planned: Binding | tuple[types.CallToolResult | types.InputRequiredResult, Decision] | None = None
        if checked.problems:
            message = "The script did not run (nothing was sent):\n" + "\n".join(checked.problems)
            planned = error_result(message), "invalid"
        elif self.plans(source, caller, dry_run, checked.dynamic):
            planned = await self.plan(checked, run, caller, client, fingerprint, approval_id)
        if isinstance(planned, tuple):
            result, decision = planned
        else:
            run.binding = planned
            result, decision = await self.execute(checked, run, caller, client, fingerprint)
        if self.policy.audit is not None:
            self.policy.audit.record(
                tool="run_code",
                risk="script",
                arguments={"calls": len(run.calls), "dry_run": dry_run},
                decision=decision,
                status=None,
                duration_ms=(time.perf_counter() - started) * 1000,
                script=run.sha256,
            )
        return result

    def check(self, source: str, sha256: str) -> Checked:
        """check.py's answer, kept by script hash (it depends on nothing else)."""
        return kept(self._checked, sha256, lambda: check(source, self.params, HELPERS, self.suggest))

    def plans(self, source: str, caller: Caller, dry_run: bool, dynamic: bool) -> bool:
        """Unless a person can be asked while the script waits, its gated calls are settled before it
        sends anything: asked once for the whole plan (a client that answers on a retry), or refused.

        A script that names a gated tool, or reaches tools in a way no name shows (eval, getattr),
        gets a plan pass (which repeats its reads); any other reaching a gated tool is refused at that call.
        """
        if dry_run or channel_for("elicit", caller, pages=False) == "inline":
            return False
        return dynamic or (self.gated_names is not None and self.gated_names.search(source) is not None)

    @cached_property
    def gated_names(self) -> re.Pattern[str] | None:
        """The visible gated tools' names as one pattern, built once: the set never changes."""
        names = [re.escape(op.name) for op in self.policy.visible_operations() if self.gated(op)]
        return re.compile(rf"\b(?:{'|'.join(names)})\b") if names else None

    async def plan(
        self, checked: Checked, run: Run, caller: Caller, client: Requester, fingerprint: str, approval_id: str | None
    ) -> Binding | tuple[types.CallToolResult | types.InputRequiredResult, Decision]:
        """Run the script as a plan (plan.py), then ask a person about every write it would make
        when any of them is gated: the binding for the real run, or the answer to return."""
        overlay = PlanClient(client, prefix(run.sha256))
        trial = Run(run.sha256, dry_run=False, planning=overlay)
        result, decision = await self.execute(checked, trial, caller, overlay, fingerprint)
        if decision == "invalid":
            return result, decision
        if decision != "ran":
            return error_result(PLAN_FAILED + result_text(result)), decision
        if any(self.gated(p.call.op) for p in trial.writes):
            calls = [p.call for p in trial.writes]
            stop = await self.policy.human.approve(
                caller, calls, overlay, fingerprint=fingerprint, plan=run.sha256, approval_id=approval_id
            )
            if stop is not None:
                return stop.result, stop.decision
        return Binding(trial.writes)

    async def execute(
        self, checked: Checked, run: Run, caller: Caller, client: Requester, fingerprint: str
    ) -> tuple[types.CallToolResult, Decision]:
        module = self.module(None if checked.dynamic else checked.names)
        cap = self.limits.output_chars * OUTPUT_BYTES_FACTOR
        printed = monty.CollectString(max_bytes=cap)
        active = ACTIVE.set(Active(run, caller, client, fingerprint))
        try:
            with anyio.fail_after(self.limits.wall_s):
                pool = await self.pool()
                async with (
                    self.share(fingerprint),
                    pool.checkout(
                        script_name=SCRIPT_NAME, limits=self.limits.monty(), external_modules={MODULE: module}
                    ) as session,
                ):
                    value = await session.feed_run(PRELUDE + checked.runnable, print_callback=printed)
        except TimeoutError:
            return self.stop(
                run, f"the wall time limit ({self.limits.wall_s:g} s, --code-timeout) was reached"
            ), "stopped"
        except monty.MontySyntaxError as exc:
            return error_result(f"The script did not run (nothing was sent): {script_error(exc)}"), "invalid"
        except monty.MontyRuntimeError as exc:
            if run.stopped:
                return self.stop(run, run.stopped), "stopped"
            if f"> {cap} bytes" in str(exc):  # the print collector's own limit, not the heap's
                return self.stop(run, f"the output limit ({cap:,} bytes of print output) was reached"), "stopped"
            return self.failed(run, script_error(exc), printed), "stopped"
        except monty.MontyCrashedError as exc:
            return self.stop(run, f"its worker died ({exc}); a fresh worker serves the next script"), "stopped"
        except monty.MontyError as exc:
            return self.stop(run, f"Monty refused it ({exc})"), "stopped"
        finally:
            ACTIVE.reset(active)
        if run.stopped:
            return self.stop(run, run.stopped), "stopped"
        return text_result(self.output(value, printed.output) + notes_text(run)), "ran"

    def module(self, names: frozenset[str] | None) -> monty.ExternalModule:
        """`instantly` for a script: the tools it names (every visible one when it reaches them in a
        way no name shows) and the helpers; built once per distinct set. Which script a call belongs
        to is in ACTIVE (Monty runs host functions in a copy of the feeding task's context)."""
        key = names if names is not None else frozenset(self.params)

        def build() -> monty.ExternalModule:
            functions: dict[str, Any] = {name: self.bridge(name) for name in key if name in self.params}
            functions.update(self.helpers, notes=lambda: list(ACTIVE.get().run.notes))
            return monty.ExternalModule(functions)

        return kept(self._modules, key, build)

    def bridge(self, name: str) -> Invoke:
        """The script's `instantly.<op>(**arguments)`: one policy call, its answer parsed, or an exception
        that names the call (the traceback adds the line)."""
        op = self.policy.operations[name]

        async def invoke(**arguments: Any) -> Any:
            run, caller, client, fingerprint = ACTIVE.get()
            if run.stopped:
                raise LimitReached(run.stopped)
            if run.started >= self.limits.max_calls:
                run.stopped = f"the API call limit ({self.limits.max_calls} per script, --code-max-calls) was reached"
                raise LimitReached(run.stopped)
            run.started += 1
            if CONFIRM_TOKEN in arguments or APPROVAL_ID in arguments:
                raise TypeError(
                    f"{op.name}: a script takes no confirm_token or approval_id; a person approves as it runs"
                )
            if run.dry_run and op.risk != "read":
                arguments = {**arguments, DRY_RUN: True}
            write = self.write(op, arguments) if run.planning or run.binding else None  # only plans compare
            if write is not None and run.planning is not None:
                return await self.plan_write(op, run, caller, run.planning, fingerprint, arguments, write)
            planned = self.bound(run, write)
            result = await self.policy.call(
                caller, op, arguments, client, fingerprint, script=run.sha256, approved=planned is not None
            )
            data = answer(op, run, arguments, result)
            if planned is not None and run.binding is not None:
                run.binding.learn(planned, data)
            return data

        return invoke

    def write(self, op: Operation, arguments: dict[str, Any]) -> PreparedCall | None:
        """The call a write would send, or None: a read, a dry run, or arguments the policy will refuse."""
        if op.risk == "read":
            return None
        try:
            rest, controls = self.policy.split_controls(op, arguments)
            return None if controls.dry_run else prepare(op, rest)
        except InvalidArguments:
            return None  # the policy answers the mistake; nothing is sent

    def bound(self, run: Run, call: PreparedCall | None) -> Planned | None:
        """After a plan pass every write must be the plan's next one: otherwise the script stops here."""
        if call is None or run.binding is None:
            return None
        try:
            return run.binding.next(call)
        except PermissionError as exc:
            run.calls.append((call.op.name, "refused"))
            run.stopped = str(exc)
            raise

    async def plan_write(
        self,
        op: Operation,
        run: Run,
        caller: Caller,
        overlay: PlanClient,
        fingerprint: str,
        arguments: dict[str, Any],
        call: PreparedCall,
    ) -> dict[str, Any]:
        """In a plan pass: the write's dry run (so a mistake fails the plan), then its placeholder record."""
        checked = await self.policy.call(
            caller, op, {**arguments, DRY_RUN: True}, overlay, fingerprint, script=run.sha256
        )
        answer(op, run, {DRY_RUN: True}, checked)
        planned = Planned(call, placeholder(run.sha256, len(run.writes) + 1))
        run.writes.append(planned)
        overlay.records[planned.placeholder] = record(planned)
        return record(planned)

    def gated(self, op: Operation) -> bool:
        """Gated always, or by its live target (the policy's gated_call decides per call)."""
        return self.policy.may_be_gated(op)

    def output(self, value: Any, printed: str) -> str:
        """The last value as it is: a string as text, anything else as compact JSON; after any print output."""
        shown = (
            value
            if isinstance(value, str)
            else json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
        )
        text = f"{printed.rstrip()}\nresult: {shown}" if printed and value is not None else printed or shown
        return cut_text(text, self.limits.output_chars, advice="; return or print only the fields you need")

    def failed(self, run: Run, message: str, printed: monty.CollectString) -> types.CallToolResult:
        output = f"\nPrinted before it stopped:\n{printed.output[-2000:]}" if printed.output else ""
        return error_result(f"The script stopped: {message}\nCalls made: {run.sent()}.{output}{notes_text(run)}")

    def stop(self, run: Run, reason: str) -> types.CallToolResult:
        return error_result(f"The script was stopped: {reason}. Calls made before: {run.sent()}.{notes_text(run)}")


def notes_text(run: Run) -> str:
    """The notes that came with the script's results, after its output: what the server changed,
    undocumented fields sent, answers cut short."""
    if not run.notes:
        return ""
    return cut_text("\n\nNotes:\n" + "\n".join(dict.fromkeys(run.notes)), NOTES_CHARS)


def answer(
    op: Operation, run: Run, arguments: dict[str, Any], result: types.CallToolResult | types.InputRequiredResult
) -> Any:
    if not isinstance(result, types.CallToolResult):  # approvals in scripts never use the retry channel
        run.calls.append((op.name, "refused"))
        raise PermissionError(f"{op.name}: this client can only approve on a retry; nothing was sent")
    if result.is_error:
        text = result_text(result)
        run.calls.append((op.name, "failed"))
        raise RuntimeError(text if text.startswith(op.name) else f"{op.name} failed: {text}")
    texts = [c.text for c in result.content if isinstance(c, types.TextContent)]
    data, cut = parse(texts[0] if texts else "")
    run.notes += [f"{op.name}: {note.strip().removeprefix('Note: ')}" for note in ([cut] if cut else []) + texts[1:]]
    if isinstance(data, dict) and data.get("status") in ("declined", "cancelled") and data.get("sent") is False:
        run.calls.append((op.name, data["status"]))
        raise PermissionError(f"{op.name}: the user {data['status']}; nothing was sent")
    run.calls.append((op.name, "dry run" if arguments.get(DRY_RUN) else "sent"))
    return data


def result_text(result: types.CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, types.TextContent))


def parse(text: str) -> tuple[Any, str]:
    """The result's data, and the note of a text answer cut at the size limit."""
    try:
        return json.loads(text), ""
    except ValueError:
        head, cut, note = text.partition("\nTruncated: ")
        return head, (cut + note).strip()


def script_error(exc: monty.MontyRuntimeError | monty.MontySyntaxError) -> str:
    """The traceback with the script's own name and lines, so "line N" points into what the agent wrote."""
    return re.sub(
        r'"<python-input-\d+>", line (\d+)', lambda m: f'"{SCRIPT_NAME}", line {int(m[1]) - 1}', exc.display()
    ).strip()
