"""The audit log: one JSON line per non-read call, so the key owner can see what an agent tried and what happened.

Secrets never reach the file: argument keys that look like credentials are masked, and every
secret in play (the API key, a tenant's key, the bearer token, the confirmation secret) is masked
wherever it appears in a value, whatever its case. Nor can an agent fill the disk: a long string is
logged as its size and SHA-256, long lists and objects by their first items and a count, a line is
at most MAX_LINE_BYTES, and the file is rotated when it would pass --audit-log-max-bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from instantly_mcp.errors import ConfigError
from instantly_mcp.redaction import in_play, scrub_text

Decision = Literal[
    "sent", "declined", "refused", "dry_run", "confirmation_required", "invalid", "failed", "ran", "stopped"
]

MASK = "***"
# smtp_password and imap_password fall under password; `sec` is change_workspace_owner's security
# code, Authorization a header a webhook may be given.
SECRET_KEY = re.compile(r"password|secret|token|api_key|authorization|^sec$", re.IGNORECASE)
MAX_VALUE_CHARS = 200  # a longer string is logged as {"chars", "sha256"}
MAX_ITEMS = 20  # items of a list (fields of an object) logged; the rest are counted
MAX_NESTING = 8
MAX_NAME_CHARS = 60  # of a field name
MAX_NODES = 500  # values walked for one line; beyond them, containers are summarised
MAX_LINE_BYTES = 4096  # arguments that still do not fit are logged as their size, SHA-256 and names
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_BACKUPS = 3


def redact(value: Any, secrets: Iterable[str] = (), *, shorten: bool = False) -> Any:
    """A copy of `value` with credential-like keys masked and every known secret cut out of strings;
    with `shorten`, long strings, lists and objects, deep nesting and whatever lies beyond the first
    MAX_NODES values are summarised too, so the cost of a line is bounded whatever the arguments."""
    return _Redaction(tuple(secrets), shorten).walk(value, 0)


class _Redaction:
    def __init__(self, secrets: tuple[str, ...], shorten: bool) -> None:
        self.secrets = secrets
        self.shorten = shorten
        self.budget = MAX_NODES

    def walk(self, value: Any, depth: int) -> Any:
        if self.shorten and isinstance(value, (dict, list, tuple)):
            if depth > MAX_NESTING:
                return {"omitted": f"nested more than {MAX_NESTING} levels"}
            if self.budget <= 0:
                return {"omitted": f"more than {MAX_NODES} values"}
        self.budget -= 1
        if isinstance(value, dict):
            items = list(value.items())
            kept = items[:MAX_ITEMS] if self.shorten else items
            out = {self.name(k): MASK if SECRET_KEY.search(str(k)) else self.walk(v, depth + 1) for k, v in kept}
            if len(kept) < len(items):
                out["…"] = f"{len(items) - len(kept)} more fields"
            return out
        if isinstance(value, (list, tuple)):
            kept_items = value[:MAX_ITEMS] if self.shorten else value
            shown = [self.walk(v, depth + 1) for v in kept_items]
            if len(kept_items) < len(value):
                shown.append({"more_items": len(value) - len(kept_items)})
            return shown
        if isinstance(value, str):
            return self.text(value)
        return value

    def name(self, key: Any) -> str:
        clean = scrub_text(str(key), self.secrets, mask=MASK)
        return clean[:MAX_NAME_CHARS] + "…" if self.shorten and len(clean) > MAX_NAME_CHARS else clean

    def text(self, value: str) -> Any:
        clean = scrub_text(value, self.secrets, mask=MASK)
        if self.shorten and len(clean) > MAX_VALUE_CHARS:
            return {"chars": len(clean), "sha256": hashlib.sha256(clean.encode()).hexdigest()}
        return clean


def fitted(arguments: Any, limit: int = MAX_LINE_BYTES) -> Any:
    """The (already redacted and shortened) arguments, or their size, hash and top-level names when
    even so they would make the line longer than `limit`."""
    text = json.dumps(arguments, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(text.encode()) <= limit // 2:
        return arguments
    names = list(arguments)[:MAX_ITEMS] if isinstance(arguments, dict) else []
    return {
        "bytes": len(text.encode()),
        "sha256": hashlib.sha256(text.encode()).hexdigest(),
        "fields": [str(n)[:60] for n in names],
    }


# Who made the call, where the server knows (an OAuth user): set around each tools/call.
acting_principal: ContextVar[str | None] = ContextVar("instantly_mcp_acting_principal", default=None)


class AuditLog:
    """Appends lines to a file created owner-only (it holds lead and recipient addresses), rotated
    by size: `path` -> `path.1` -> ... -> `path.<backups>`, the oldest dropped."""

    def __init__(
        self,
        path: str | Path,
        *,
        secrets: Iterable[str] = (),
        max_bytes: int = DEFAULT_MAX_BYTES,
        backups: int = DEFAULT_BACKUPS,
    ) -> None:
        self.path = Path(path)
        self._secrets = tuple(secrets)
        self.max_bytes = max_bytes
        self.backups = backups
        self._lock = threading.Lock()
        check_writable(self.path)

    def record(
        self,
        *,
        tool: str,
        risk: str,
        arguments: dict[str, Any] | None,
        decision: Decision,
        status: int | None,
        duration_ms: float,
        script: str | None = None,
        policy: dict[str, Any] | None = None,
    ) -> None:
        """`script` is the sha256 of the run_code script that made the call, or of the script itself;
        `policy` the autonomy policy's rule and counters (only with --policy)."""
        shown = redact(arguments or {}, in_play(self._secrets), shorten=True)
        line = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "tool": tool,
            "risk": risk,
            "arguments": fitted(shown),
            "decision": decision,
            "status": status,
            "duration_ms": round(duration_ms, 1),
        }
        if script is not None:
            line["script_sha256"] = script
        if policy is not None:
            line["policy"] = policy
        if (principal := acting_principal.get()) is not None:
            line["principal"] = principal
        self.write(json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str) + "\n")

    def write(self, text: str) -> None:
        data = text.encode()
        with self._lock:
            if self._size() + len(data) > self.max_bytes:
                self._rotate()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "ab") as handle:
                handle.write(data)

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self) -> None:
        if not self.path.exists():
            return
        if self.backups < 1:
            self.path.unlink()
            return
        for number in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{number}")
            if older.exists():
                older.replace(self.path.with_name(f"{self.path.name}.{number + 1}"))
        self.path.replace(self.path.with_name(f"{self.path.name}.1"))


def check_writable(path: Path) -> None:
    """Fail at start-up, not at the first destructive call, and without creating the file yet."""
    if path.exists():
        ok = path.is_file() and os.access(path, os.W_OK)
        problem = "is not a writable file"
    else:
        ok = path.parent.is_dir() and os.access(path.parent, os.W_OK)
        problem = "cannot be created: its directory is missing or not writable"
    if not ok:
        raise ConfigError(f"--audit-log {path} {problem}")
