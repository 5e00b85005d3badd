#!/usr/bin/env bash
# The first command of the README: run the server from this checkout on a fresh machine.
#
#   bash scripts/serve.sh [instantly-mcp flags]     e.g. bash scripts/serve.sh --transport http
#
# Installs the package into .venv (once; again when pyproject.toml changes) and runs
# .venv/bin/instantly-mcp. A venv, because Debian's and Ubuntu's Python refuse `pip install`
# outside one (PEP 668). Where the venv module lacks ensurepip (Debian/Ubuntu without the
# python3-venv package) it installs that package with apt-get, as root or through sudo.
# Everything this script says goes to stderr: on stdio, stdout is the MCP channel.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${INSTANTLY_MCP_VENV:-$ROOT/.venv}"
STAMP="$VENV/.instantly-serve-stamp"
PYTHON="${PYTHON:-python3}"

say() { printf 'serve.sh: %s\n' "$*" >&2; }

ensure_venv_module() {
    "$PYTHON" -c 'import ensurepip, venv' 2>/dev/null && return
    command -v apt-get >/dev/null || { say "$PYTHON cannot make a venv (no ensurepip): install its venv module"; exit 1; }
    local sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    say "installing python3-venv with apt-get (${sudo[*]:-as root}), which this Python needs to make a venv"
    "${sudo[@]}" apt-get install -y python3-venv >&2 || { say "could not install python3-venv: run sudo apt-get install -y python3-venv"; exit 1; }
}

install() {
    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
    if [[ -x "$VENV/bin/instantly-mcp" && -f "$STAMP" && "$(cat "$STAMP")" == "$want" ]]; then
        return
    fi
    if [[ ! -x "$VENV/bin/python" ]]; then
        ensure_venv_module
        say "making a virtualenv at $VENV"
        "$PYTHON" -m venv "$VENV" >&2
    fi
    say "installing instantly-mcp from $ROOT into $VENV (first run only)"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e "$ROOT" >&2
    echo "$want" >"$STAMP"
}

install
exec "$VENV/bin/instantly-mcp" "$@"
