"""Whether a log line would reach the client is decided before it is written (progress.heard)."""

from __future__ import annotations

from types import SimpleNamespace

from mcp_types import LOG_LEVEL_META_KEY

from instantly_mcp.transport.progress import heard

MODERN = "2026-07-28"


def call(version: str, meta: dict[str, str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(session=object(), protocol_version=version, meta=meta, request_id=1)


def test_on_the_2026_protocol_only_the_requests_own_opt_in_is_heard() -> None:
    assert not heard(call(MODERN), "debug")
    assert not heard(call(MODERN), "error")
    assert heard(call(MODERN, {LOG_LEVEL_META_KEY: "debug"}), "debug")
    assert heard(call(MODERN, {LOG_LEVEL_META_KEY: "warning"}), "error")
    assert not heard(call(MODERN, {LOG_LEVEL_META_KEY: "warning"}), "debug")
    assert not heard(call(MODERN, {LOG_LEVEL_META_KEY: "loud"}), "error")


def test_handshake_versions_hear_from_warning_until_the_client_sets_a_level() -> None:
    assert heard(call("2025-11-25"), "warning")
    assert not heard(call("2025-11-25"), "debug")


def test_nothing_is_heard_without_a_session() -> None:
    opted_in = SimpleNamespace(session=None, protocol_version=MODERN, meta={LOG_LEVEL_META_KEY: "debug"})
    assert not heard(opted_in, "error")
