"""Approval pages: where a person, not the agent, approves or denies a gated call.

    GET  /approvals/<id>        the pending call(s) as a person reads them, with Approve / Deny
    POST /approvals/<id>        the decision: a plain form (no JavaScript) with the approval's CSRF value
    GET  /approvals             the caller's own pending approvals (all of them for the operator)
    POST /approvals/login       a credential, once, into an expiring HttpOnly SameSite=Strict cookie
    GET  /approvals/signin      (--oauth-issuer) sign in through the issuer; back at /approvals/signin/callback
    GET  /approvals/api/pending, POST /approvals/api/<id>/approve|deny   JSON for `instantly-mcp approvals`

Ids are unguessable; listing and deciding need a credential of the principal that asked, or the
operator's (approvers.py). Host and Origin are checked as on /mcp; a form body over
MAX_FORM_BYTES is refused before it is read. Every value shown is escaped, and every control,
format and invisible character made visible.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import socket
import sys
import time
import unicodedata
from collections.abc import Awaitable, Callable
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio
from anyio.abc import TaskStatus
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from instantly_mcp.config import Settings
from instantly_mcp.errors import ConfigError, FormTooLarge
from instantly_mcp.gates.approvals import OPERATOR, Approval, ApprovalDesk, Decision
from instantly_mcp.transport.approvers import Passes, approver_secret_path, installation_secret
from instantly_mcp.transport.auth import (
    TENANT_KEY_HEADER,
    bearer_of,
    default_hosts,
    default_origins,
    public_base,
    tenant_principal,
    token_matches,
    valid_tenant_key,
)

if TYPE_CHECKING:
    from jinja2 import Environment

    from instantly_mcp.transport.approval_signin import SignIn

PREFIX = "/approvals"
COOKIE = "instantly_approver"
MAX_FORM_BYTES = 4096  # a decision or a login is a few hundred bytes
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}
_SUSPECT = re.compile(r"[^\x20-\x7e\t\n]")
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters and marks that render as nothing: Hangul fillers, the combining grapheme joiner,
# variation selectors, the Mongolian free variation selectors, the braille blank.
_BLANK = re.compile(r"[\u115f\u1160\u3164\uffa0\u034f\u180b-\u180f\ufe00-\ufe0f\u2800\U000e0100-\U000e01ef]")


def _shown(char: str) -> str:
    if _BLANK.match(char) or unicodedata.category(char) in _HIDDEN_CATEGORIES:
        code = ord(char)
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def visible(value: Any) -> str:
    """Every control, format (Cf: bidi, zero-width, soft hyphen, tags, ...), separator and blank
    character shown as \\uXXXX, so nothing hides or reorders text."""
    return _SUSPECT.sub(lambda m: _shown(m.group(0)), str(value))


@cache
def templates() -> Environment:
    """Loaded when the first page is rendered, not at start-up."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    from instantly_mcp.gates.approval_items import RECIPIENT_FIELDS

    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    environment.filters["visible"] = visible
    environment.filters["utc_time"] = lambda seconds: time.strftime("%H:%M:%S", time.gmtime(seconds))
    environment.globals["recipient_labels"] = frozenset(RECIPIENT_FIELDS.values())
    return environment


