"""Approval pages: where a person, not the agent, approves or denies a gated call.

    GET  /approvals/<id>        the pending call(s) as a person reads them, with Approve / Deny
    POST /approvals/<id>        the decision: a plain form (no JavaScript) with the approval's CSRF token
    GET  /approvals             the pending approvals (operator index)
    POST /approvals/login       the approver token, once, into an HttpOnly SameSite=Strict cookie
    GET  /approvals/api/pending, POST /approvals/api/<id>/approve|deny   JSON for `instantly-mcp approvals`

Ids are unguessable; with --approver-token (or --auth-token) set, the index, the buttons and the
API also need that token. Host and Origin are checked as on /mcp. Every value shown is escaped,
control and bidirectional characters made visible.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from instantly_mcp.config import Settings
from instantly_mcp.gates.approval_items import RECIPIENT_FIELDS
from instantly_mcp.gates.approvals import Approval, ApprovalDesk, Decision
from instantly_mcp.transport.auth import bearer_of, default_hosts, default_origins, token_matches

if TYPE_CHECKING:
    from jinja2 import Environment

PREFIX = "/approvals"
COOKIE = "instantly_approver"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_INVISIBLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


def visible(value: Any) -> str:
    """Control, zero-width and bidi characters shown as \\uXXXX, so nothing hides or reorders text."""
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", str(value))


@cache
def templates() -> Environment:
    """Loaded when the first page is rendered, not at start-up."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    environment.filters["visible"] = visible
    environment.filters["utc_time"] = lambda seconds: time.strftime("%H:%M:%S", time.gmtime(seconds))
    environment.globals["recipient_labels"] = frozenset(RECIPIENT_FIELDS.values())
    return environment


