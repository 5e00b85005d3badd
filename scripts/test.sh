#!/usr/bin/env bash
# The test command: install what is missing (scripts/setup.sh), then run pytest.
# Arguments go to pytest unchanged; pytest's exit code is this script's. Coverage of the package by
# the in-process tests is reported at the end (pytest-cov; a report, not a gate).
# The tests run in one worker process per core plus one (pytest-xdist; the e2e tests spend much of
# their time waiting on the processes they start), a test file per worker at a time, so a file's
# module-scoped servers start once. INSTANTLY_TEST_WORKERS=N overrides the count; `-n 0` runs
# everything in this process (for --pdb).
#   bash scripts/test.sh                    # whole suite
#   bash scripts/test.sh tests/e2e/test_prism_smoke.py -x
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh

# What setup.sh could not install (no apt-get): those tests skip, saying why (tests/support/system_packages.py).
if [[ -s .cache/setup/without ]]; then
    without="$(paste -sd, .cache/setup/without)"
    export INSTANTLY_TESTS_WITHOUT="${INSTANTLY_TESTS_WITHOUT:+$INSTANTLY_TESTS_WITHOUT,}$without"
fi

if [[ -x "$ROOT/.venv/bin/python" ]]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
workers="${INSTANTLY_TEST_WORKERS:-$(($(nproc 2>/dev/null || sysctl -n hw.ncpu) + 1))}"
exec "$PY" -m pytest -q -n "$workers" --dist loadfile --cov=instantly_mcp --cov-report=term:skip-covered "$@"
