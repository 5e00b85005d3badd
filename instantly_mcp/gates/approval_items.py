"""A gated call as an approval page shows it: who it reaches, what it says, how much it touches,
what approving causes, and the exact request the dry run would show."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

from instantly_mcp.calls.pipeline import PreparedCall
from instantly_mcp.gates.approvals import ApprovalItem, call_digest
from instantly_mcp.gates.risk_sentences import risk_sentences
from instantly_mcp.gates.summaries import CONSEQUENCES, Lookup, clean, text_field

RECIPIENT_FIELDS = {
    "to_address_email_list": "To",
    "additional_recipients": "Also to",
    "cc_address_email_list": "Cc",
    "bcc_address_email_list": "Bcc",
    "email": "Address",
    "eaccount": "From account",
}
COUNTED_FIELDS = {"ids": "Listed items", "leads": "Leads", "emails": "Emails", "limit": "At most"}
MAX_BODY_CHARS = 20_000  # an approval is kept in memory (and Redis) for its life: bounded
MAX_TARGET_CHARS = 80
BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "blockquote", "table", "ul", "ol"})


def approval_item(
    call: PreparedCall, summary: str, request: dict[str, Any], looked_up: list[tuple[str, str]] | None = None
) -> ApprovalItem:
    rows = tuple((looked_up or []) + details(call.arguments))
    body = body_text(call.arguments.get("body"))
    risks = risk_sentences(call.op.name)
    if risks:  # the page says what approving causes per effect, so the risk class's sentence goes
        summary = summary.removesuffix(CONSEQUENCES.get(call.op.risk, "")).strip()
    return ApprovalItem(
        tool=call.op.name,
        title=call.op.title,
        summary=summary,
        details=rows,
        request=json.dumps(request, indent=2, ensure_ascii=False),
        digest=call_digest(call.op.name, call.arguments),
        body=body[:MAX_BODY_CHARS] + ("…" if len(body) > MAX_BODY_CHARS else ""),
        risks=risks,
        target=target_of(rows, summary),
    )


def target_of(rows: tuple[tuple[str, str], ...], summary: str) -> str:
    """Who or what the call reaches, in a few words: the first recipient row, else the summary's question."""
    text = rows[0][1] if rows and rows[0][0] in RECIPIENT_FIELDS.values() else summary.split("?")[0]
    return text if len(text) <= MAX_TARGET_CHARS else text[: MAX_TARGET_CHARS - 1] + "…"


async def reply_recipient(call: PreparedCall, lookup: Lookup) -> list[tuple[str, str]]:
    """A reply goes to the sender of the email it answers, which only a lookup names."""
    if call.op.name != "reply_to_email":
        return []
    original = await lookup("get_email", {"id": call.arguments["reply_to_uuid"]})
    recipient = text_field(original, "lead", "from_address_email")
    return [("To", recipient)] if recipient else []


def details(arguments: dict[str, Any]) -> list[tuple[str, str]]:
    """Recipients, subject and counts; the body is shown apart, whole."""
    rows = [(label, as_text(arguments[key])) for key, label in RECIPIENT_FIELDS.items() if arguments.get(key)]
    if arguments.get("subject"):
        rows.append(("Subject", as_text(arguments["subject"])))
    for key, label in COUNTED_FIELDS.items():
        value = arguments.get(key)
        if isinstance(value, list):
            rows.append((label, f"{len(value):,}"))
        elif isinstance(value, int) and not isinstance(value, bool):
            rows.append((label, f"{value:,}"))
    return rows


def body_text(body: Any) -> str:
    """The text part when there is one, else the HTML part read as a person sees it."""
    if isinstance(body, dict):
        text, markup = body.get("text"), body.get("html")
        if isinstance(text, str) and text.strip():
            return text.strip()
        body = html_to_text(markup) if isinstance(markup, str) else None
    return body.strip() if isinstance(body, str) else ""


class _Text(HTMLParser):
    """HTML as plain text: block elements on lines of their own, links followed by their full URL,
    scripts and styles dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        elif tag in BLOCKS:
            self.parts.append("\n")
        if tag == "a":
            self.links.append(dict(attrs).get("href"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden = max(0, self.hidden - 1)
        elif tag in BLOCKS:
            self.parts.append("\n")
        if tag == "a" and self.links:
            href = self.links.pop()
            if href and not "".join(self.parts).rstrip().endswith(href):
                self.parts.append(f" ({href})")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    lines = (clean(line) for line in "".join(parser.parts).split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def as_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(as_text(v) for v in value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
