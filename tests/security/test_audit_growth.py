"""Finding 5: an agent cannot fill the disk through the audit log. Oversized arguments leave a line
of a few KB (large values as their size and SHA-256), and the file is rotated by size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio

from instantly_mcp.gates.audit import MAX_LINE_BYTES
from security.conftest import Target, audit_lines, nothing_sent, text

BIG = 1_000_000


def test_oversized_arguments_leave_a_short_line(target: Target) -> None:
    huge = "x" * BIG
    near_limit = ["y" * 300] * 1000  # 300 KB, under the input limits: validated, then refused for the label

    async def run() -> list[str]:
        async with target.connect("--confirm", "token") as client:
            results = [await client.call_tool("create_custom_tag", {"label": huge}) for _ in range(3)]
            results.append(
                await client.call_tool(
                    "create_custom_tag", {"label": 5, "description": "z" * 5000, "extra": near_limit, "k" * 90_000: 1}
                )
            )
            return [text(r) for r in results if r.is_error]

    refusals = anyio.run(run)
    assert len(refusals) == 4 and all("label" in r for r in refusals)
    assert nothing_sent(target.sandbox)
    raw = target.audit_path.read_bytes()
    assert len(raw) < 4 * MAX_LINE_BYTES, f"the audit log grew by {len(raw)} bytes for 4 refused calls"
    lines = audit_lines(target.audit_path)
    assert [line["decision"] for line in lines] == ["invalid"] * 4
    assert lines[0]["arguments"]["label"] == {"chars": BIG, "sha256": hashlib.sha256(huge.encode()).hexdigest()}
    assert lines[3]["arguments"]["description"]["chars"] == 5000
    assert lines[3]["arguments"]["k" * 60 + "…"] == 1


def test_the_audit_log_rotates_by_size(target: Target) -> None:
    limit = 64 * 1024
    flags = ("--audit-log-max-bytes", str(limit), "--audit-log-backups", "2") if target.transport == "stdio" else ()
    env = {} if flags else {"INSTANTLY_AUDIT_LOG_MAX_BYTES": str(limit), "INSTANTLY_AUDIT_LOG_BACKUPS": "2"}

    async def run() -> None:
        async with target.connect("--confirm", "token", *flags, env=env) as client:
            for i in range(100):  # about 2 KB a line: the log passes its limit 3 times
                extra = {f"note{n}": "n" * 190 for n in range(9)}
                result = await client.call_tool("create_custom_tag", {"label": f"{i}-" + "t" * 180, **extra})
                assert result.is_error and "note0" in text(result), text(result)

    anyio.run(run)
    files = sorted(p.name for p in target.audit_path.parent.glob(target.audit_path.name + "*"))
    assert files == ["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2"]
    sizes = [Path(target.audit_path.parent, name).stat().st_size for name in files]
    assert all(size <= limit for size in sizes), sizes
    newest = audit_lines(target.audit_path)[-1]
    assert newest["arguments"]["label"].startswith("99-") and newest["decision"] == "invalid"
    assert nothing_sent(target.sandbox)