class Pages:
    """The routes over one ApprovalDesk; `hosts`/`origins` as accepted on /mcp."""

    def __init__(
        self, desk: ApprovalDesk, secret: str | None, hosts: tuple[str, ...], origins: tuple[str, ...]
    ) -> None:
        self.desk = desk
        self.secret = secret
        self.hosts = hosts
        self.origins = origins

    def routes(self) -> list[Route]:
        return [
            Route(PREFIX, self.guarded(self.index), methods=["GET"]),
            Route(PREFIX + "/login", self.guarded(self.login), methods=["POST"]),
            Route(PREFIX + "/api/pending", self.guarded(self.api_pending), methods=["GET"]),
            Route(PREFIX + "/api/{id}/{decision}", self.guarded(self.api_decide), methods=["POST"]),
            Route(PREFIX + "/{id}", self.guarded(self.page), methods=["GET"]),
            Route(PREFIX + "/{id}", self.guarded(self.decide), methods=["POST"]),
        ]

    def guarded(self, handler: Callable[[Request], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        from instantly_mcp.rebinding import host_allowed, origin_allowed

        async def endpoint(request: Request) -> Response:
            response: Response
            if not host_allowed(request.headers.get("host"), self.hosts):
                response = message(
                    421, "Refused", "Invalid Host header (DNS rebinding protection; see --allowed-hosts)."
                )
            elif not origin_allowed(request.headers.get("origin"), self.origins):
                response = message(403, "Refused", "This page accepts forms only from itself.")
            else:
                response = await handler(request)
            response.headers.update(SECURITY_HEADERS)
            return response

        return endpoint

    # ------------------------------------------------------------ who may decide

    def cookie_value(self) -> str:
        assert self.secret is not None
        return hmac.new(self.secret.encode(), b"approver-cookie", hashlib.sha256).hexdigest()

    def authorized(self, request: Request, form_token: str | None = None) -> bool:
        if self.secret is None:
            return True
        given = [bearer_of(request.headers), form_token]
        if any(token_matches(t, self.secret) for t in given if t):
            return True
        return token_matches(request.cookies.get(COOKIE), self.cookie_value())

    def remember(self, response: Response) -> None:
        if self.secret is not None:
            response.set_cookie(COOKIE, self.cookie_value(), httponly=True, samesite="strict", path=PREFIX)

    # ------------------------------------------------------------ pages

    async def index(self, request: Request) -> Response:
        if not self.authorized(request):
            return render("login.html", status=401)
        return render("index.html", approvals=await self.desk.store.pending())

    async def login(self, request: Request) -> Response:
        form = await request.form()
        if not self.authorized(request, str(form.get("approver_token") or "")):
            return render("login.html", status=401)
        response = RedirectResponse(PREFIX, status_code=303)
        self.remember(response)
        return response

    async def page(self, request: Request) -> Response:
        approval = await self.desk.store.get(request.path_params["id"])
        if approval is None:
            return unknown()
        return self.render_approval(request, approval)

    def render_approval(self, request: Request, approval: Approval, status: int = 200) -> Response:
        now = self.desk.clock()
        return render(
            "approval.html",
            status=status,
            approval=approval,
            state=state_of(approval, now),
            expired=approval.expired(now),
            expires=time.strftime("%H:%M:%S", time.gmtime(approval.expires)),
            needs_token=not self.authorized(request),
        )

    async def decide(self, request: Request) -> Response:
        approval = await self.desk.store.get(request.path_params["id"])
        if approval is None:
            return unknown()
        form = await request.form()
        csrf, decision = str(form.get("csrf") or ""), form.get("decision")
        if not hmac.compare_digest(csrf.encode(), approval.csrf.encode()):
            return message(403, "Refused", "This form is stale or was not sent from its page: open the page again.")
        if decision not in ("approve", "deny"):
            return message(400, "Refused", "Choose Approve or Deny.")
        if not self.authorized(request, str(form.get("approver_token") or "")):
            return message(401, "Refused", "Wrong approver token: nothing was decided.")
        await self.desk.store.decide(approval.id, "approve" if decision == "approve" else "deny")
        response = RedirectResponse(f"{PREFIX}/{approval.id}", status_code=303)
        self.remember(response)
        return response

    # ------------------------------------------------------------ JSON for the CLI

    async def api_pending(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"error": "approver token required (Authorization: Bearer ...)"}, status_code=401)
        return JSONResponse([as_json(a, self.desk) for a in await self.desk.store.pending()])

    async def api_decide(self, request: Request) -> Response:
        if not self.authorized(request):
            return JSONResponse({"error": "approver token required (Authorization: Bearer ...)"}, status_code=401)
        decision = request.path_params["decision"]
        if decision not in ("approve", "deny"):
            return JSONResponse({"error": "use /approve or /deny"}, status_code=404)
        chosen: Decision = "approve" if decision == "approve" else "deny"
        approval = await self.desk.store.decide(request.path_params["id"], chosen)
        if approval is None:
            return JSONResponse({"error": "no such approval"}, status_code=404)
        now = self.desk.clock()
        ok = approval.status == ("approved" if chosen == "approve" else "denied")
        return JSONResponse(
            {**as_json(approval, self.desk), "state": state_of(approval, now)}, status_code=200 if ok else 409
        )


def state_of(approval: Approval, now: float) -> str:
    several = len(approval.items) > 1
    if approval.status == "approved" and all(item.used for item in approval.items):
        return "Done: the approved calls ran." if several else "Done: the approved call ran."
    if approval.status == "approved":
        once = "each of these calls once" if several else "this call once"
        return f"Approved: go back to your assistant; it will make {once}."
    if approval.status == "denied":
        return "Denied: nothing will be sent."
    if approval.expired(now):
        return "Expired: nothing was sent."
    return "Waiting for your decision."


def as_json(approval: Approval, desk: ApprovalDesk) -> dict[str, Any]:
    return {
        "id": approval.id,
        "status": approval.status,
        "url": desk.url(approval),
        "expires_at": int(approval.expires),
        "calls": [{"tool": i.tool, "summary": i.summary, "used": i.used} for i in approval.items],
    }


def render(template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(template).render(**context), status_code=status)


def message(status: int, heading: str, text: str) -> HTMLResponse:
    return render("message.html", status=status, heading=heading, message=text)


def unknown() -> HTMLResponse:
    return message(404, "No such approval", "This link is wrong, or the approval was dropped. Nothing was sent.")


def pages_for(desk: ApprovalDesk, settings: Settings) -> Pages:
    return Pages(desk, settings.approver_secret, default_hosts(settings), default_origins(settings))


def bind_pages(settings: Settings) -> socket.socket:
    """The stdio pages' socket, bound before anything is served, so a taken port stops the start-up cleanly."""
    from instantly_mcp.transport.sockets import listen_socket

    return listen_socket("127.0.0.1", settings.approvals_port or 0, "--approvals-port")


async def serve_pages(
    desk: ApprovalDesk,
    settings: Settings,
    sock: socket.socket,
    *,
    task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """The pages alone on 127.0.0.1 (stdio): --approvals-port, 0 for any free port. Their address is
    known and announced at once; the web server behind it (and the templates) start when the first
    browser connects, so a session that never needs a person pays nothing for them."""
    desk.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    print(f"instantly-mcp: approval pages at {desk.base_url}{PREFIX}", file=sys.stderr)
    sock.listen()
    task_status.started()
    await anyio.wait_readable(sock)
    import uvicorn

    app = Starlette(routes=pages_for(desk, settings).routes())
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # the MCP server owns the signals
    await server.serve(sockets=[sock])
