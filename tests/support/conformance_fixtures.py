"""Test-only: `instantly-mcp` plus the fixture resources the MCP conformance suite reads by name
(test://static-text, test://static-binary, test://template/{id}/data). The product never serves
them; this launcher adds them to the runtime's resource providers and then serves as the CLI would.

    python tests/support/conformance_fixtures.py --transport http --port 8000
"""

from __future__ import annotations

import base64
import json
import re
import sys

import mcp_types as types

TEMPLATE = re.compile(r"^test://template/(?P<id>[^/]+)/data$")
PNG_1X1 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


class ConformanceFixtures:
    def templates(self) -> list[types.ResourceTemplate]:
        return [
            types.ResourceTemplate(
                uri_template="test://template/{id}/data",
                name="template-data",
                description="conformance fixture",
                mime_type="application/json",
            )
        ]

    def resources(self) -> list[types.Resource]:
        return [
            types.Resource(
                uri="test://static-text", name="static-text", description="conformance fixture", mime_type="text/plain"
            ),
            types.Resource(
                uri="test://static-binary",
                name="static-binary",
                description="conformance fixture",
                mime_type="image/png",
            ),
        ]

    async def read(self, uri: str) -> types.ReadResourceResult | None:
        if uri == "test://static-text":
            contents: list[types.TextResourceContents | types.BlobResourceContents] = [
                types.TextResourceContents(
                    uri=uri, mime_type="text/plain", text="This is the content of the static text resource."
                )
            ]
        elif uri == "test://static-binary":
            contents = [
                types.BlobResourceContents(uri=uri, mime_type="image/png", blob=base64.b64encode(PNG_1X1).decode())
            ]
        elif (match := TEMPLATE.match(uri)) is not None:
            text = json.dumps({"id": match["id"], "templateTest": True, "data": f"Data for ID: {match['id']}"})
            contents = [types.TextResourceContents(uri=uri, mime_type="application/json", text=text)]
        else:
            return None
        return types.ReadResourceResult(contents=contents)


def main(argv: list[str]) -> int:
    from instantly_mcp.cli import build_parser, settings_from
    from instantly_mcp.transport.http_app import serve_http
    from instantly_mcp.transport.runtime import build_runtime

    settings = settings_from(build_parser().parse_args(argv))
    runtime = build_runtime(settings)
    runtime.resource_providers.append(ConformanceFixtures())
    serve_http(settings, runtime)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
