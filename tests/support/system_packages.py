"""The system packages some tests need (Debian's chromium and redis-server, installed by scripts/setup.sh
with apt-get). Where they cannot be installed (no apt, e.g. macOS), or by choice, those tests are skipped
with the reason when INSTANTLY_TESTS_WITHOUT names them (`INSTANTLY_TESTS_WITHOUT=chromium,redis-server`;
scripts/test.sh sets it for what setup.sh could not install); otherwise a missing package fails the test."""

from __future__ import annotations

import os

import pytest


def missing(package: str, fix: str) -> None:
    without = {name.strip() for name in os.environ.get("INSTANTLY_TESTS_WITHOUT", "").split(",")}
    if package in without:
        pytest.skip(f"{package} is not installed and INSTANTLY_TESTS_WITHOUT names it: {fix}")
    pytest.fail(
        f"{package} is not installed: {fix}, or skip these tests with INSTANTLY_TESTS_WITHOUT={package}", pytrace=False
    )
