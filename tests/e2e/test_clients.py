"""What users paste into their clients: the Claude Desktop config, the Claude Desktop bundle
manifest (validated by the official mcpb tool), and the `claude mcp add` lines in the README."""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from instantly_mcp.config import Settings, env_settings
from instantly_mcp.transport.runtime import build_runtime

from support.node import NODE_DIR, NodeToolMissing, node22, node22_env, npx_bin

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CONSOLE_SCRIPT = next(iter(PYPROJECT["project"]["scripts"]))


def mcpb(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        command = [str(node22()), str(npx_bin("mcpb")), *args]
    except NodeToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=node22_env(), cwd=NODE_DIR)


def test_bundle_manifest_passes_mcpb_validate(tmp_path: Path) -> None:
    done = mcpb("validate", str(ROOT / "manifest.json"))
    assert done.returncode == 0 and "passes" in done.stdout, done.stdout + done.stderr
    broken = json.loads((ROOT / "manifest.json").read_text())
    del broken["server"]["mcp_config"]
    (tmp_path / "manifest.json").write_text(json.dumps(broken))
    assert mcpb("validate", str(tmp_path / "manifest.json")).returncode != 0  # the validator does check


def test_bundle_manifest_matches_the_package() -> None:
    manifest = json.loads((ROOT / "manifest.json").read_text())
    assert manifest["version"] == PYPROJECT["project"]["version"]
    config = manifest["server"]["mcp_config"]
    assert config["args"][-1] == CONSOLE_SCRIPT and (ROOT / manifest["server"]["entry_point"]).is_file()
    # The env the host builds from user_config defaults: empty key -> sandbox, "false" -> every tool.
    defaults = {name: spec.get("default") for name, spec in manifest["user_config"].items()}
    env = {
        k: re.sub(
            r"\$\{user_config\.(\w+)\}",
            lambda m: (
                str(defaults[m.group(1)]).lower()
                if isinstance(defaults[m.group(1)], bool)
                else str(defaults[m.group(1)])
            ),
            v,
        )
        for k, v in config["env"].items()
    }
    settings = Settings(**env_settings(env))  # type: ignore[arg-type]
    assert settings.uses_sandbox and not settings.read_only
    assert len(build_runtime(settings).tools) == 255
    read_only = Settings(**env_settings({**env, "INSTANTLY_READ_ONLY": "true"}))  # type: ignore[arg-type]
    assert read_only.read_only and len(build_runtime(read_only).tools) < 255
    # .mcpbignore is an allow-list: everything at the top is left out but what the server needs.
    ignored = [line for line in (ROOT / ".mcpbignore").read_text().splitlines() if line and not line.startswith("#")]
    admitted = {line.removeprefix("!/") for line in ignored if line.startswith("!/")}
    needed = {"manifest.json", "pyproject.toml", "uv.lock", "instantly_mcp", "tool_specs"}
    assert ignored[0] == "/*" and needed <= admitted and "tests" not in admitted
    assert manifest["server"]["entry_point"].split("/")[0] in admitted


def test_readme_packs_the_bundle_under_the_project_name() -> None:
    """`mcpb pack` alone names the bundle after the checkout's folder (a clone into `src/` gives src.mcpb)."""
    readme = (ROOT / "README.md").read_text()
    packs = re.findall(r"`(npx @anthropic-ai/mcpb pack[^`]*)`", readme)
    assert packs and all(line.split()[-1] == "instantly-mcp.mcpb" for line in packs), packs


def test_claude_desktop_config_example() -> None:
    servers = json.loads((ROOT / "examples" / "claude_desktop_config.json").read_text())["mcpServers"]
    # Desktop does not search a venv's bin/: the command is absolute (`instantly-mcp config claude-desktop` prints it)
    assert all(
        s["command"].startswith("/") and s["command"].endswith("/.venv/bin/" + CONSOLE_SCRIPT) for s in servers.values()
    )
    sandbox, keyed = servers["instantly-sandbox"], servers["instantly"]
    assert sandbox["args"] == ["--sandbox"] and "env" not in sandbox
    assert set(keyed["env"]) == {"INSTANTLY_API_KEY"}


def test_readme_client_lines_name_real_commands_and_flags() -> None:
    readme = (ROOT / "README.md").read_text()
    adds = re.findall(r"`(claude mcp add[^`]*)`", readme)
    assert adds, "README lost its `claude mcp add` lines"
    stdio = [shlex.split(line) for line in adds if " -- " in line]
    assert stdio and all(words[words.index("--") + 1].split("/")[-1] == CONSOLE_SCRIPT for words in stdio)
    http = [shlex.split(line) for line in adds if "--transport http" in line]
    assert http and all(any(w.endswith("/mcp") for w in words) for words in http)

    from instantly_mcp.cli import build_parser

    parser = build_parser()
    subcommands = next(a for a in parser._actions if a.dest == "command").choices  # type: ignore[union-attr]
    commands = re.findall(r"^\s*(instantly-mcp\b[^#\n]*)", readme, re.MULTILINE)
    commands += re.findall(r"`((?:\.venv/bin/)?instantly-mcp\b[^`]*)`", readme)

    def options(of: argparse.ArgumentParser) -> set[str]:
        return {option for action in of._actions for option in action.option_strings}

    def nested(of: argparse.ArgumentParser, words: list[str]) -> argparse.ArgumentParser:
        """The parser that reads the line's options: `policy explain ...` is read by explain's own."""
        for action in of._actions:
            if isinstance(action, argparse._SubParsersAction):
                chosen = next((word for word in words if word in action.choices), None)
                if chosen is not None:
                    return nested(action.choices[chosen], words[words.index(chosen) + 1 :])
        return of

    for command in commands:
        words = shlex.split(command)
        # No subcommand: the top-level parser reads the line (the server flags and --version).
        name = words[1] if len(words) > 1 and words[1] in subcommands else None
        own, server = (words[: words.index("--")], words[words.index("--") + 1 :]) if "--" in words else (words, [])
        for sub, part in ((name, own), ("serve", server)):
            known = options(nested(parser if sub is None else subcommands[sub], part))
            for word in part:
                if word.startswith("--"):
                    where = "instantly-mcp" if sub is None else f"instantly-mcp {sub}"
                    assert word.split("=")[0] in known, f"README uses {word}, which `{where}` does not know"
