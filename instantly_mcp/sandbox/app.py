"""The sandbox ASGI app: an in-process Instantly workspace serving every /api/v2 operation.

Request pipeline (the order Instantly's Fastify stack uses): faults → route (404) → auth
(401) → scopes (403) → body parsing and validation (400) → addressed entities exist (404) →
handler. A handler's mutations are committed only when it succeeds.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from instantly_mcp.config import SANDBOX_SCALES as SCALES
from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import WORKSPACE, WORKSPACE_KEY, Context
from instantly_mcp.sandbox.errors import SandboxHttpError, error_body
from instantly_mcp.sandbox.faults import FaultInjector, FaultRule, fault_response
from instantly_mcp.sandbox.handlers import HANDLERS
from instantly_mcp.sandbox.resources import Resources
from instantly_mcp.sandbox.scopes import is_allowed, required_scopes
from instantly_mcp.sandbox.seed import Seeder, ensure_workspace, saved_scale
from instantly_mcp.sandbox.spec import API_PREFIX, Operation, Spec, get_spec
from instantly_mcp.sandbox.store import Store
from instantly_mcp.sandbox.synth import synthesize
from instantly_mcp.sandbox.validation import validator_for

MAX_LOG_ENTRIES = 10_000
logger = logging.getLogger(__name__)
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass
class Sandbox:
    """Everything one app instance holds: spec views, state, the request log and fault rules."""

    spec: Spec
    resources: Resources
    store: Store
    seed: bool
    faults: FaultInjector
    key_scopes: dict[str, list[str]] | None = None
    scale: str = "demo"
    request_log: list[dict[str, Any]] = field(default_factory=list, repr=False)
    log_epoch: int = 0  # bumped when the log is cleared, so requests still under way then stay out of it

    def reset(self) -> None:
        """Back to the initial workspace (demo or large data when seeding), also in SQLite."""
        self.store.clear()
        if self.seed:
            seed_workspace(self.store, self.resources, self.scale)
        ensure_workspace(self.store)
        self.store.commit()

    def clear_log(self, *, forget_under_way: bool) -> list[dict[str, Any]]:
        """Empty the log; with `forget_under_way`, requests still being handled will not be logged either."""
        entries, self.request_log = self.request_log, []
        self.log_epoch += forget_under_way
        return entries

    def log(self, entry: dict[str, Any], epoch: int) -> None:
        if epoch != self.log_epoch:
            return
        self.request_log.append(entry)
        if len(self.request_log) > MAX_LOG_ENTRIES:
            del self.request_log[: len(self.request_log) - MAX_LOG_ENTRIES]


def _query_dict(request: Request) -> dict[str, Any]:
    query: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in query:
            query[key] = [*query[key], value] if isinstance(query[key], list) else [query[key], value]
        else:
            query[key] = value
    return query


def _parse_json(raw: bytes) -> tuple[bool, Any]:
    """(parsed, value): empty bodies count as absent; unparsable ones as (False, None)."""
    if not raw.strip():
        return True, None
    try:
        return True, json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return False, None


def _bearer_key(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise SandboxHttpError(401, "Missing Authorization header")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise SandboxHttpError(401, "Invalid API key")
    return key.strip()


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


class Api:
    """The catch-all endpoint answering everything that is not a `/_sandbox` admin route."""

    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox

    async def handle(self, request: Request) -> Response:
        epoch = self.sandbox.log_epoch
        raw = await request.body()
        parsed, body = _parse_json(raw)
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.url.path,
            "raw_path": (request.scope.get("raw_path") or request.url.path.encode()).decode("latin-1"),
            "query": _query_dict(request),
            "body": _parse_json(raw)[1] if parsed else None,  # its own copy: handlers fill defaults into `body`
            "ts": time.time(),
        }
        rule = self.sandbox.faults.pick(request.method, request.url.path)
        if rule is not None:
            entry["fault"] = rule.kind
            if rule.kind == "latency":
                await anyio.sleep(rule.delay_s)
            elif rule.after:
                entry["handled_status"] = self._answer(request, raw, parsed, body, entry).status_code
                entry["status"] = None if rule.kind == "drop" else rule.effective_status
                self.sandbox.log(entry, epoch)
                return fault_response(rule)
            else:
                entry["status"] = None if rule.kind == "drop" else rule.effective_status
                self.sandbox.log(entry, epoch)
                return fault_response(rule)
        response = self._answer(request, raw, parsed, body, entry)
        entry["status"] = response.status_code
        self.sandbox.log(entry, epoch)
        return response

    def _answer(self, request: Request, raw: bytes, parsed: bool, body: Any, entry: dict[str, Any]) -> Response:
        store = self.sandbox.store
        try:
            op, params = self._route(request)
            entry["operation_id"] = op.operation_id
            self._authorize(request, op)
            content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
            if raw.strip() and not content_type.endswith("json"):
                raise SandboxHttpError(415, f"Unsupported Media Type: {content_type}")
            if not parsed:
                raise SandboxHttpError(400, "Body is not valid JSON")
            validated = validator_for(op).validate(params, request.query_params.multi_items(), body, body is not None)
            ctx = Context(op, validated.params, validated.query, validated.body, store, self.sandbox.resources)
            self._ensure_addressed_exist(ctx)
            response = self._respond(op, self._dispatch(ctx))
        except SandboxHttpError as error:
            store.rollback()
            return _json(error.status, error.body, error.headers)
        except Exception as exc:
            store.rollback()
            logger.exception("sandbox handler failed for %s %s", request.method, request.url.path)
            return _json(500, error_body(500, f"Sandbox internal error: {type(exc).__name__}"))
        store.commit()
        return response

    def _route(self, request: Request) -> tuple[Operation, dict[str, str]]:
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        path = raw_path.decode("latin-1").split("?", 1)[0]
        matched = self.sandbox.spec.router.match(request.method, path) if path.startswith(API_PREFIX) else None
        if matched is None:
            raise SandboxHttpError(404, f"Route {request.method}:{request.url.path} not found")
        return matched

    def _authorize(self, request: Request, op: Operation) -> None:
        key = _bearer_key(request)
        grants = self.sandbox.key_scopes
        if grants is None or key not in grants:
            return
        required = required_scopes(op, self.sandbox.spec)
        if not is_allowed(grants[key], required):
            raise SandboxHttpError(403, f"API key is missing a required scope; requires one of: {', '.join(required)}")

    def _ensure_addressed_exist(self, ctx: Context) -> None:
        for resource, param in self.sandbox.resources.addressed(ctx.op):
            crud.find(ctx.store, resource, ctx.params[param], crud.parent_of(resource, ctx.params))

    def _dispatch(self, ctx: Context) -> Any:
        handler = HANDLERS.get(ctx.op.operation_id)
        if handler is not None:
            return handler(ctx)
        owned = self.sandbox.resources.owning(ctx.op)
        if owned is not None:
            return crud.handle(ctx, *owned)
        return synthesize(ctx.op.success_schema, full=True)

    @staticmethod
    def _respond(op: Operation, result: Any) -> Response:
        if isinstance(result, Response):
            return result
        if result is None and (op.success_status == 204 or not op.success_schema):
            return Response(status_code=op.success_status)
        return _json(op.success_status, result)


def _admin_routes(sandbox: Sandbox) -> list[Route]:
    async def requests_log(request: Request) -> Response:
        """GET: the log; GET ?drain=true: the log, emptied in the same step (so long runs lose no entry);
        DELETE: empty it."""
        if request.method == "DELETE" or request.query_params.get("drain") == "true":
            entries = sandbox.clear_log(forget_under_way=request.method == "DELETE")
        else:
            entries = list(sandbox.request_log)
        if request.method == "DELETE":
            return _json(200, {"cleared": len(entries)})
        return _json(200, entries)

    async def faults(request: Request) -> Response:
        try:
            rules = [FaultRule.from_dict(item) for item in json.loads(await request.body() or b"[]")]
        except (ValueError, TypeError, AttributeError) as exc:
            return _json(400, error_body(400, f"Invalid fault rules: {exc}"))
        sandbox.faults.replace(rules)
        return _json(200, {"faults": [rule.to_dict() for rule in rules]})

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return _json(200, {"reset": True})

    async def health(request: Request) -> Response:
        return _json(200, {"status": "ok", "operations": len(sandbox.spec.operations)})

    return [
        Route("/_sandbox/requests", requests_log, methods=["GET", "DELETE"]),
        Route("/_sandbox/faults", faults, methods=["POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/health", health, methods=["GET"]),
    ]


def create_app(
    *,
    db_path: str | None = None,
    seed: bool = True,
    key_scopes: dict[str, list[str]] | None = None,
    faults: list[FaultRule] | None = None,
    scale: str = "demo",
) -> Starlette:
    """A sandbox app; with `db_path`, state lives in SQLite and survives restarts (seeded once).

    A saved workspace of another scale than asked for is replaced, so `--scale large` with an
    existing demo file gives the large workspace (and the next start loads it from the file).
    """
    if scale not in SCALES:
        raise ValueError(f"unknown sandbox scale {scale!r}; expected one of {', '.join(SCALES)}")
    spec = get_spec()
    store = Store(db_path)
    sandbox = Sandbox(spec, Resources(spec), store, seed, FaultInjector(faults), key_scopes, scale)
    if store.is_empty or (seed and saved_scale(store) != scale):
        sandbox.reset()
    api = Api(sandbox)
    routes = [*_admin_routes(sandbox), Route("/{path:path}", api.handle, methods=_ALL_METHODS)]
    app = Starlette(routes=routes)
    app.state.sandbox = sandbox
    return app


def seed_workspace(store: Store, resources: Resources, scale: str = "demo") -> None:
    """Fill an empty store: the hand-written Northwind demo, or the generated `large` workspace."""
    if scale == "large":
        from instantly_mcp.sandbox.seed_large import seed_large_workspace

        seed_large_workspace(store, resources)
    else:
        Seeder(store, resources).run()
    workspace = store.get(WORKSPACE, WORKSPACE_KEY)
    if workspace is not None:
        store.put(WORKSPACE, WORKSPACE_KEY, {**workspace, "_scale": scale})