async def bounded_form(request: Request) -> FormData:
    """The form, read only up to MAX_FORM_BYTES (Content-Length checked first, then the stream)."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_FORM_BYTES:
        raise FormTooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise FormTooLarge
    request._body = bytes(body)  # form() parses what was read
    return await request.form()


class Pages:
    """The routes over one ApprovalDesk; `hosts`/`origins` as accepted on /mcp."""

    def __init__(
        self, desk: ApprovalDesk, settings: Settings, hosts: tuple[str, ...], origins: tuple[str, ...]
    ) -> None:
        self.desk = desk
        self.settings = settings
        self.hosts = hosts
        self.origins = origins
        self.per_tenant = settings.per_request_key
        self.signin = sign_in_for(settings)

    def routes(self) -> list[Route]:
        routes = [
            Route(PREFIX, self.guarded(self.index), methods=["GET"]),
            Route(PREFIX + "/login", self.guarded(self.login), methods=["POST"]),
            Route(PREFIX + "/api/pending", self.guarded(self.api_pending), methods=["GET"]),
            Route(PREFIX + "/api/{id}/{decision}", self.guarded(self.api_decide), methods=["POST"]),
        ]
        if self.signin is not None:
            routes += [
                Route(PREFIX + "/signin", self.guarded(self.sign_in), methods=["GET"]),
                Route(PREFIX + "/signin/callback", self.guarded(self.signed_in), methods=["GET"]),
            ]
        return [
            *routes,
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
                try:
                    response = await handler(request)
                except FormTooLarge:
                    response = message(413, "Refused", f"A form here is at most {MAX_FORM_BYTES:,} bytes.")
                except ConfigError as exc:
                    response = message(503, "Approvals unavailable", f"{exc}. Nothing was decided.")
            response.headers.update(SECURITY_HEADERS)
            return response

        return endpoint

    # ------------------------------------------------------------ who may decide

    @cached_property
    def operator_secret(self) -> str:
        """--approver-token, else the installation's secret file (created on first use, not at start-up)."""
        return self.settings.approver_token or installation_secret()

    @cached_property
    def passes(self) -> Passes:
        """Cookies and CSRF values under the server secret (shared by replicas), else the approver secret
        (which outlives a stdio server's restart, so a browser is asked once)."""
        return Passes.under((self.settings.secret or self.operator_secret).encode())

    async def principal_of(self, credential: str, *, tenant_key: bool) -> str | None:
        """OPERATOR, an OAuth user (`oauth:<digest>`) or, where `tenant_key` may be one, a tenant
        (`tenant:<fingerprint>`), as auth.principal_of names the caller; never the platform bearer
        token (it is no approver credential at all)."""

        if token_matches(credential, self.operator_secret):
            return OPERATOR
        if self.signin is not None and credential.count(".") == 2:
            return await self.signin.principal_of_token(credential)
        key = valid_tenant_key(credential) if self.per_tenant and tenant_key else None
        return tenant_principal(key) if key else None

    async def viewer(self, request: Request, typed: str | None = None) -> tuple[str | None, bool]:
        """(principal, whether it was proven now rather than by this browser's pass): a credential
        typed into the form (operator secret or tenant key), a bearer token (operator or OAuth), the
        tenant's own X-Instantly-Api-Key, else the pass."""
        proofs = [(typed, True), (bearer_of(request.headers), False)]
        if self.per_tenant:
            proofs.append((request.headers.get(TENANT_KEY_HEADER), True))
        for credential, tenant_key in proofs:
            if credential and (found := await self.principal_of(credential, tenant_key=tenant_key)) is not None:
                return found, True
        return self.passes.principal(request.cookies.get(COOKIE), self.desk.clock()), False

    def remember(self, request: Request, response: Response, principal: str) -> None:
        """A new pass per sign-in: random, expiring, Secure when the person reaches us over https."""
        secure = request.url.scheme == "https" or (self.settings.public_url or "").startswith("https://")
        response.set_cookie(
            COOKIE,
            self.passes.issue(principal, self.desk.clock()),
            max_age=self.passes.ttl_s,
            httponly=True,
            samesite="strict",
            secure=secure,
            path=PREFIX,
        )

    def sign_in_form(self) -> dict[str, str]:
        """What the page asks of a person not yet signed in."""
        if self.signin is not None:
            return {"sign_in": "oauth"}
        if self.per_tenant:
            return {
                "sign_in": "token",
                "credential_label": "Your Instantly API key (or the operator's approver token)",
                "credential_hint": "Only the workspace that asked, or the operator, can decide.",
            }
        where = "--approver-token"
        if not self.settings.approver_token:
            installation_secret()  # the page sends a person to the file: it exists from now on
            where = str(approver_secret_path())
        return {
            "sign_in": "token",
            "credential_label": "Approver secret",
            "credential_hint": f"Once per browser. It is in {where} on the machine running the server.",
        }

    # ------------------------------------------------------------ pages

    async def index(self, request: Request) -> Response:
        principal, fresh = await self.viewer(request)
        if principal is None:
            return render("login.html", status=401, **self.sign_in_form())
        response = render("index.html", approvals=await self.desk.store.pending(principal))
        if fresh:
            self.remember(request, response, principal)
        return response

    async def login(self, request: Request) -> Response:
        form = await bounded_form(request)
        principal, _ = await self.viewer(request, str(form.get("approver_token") or ""))
        if principal is None:
            return render("login.html", status=401, **self.sign_in_form())
        back = str(form.get("next") or "")
        target = f"{PREFIX}/{back}" if back.replace("-", "").replace("_", "").isalnum() else PREFIX
        response = RedirectResponse(target, status_code=303)
        self.remember(request, response, principal)
        return response

    async def sign_in(self, request: Request) -> Response:
        assert self.signin is not None
        return await self.signin.start(request, self.passes)

    async def signed_in(self, request: Request) -> Response:
        assert self.signin is not None
        principal, back, refusal = await self.signin.finish(request, self.passes)
        if refusal is not None or principal is None:
            return message(401, "Not signed in", refusal or "Nothing was decided.")
        target = f"{PREFIX}/{back}" if back else PREFIX
        # A page, not a redirect: the Strict cookie then travels with the same-site navigation it starts.
        response = render("signed_in.html", target=target)
        self.remember(request, response, principal)
        return response

    async def page(self, request: Request) -> Response:
        approval = await self.desk.store.get(request.path_params["id"])
        if approval is None:
            return unknown()
        return await self.render_approval(request, approval)

    async def render_approval(self, request: Request, approval: Approval, status: int = 200) -> Response:
        now = self.desk.clock()
        principal, _ = await self.viewer(request)
        asks = {} if principal is not None and approval.seen_by(principal) else self.sign_in_form()
        return render(
            "approval.html",
            status=status,
            approval=approval,
            csrf=self.passes.csrf(approval.id),
            state=state_of(approval, now),
            expired=approval.expired(now),
            expires=time.strftime("%H:%M:%S", time.gmtime(approval.expires)),
            needs_token=bool(asks),
            other_principal=principal is not None and not approval.seen_by(principal),
            **asks,
        )

    async def decide(self, request: Request) -> Response:
        approval = await self.desk.store.get(request.path_params["id"])
        if approval is None:
            return unknown()
        form = await bounded_form(request)
        csrf, decision = str(form.get("csrf") or ""), form.get("decision")
        if not hmac_equal(csrf, self.passes.csrf(approval.id)):
            return message(403, "Refused", "This form is stale or was not sent from its page: open the page again.")
        if decision not in ("approve", "deny"):
            return message(400, "Refused", "Choose Approve or Deny.")
        principal, fresh = await self.viewer(request, str(form.get("approver_token") or ""))
        if principal is None:
            return message(401, "Refused", "Wrong approver credential: nothing was decided.")
        if not approval.seen_by(principal):
            return message(
                403,
                "Refused",
                "This approval belongs to another principal: only its own person, or the operator, "
                "can decide it. Nothing was decided.",
            )
        await self.desk.store.decide(approval.id, "approve" if decision == "approve" else "deny")
        response = RedirectResponse(f"{PREFIX}/{approval.id}", status_code=303)
        if fresh:
            self.remember(request, response, principal)
        return response

    # ------------------------------------------------------------ JSON for the CLI

    async def api_pending(self, request: Request) -> Response:
        principal, _ = await self.viewer(request)
        if principal is None:
            return credential_required()
        return JSONResponse([as_json(a, self.desk) for a in await self.desk.store.pending(principal)])

    async def api_decide(self, request: Request) -> Response:
        principal, _ = await self.viewer(request)
        if principal is None:
            return credential_required()
        decision = request.path_params["decision"]
        if decision not in ("approve", "deny"):
            return JSONResponse({"error": "use /approve or /deny"}, status_code=404)
        found = await self.desk.store.get(request.path_params["id"])
        if found is None or not found.seen_by(principal):  # another principal's approval is not there for you
            return JSONResponse({"error": "no such approval"}, status_code=404)
        chosen: Decision = "approve" if decision == "approve" else "deny"
        approval = await self.desk.store.decide(found.id, chosen)
        if approval is None:
            return JSONResponse({"error": "no such approval"}, status_code=404)
        now = self.desk.clock()
        ok = approval.status == ("approved" if chosen == "approve" else "denied")
        return JSONResponse(
            {**as_json(approval, self.desk), "state": state_of(approval, now)}, status_code=200 if ok else 409
        )


