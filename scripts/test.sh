#!/usr/bin/env bash
# The test command: install what is missing (scripts/setup.sh), then run pytest.
# Arguments go to pytest unchanged; pytest's exit code is this script's.
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
exec "$PY" -m pytest -q "$@"
