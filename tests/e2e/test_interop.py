"""Independent clients against the server: the MCP Inspector CLI over stdio, SSE and streamable HTTP,
and the official MCP conformance suite over HTTP (Node 22 tools pinned in scripts/node).

These fail (never skip) when the npm tools are missing: `bash scripts/setup.sh` installs them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import mcp_types as types
import pytest

from support.http_server import mcp_http_server
from support.node import NODE_DIR, NodeToolMissing, node22, node22_env, npx_bin

ROOT = Path(__file__).resolve().parents[2]

# Every server scenario of @modelcontextprotocol/conformance 0.1.16 (`conformance list`), and why
# it does or does not apply to this server.
APPLIES = {
    "server-initialize": "the initialize handshake and server info",
    "ping": "ping answers {}",
    "logging-set-level": "logging/setLevel answers {}; the level filters the per-request log messages",
    "tools-list": "tools/list returns every tool with a valid inputSchema",
    "tools-call-error": "a failing call (here: an unknown tool name) is an isError result with a message",
    "server-sse-multiple-streams": "several concurrent POST SSE response streams in one session",
    "dns-rebinding-protection": "foreign Host and Origin headers are refused on a localhost server",
    "resources-list": "resources/list: the block list, campaigns, lead lists and accounts (test_resources.py)",
    "resources-read-text": "fixture resource test://static-text, served by the test-only launcher",
    "resources-read-binary": "fixture resource test://static-binary, served by the test-only launcher",
    "resources-templates-read": "fixture template test://template/{id}/data, served by the test-only launcher",
}
# Fixture resources the suite reads by name: the conformance run adds them (tests/support/conformance_fixtures.py);
# `instantly-mcp` itself never serves them.
FIXTURE_LAUNCHER = (sys.executable, str(ROOT / "tests" / "support" / "conformance_fixtures.py"))
# With --stateless there is no session: this scenario then stops at "no session id" with a warning.
NEEDS_SESSION = {"server-sse-multiple-streams"}
NOT_APPLICABLE = {
    "tools-call-simple-text": "calls the suite's fixture tool test_simple_text (it passes only by accident: "
    "our unknown-tool error is text too)",
    "tools-call-image": "fixture tool test_image_content; no Instantly operation returns images",
    "tools-call-audio": "fixture tool test_audio_content; no Instantly operation returns audio",
    "tools-call-embedded-resource": "fixture tool test_embedded_resource; results are JSON text",
    "tools-call-mixed-content": "fixture tool test_multiple_content_types",
    "tools-call-with-logging": "fixture tool test_tool_with_logging (our log messages are tested in test_http.py)",
    "tools-call-with-progress": "fixture tool test_tool_with_progress (our progress is tested in test_http.py)",
    "tools-call-sampling": "fixture tool test_sampling; the server never asks the client's model",
    "tools-call-elicitation": "fixture tool test_elicitation (our confirmation elicitation: test_policy.py)",
    "elicitation-sep1034-defaults": "fixture tool test_elicitation_sep1034_defaults",
    "elicitation-sep1330-enums": "fixture tool test_elicitation_sep1330_enums",
    "json-schema-2020-12": "fixture tool json_schema_2020_12_tool",
    "server-sse-polling": "fixture tool test_reconnection, which closes its stream mid-call; we keep no event store",
    "resources-subscribe": "no subscriptions: Instantly sends no change events to pass on",
    "resources-unsubscribe": "no subscriptions",
    "completion-complete": (
        "completes the suite's fixture prompt; ours complete campaign, list and account names (test_prompts.py)"
    ),
    "prompts-list": "expects the suite's fixture prompts (test_simple_prompt, …); ours are tested in test_prompts.py",
    "prompts-get-simple": "fixture prompt test_simple_prompt",
    "prompts-get-with-args": "fixture prompt test_prompt_with_arguments",
    "prompts-get-embedded-resource": "fixture prompt with an embedded resource; our prompts are text plans",
    "prompts-get-with-image": "fixture prompt with an image; our prompts are text plans",
}


def run_node(tool: str, *args: str, timeout: float = 60, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    try:
        command = [str(node22()), str(npx_bin(tool)), *args]
        env = node22_env()
    except NodeToolMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd or NODE_DIR)


def inspector(target: list[str], *args: str) -> dict:
    done = run_node("mcp-inspector", "--cli", *target, *args)
    assert done.returncode == 0, done.stderr[-2000:] + done.stdout[-2000:]
    return json.loads(done.stdout)


def check_inspector(target: list[str]) -> None:
    tools = inspector(target, "--method", "tools/list")["tools"]
    assert len(tools) == 255 and {"list_block_list_entries", "delete_campaign"} <= {t["name"] for t in tools}
    result = inspector(
        target, "--method", "tools/call", "--tool-name", "list_block_list_entries", "--tool-arg", "limit=2"
    )
    assert not result.get("isError"), result
    assert len(json.loads(result["content"][0]["text"])["items"]) == 2
    refused = inspector(
        target, "--method", "tools/call", "--tool-name", "list_block_list_entries", "--tool-arg", "limit=0"
    )
    assert refused["isError"] and "limit" in refused["content"][0]["text"]


def test_inspector_cli_over_stdio() -> None:
    # The Inspector passes its own environment on; no INSTANTLY_API_KEY there means the sandbox.
    check_inspector(["-e", "PYTHONPATH=" + str(ROOT), sys.executable, "-m", "instantly_mcp.cli"])


def test_inspector_cli_over_sse_and_streamable_http(tmp_path: Path) -> None:
    with mcp_http_server(tmp_path, "--transport", "http") as server:
        check_inspector([server.sse_url, "--transport", "sse"])
        check_inspector([server.url, "--transport", "http"])


def test_every_conformance_scenario_is_classified() -> None:
    listed = run_node("conformance", "list")
    assert listed.returncode == 0, listed.stderr
    server_part = listed.stdout.split("Client scenarios")[0]
    scenarios = {line.strip()[2:].split(" [")[0] for line in server_part.splitlines() if line.strip().startswith("- ")}
    assert scenarios == set(APPLIES) | set(NOT_APPLICABLE)
    assert not set(APPLIES) & set(NOT_APPLICABLE)


def test_the_reasons_for_not_applicable_still_hold() -> None:
    from instantly_mcp.config import Settings
    from instantly_mcp.transport.server import build_server

    capabilities: types.ServerCapabilities = build_server(Settings()).get_capabilities()
    assert capabilities.tools is not None and capabilities.logging is not None and capabilities.resources is not None
    assert not capabilities.resources.subscribe
    assert capabilities.prompts is not None and capabilities.completions is not None


@pytest.mark.parametrize("mode", ["stateful", "stateless"])
def test_conformance_suite_over_http(tmp_path: Path, mode: str) -> None:
    flags = ["--transport", "http"] + (["--stateless"] if mode == "stateless" else [])
    out = tmp_path / "results"
    with mcp_http_server(tmp_path, *flags, command=FIXTURE_LAUNCHER) as server:
        done = run_node("conformance", "server", "--url", server.url, "--suite", "all", "-o", str(out), timeout=120)
    results: dict[str, list[dict]] = {}
    for checks in out.glob("server-*/checks.json"):
        name = re.sub(r"-\d{4}-\d\d-\d\dT[\d-]+Z$", "", checks.parent.name.removeprefix("server-"))
        results[name] = json.loads(checks.read_text())
    applies = set(APPLIES) - (NEEDS_SESSION if mode == "stateless" else set())
    missing = applies - set(results)
    assert not missing, f"scenarios that did not run: {missing}\n{done.stdout[-3000:]}"
    failures = {
        name: [f"{c['id']}: {c.get('errorMessage')}" for c in results[name] if c["status"] == "FAILURE"]
        for name in set(APPLIES) & set(results)
    }
    assert not any(failures.values()), {name: found for name, found in failures.items() if found}
    for name in applies:
        assert any(c["status"] == "SUCCESS" for c in results[name]), (name, results[name])
