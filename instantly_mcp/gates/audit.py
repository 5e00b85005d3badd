"""The audit log: one JSON line per non-read call, so the key owner can see what an agent tried and what happened.

Secrets never reach the file: argument keys that look like credentials are masked, and the API key
is masked wherever it appears in a value.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from instantly_mcp.config import ConfigError

Decision = Literal["sent", "declined", "refused", "dry_run", "confirmation_required", "invalid", "failed"]

MASK = "***"
MIN_SECRET_CHARS = 8
# smtp_password and imap_password fall under password; `sec` is change_workspace_owner's security
# code, Authorization a header a webhook may be given.
SECRET_KEY = re.compile(r"password|secret|token|api_key|authorization|^sec$", re.IGNORECASE)


def redact(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `value` with credential-like keys masked and every known secret cut out of strings
    (secrets shorter than MIN_SECRET_CHARS would mask ordinary text, and no real key is that short)."""
    known = tuple(s for s in secrets if len(s) >= MIN_SECRET_CHARS)
    return _redact(value, known)


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, dict):
        return {k: MASK if SECRET_KEY.search(str(k)) else _redact(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
    return value


class AuditLog:
    """Appends lines to a file created owner-only (it holds lead and recipient addresses)."""

    def __init__(self, path: str | Path, *, secrets: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(secrets)
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
    ) -> None:
        line = {
            "ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
            "tool": tool,
            "risk": risk,
            "arguments": redact(arguments or {}, self._secrets),
            "decision": decision,
            "status": status,
            "duration_ms": round(duration_ms, 1),
        }
        text = json.dumps(line, ensure_ascii=False, separators=(",", ":"), default=str) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as handle:
            handle.write(text)


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