def sign_in_for(settings: Settings) -> SignIn | None:
    if not settings.oauth_issuer:
        return None
    from instantly_mcp.transport.approval_signin import SignIn
    from instantly_mcp.transport.oauth import OAuthSettings

    oauth = OAuthSettings.from_settings(settings)
    assert oauth is not None
    return SignIn(oauth, PREFIX, public_base(settings), settings.oauth_client_id)


def hmac_equal(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def credential_required() -> JSONResponse:
    return JSONResponse(
        {
            "error": "approver credential required: Authorization: Bearer <approver token or OAuth access token>, "
            "or (multi-tenant) X-Instantly-Api-Key: <your key>"
        },
        status_code=401,
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
    return Pages(desk, settings, default_hosts(settings), default_origins(settings))


def bind_pages(settings: Settings) -> socket.socket:
    """The stdio pages' socket, bound before anything is served, so a taken port stops the start-up cleanly."""
    from instantly_mcp.sockets import listen_socket

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
    where = "--approver-token" if settings.approver_token else approver_secret_path()
    print(f"instantly-mcp: approval pages at {desk.base_url}{PREFIX} (approver secret: {where})", file=sys.stderr)
    sock.listen()
    task_status.started()
    await anyio.wait_readable(sock)
    import uvicorn

    app = Starlette(routes=pages_for(desk, settings).routes())
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]  # the MCP server owns the signals
    await server.serve(sockets=[sock])
