"""Who may decide an approval: the person of the principal that asked, or the operator.

- The operator: `--approver-token`, else the installation's approver secret, generated once into a
  0600 file in the user's config directory (`approver_secret_path`), never on a command line or in
  the environment, so an agent that can only make HTTP requests cannot approve its own calls. The
  platform bearer token (INSTANTLY_MCP_AUTH_TOKEN) is never an approver credential: every tenant sends it.
- A tenant (`--per-request-key`): its own Instantly key, as `X-Instantly-Api-Key` or typed once.
- An OAuth user (`--oauth-issuer`): an access token of the same issuer, or the page's sign-in.

A browser proves it once: the pass is then a cookie of its own (random per sign-in, expiring,
HttpOnly, SameSite=Strict, Secure over https) that names the principal under an HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from instantly_mcp.errors import ConfigError
from instantly_mcp.gates.approvals import pasteable_token

SECRET_FILE = "approver-secret"
PASS_TTL_S = 12 * 3600
PASS_VERSION = "p1"


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/instantly-mcp, else ~/.config/instantly-mcp."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "instantly-mcp"


def approver_secret_path() -> Path:
    return config_dir() / SECRET_FILE


def installation_secret(path: Path | None = None) -> str:
    """The approver secret of this installation, created on first use (atomically: concurrent
    processes agree on one). Refused when others may read the file."""
    path = path or approver_secret_path()
    try:
        return read_secret(path)
    except FileNotFoundError:
        pass
    try:
        return create_secret(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the approver secret in {path} ({exc.strerror}): set XDG_CONFIG_HOME or --approver-token"
        ) from None


def create_secret(path: Path) -> str:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{SECRET_FILE}.{secrets.token_hex(6)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(pasteable_token(32) + "\n")
    try:
        os.link(draft, path)  # fails if another process won the race: then its secret is the one
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return read_secret(path)


def read_secret(path: Path) -> str:
    mode = path.stat().st_mode
    if mode & 0o077:
        raise ConfigError(f"{path} can be read by other users (mode {mode & 0o777:o}): run chmod 600 {path}")
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < 16:
        raise ConfigError(f"{path} holds no approver secret (at least 16 characters); delete it to get a new one")
    return secret


@dataclass(frozen=True)
class Passes:
    """Signed cookies naming a principal: `p1.<principal>.<expiry>.<nonce>.<mac>`."""

    key: bytes
    ttl_s: int = PASS_TTL_S

    @classmethod
    def under(cls, secret: bytes) -> Passes:
        return cls(hmac.new(secret, b"instantly-mcp approver pass", hashlib.sha256).digest())

    def issue(self, principal: str, now: float | None = None) -> str:
        expiry = int(now if now is not None else time.time()) + self.ttl_s
        body = f"{PASS_VERSION}.{principal}.{expiry}.{secrets.token_urlsafe(12)}"
        return f"{body}.{self._mac(body)}"

    def principal(self, value: str | None, now: float | None = None) -> str | None:
        """The principal a valid, unexpired pass names; None for anything else."""
        if not value or len(value) > 256:
            return None
        body, _, mac = value.rpartition(".")
        parts = body.split(".")
        if len(parts) != 4 or parts[0] != PASS_VERSION or not parts[2].isascii() or not parts[2].isdigit():
            return None
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        if int(parts[2]) <= (now if now is not None else time.time()):
            return None
        return parts[1]

    def csrf(self, approval_id: str) -> str:
        """The form value of one approval: derived, never stored."""
        return self._mac("csrf\0" + approval_id)

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()
