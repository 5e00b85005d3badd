"""Debian's chromium driven by Playwright, never a downloaded browser (`playwright install` is not used)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from support.system_packages import missing

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A fresh chromium context (its own --user-data-dir) with a phone-sized viewport."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        missing("chromium", "run scripts/setup.sh (apt-get install -y chromium; /usr/bin/chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
            viewport={"width": 412, "height": 915},
            device_scale_factor=1,
        )
        try:
            yield context
        finally:
            context.close()
