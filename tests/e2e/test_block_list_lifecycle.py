"""The Block List Entry lifecycle through MCP against the sandbox served over real HTTP."""

from __future__ import annotations

import anyio

from support.mcp_session import mcp_client, payload


def test_block_list_lifecycle(sandbox) -> None:
    async def run() -> str:
        async with mcp_client(sandbox.url) as mcp:
            created = payload(await mcp.call_tool("create_block_list_entry", {"bl_value": "spam-domain.test"}))
            assert created["bl_value"] == "spam-domain.test" and created["is_domain"] is True and created["id"]

            bulk = payload(
                await mcp.call_tool(
                    "bulk_create_block_list_entries", {"bl_values": [f"person{i}@blocked.test" for i in range(5)]}
                )
            )
            assert bulk

            seen, cursor, pages = [], None, 0
            while True:
                args = {"limit": 2} | ({"starting_after": cursor} if cursor else {})
                page = payload(await mcp.call_tool("list_block_list_entries", args))
                seen += [item["id"] for item in page["items"]]
                pages += 1
                cursor = page["next_starting_after"]
                if not cursor:
                    assert page["hint"] == "This is the last page."
                    break
                assert f'starting_after="{cursor}"' in page["hint"]
            assert len(seen) == len(set(seen)) and created["id"] in seen and pages >= 4

            fetched = payload(await mcp.call_tool("get_block_list_entry", {"id": created["id"]}))
            assert fetched["bl_value"] == "spam-domain.test"

            updated = payload(
                await mcp.call_tool(
                    "update_block_list_entry", {"id": created["id"], "bl_value": "jane@spam-domain.test"}
                )
            )
            assert updated["bl_value"] == "jane@spam-domain.test" and updated["is_domain"] is False

            csv = await mcp.call_tool("download_block_list_entries_csv", {})
            assert not csv.is_error
            assert "jane@spam-domain.test" in csv.content[0].text and "," in csv.content[0].text.splitlines()[0]

            emails = payload(await mcp.call_tool("list_block_list_entries", {"search": "blocked.test", "limit": 100}))
            ids = [item["id"] for item in emails["items"]]
            assert len(ids) == 5
            payload(await mcp.call_tool("bulk_delete_block_list_entries", {"ids": ids}))
            after = payload(await mcp.call_tool("list_block_list_entries", {"search": "blocked.test", "limit": 100}))
            assert after["items"] == []

            payload(await mcp.call_tool("delete_block_list_entry", {"id": created["id"]}))
            gone = await mcp.call_tool("get_block_list_entry", {"id": created["id"]})
            assert gone.is_error and "404" in gone.content[0].text
            return created["id"]

    entry_id = anyio.run(run)
    methods = [(r["method"], r["path"]) for r in sandbox.requests()]
    assert methods.count(("POST", "/api/v2/block-lists-entries/bulk-delete")) == 1
    assert methods.count(("DELETE", f"/api/v2/block-lists-entries/{entry_id}")) == 1
