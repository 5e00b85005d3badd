"""The limits of one run_code script, read from the settings once; no Monty import (tools/list
shows them in run_code's description before any script runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from instantly_mcp.config import Settings

if TYPE_CHECKING:
    import pydantic_monty as monty


@dataclass(frozen=True)
class CodeLimits:
    wall_s: float = 30.0
    memory_mb: int = 64
    max_calls: int = 200
    max_depth: int = 200
    output_chars: int = 20_000
    workers: int = 8
    shared: bool = False  # several tenants (--per-request-key, --oauth-issuer): each gets a share of the workers

    @classmethod
    def of(cls, settings: Settings) -> CodeLimits:
        return cls(
            settings.code_timeout_s,
            settings.code_memory_mb,
            settings.code_max_calls,
            settings.code_max_depth,
            settings.max_result_chars,
            settings.code_workers,
            settings.multi_tenant,
        )

    def monty(self) -> monty.ResourceLimits:
        """What the Monty worker enforces itself; the host enforces wall time and the call budget too."""
        return {
            "max_feed_duration_secs": self.wall_s,
            "max_memory": self.memory_mb * 1024 * 1024,
            "max_recursion_depth": self.max_depth,
            "max_suspensions": self.max_calls + 50,
        }
