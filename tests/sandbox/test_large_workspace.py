"""The `large` sandbox workspace: deterministic, consistent with its own events, and fully pageable."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters

from instantly_mcp.sandbox import create_app
from instantly_mcp.sandbox.context import CAMPAIGNS, EMAILS, LEADS
from instantly_mcp.sandbox.resources import Resources
from instantly_mcp.sandbox.seed_large import LargeShape, seed_large_workspace
from instantly_mcp.sandbox.spec import get_spec
from instantly_mcp.sandbox.store import Store

pytestmark = pytest.mark.e2e  # builds the 20,000-lead workspace (tens of seconds)

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SENT, RECEIVED = (1, 3), 2


FULL_SIZE = LargeShape()


def build(seed: int, shape: LargeShape = FULL_SIZE) -> Store:
    store = Store()
    seed_large_workspace(store, Resources(get_spec()), now=NOW, shape=shape, seed=seed)
    return store


def identity(store: Store) -> list[tuple[str, str]]:
    """What a build must repeat; timestamps are relative to the moment of the build."""
    return [(lead["id"], lead["email"]) for lead in store.all(LEADS)] + [
        (e["id"], e["subject"]) for e in store.all(EMAILS)
    ]


def digest(store: Store) -> str:
    return hashlib.sha256(json.dumps(store.snapshot(), sort_keys=True).encode()).hexdigest()


@pytest.fixture(scope="module")
def large_app() -> Any:
    return create_app(scale="large")


@pytest.fixture(scope="module")
def store(large_app: Any) -> Store:
    return large_app.state.sandbox.store


def test_same_seed_same_workspace_and_another_seed_another() -> None:
    small = LargeShape(campaign_leads=1_500, list_leads=500, block_list=100)
    first, second, other = build(7, small), build(7, small), build(8, small)
    assert digest(first) == digest(second)
    assert digest(first) != digest(other)


def test_it_has_the_size_and_variety_of_a_real_workspace(store: Store) -> None:
    assert store.count(LEADS) == 20_000
    assert 45_000 <= store.count(EMAILS) <= 55_000
    assert store.count("lead-lists") == 30
    assert store.count("accounts") == 20
    assert store.count("block-lists-entries") == 2_000
    assert {c["status"] for c in store.all(CAMPAIGNS)} == {-99, -2, -1, 0, 1, 2, 3, 4}
    assert 45 <= store.count(CAMPAIGNS) <= 55
    statuses = Counter(lead["status"] for lead in store.all(LEADS))
    assert statuses[-1] > 100 and statuses[-2] > 10 and statuses[3] > 1000
    emails = store.all(EMAILS)
    assert sum(e["ue_type"] == RECEIVED and not e["is_auto_reply"] for e in emails) > 1000
    assert sum(bool(e.get("_bounce")) for e in emails) > 100
    assert len({lead["company_name"] for lead in store.all(LEADS)}) > 1000
    assert all(lead["payload"].get("industry") for lead in store.all(LEADS)[:100])


def test_lead_counters_follow_from_their_emails(store: Store) -> None:
    replies: Counter[str] = Counter()
    opens: Counter[str] = Counter()
    bounced: set[str] = set()
    for email in store.all(EMAILS):
        if email["ue_type"] == RECEIVED and not email["is_auto_reply"]:
            replies[email["lead_id"]] += 1
        if email["ue_type"] in SENT:
            opens[email["lead_id"]] += email.get("_opens", 0)
        if email.get("_bounce"):
            bounced.add(email["lead_id"])
    for lead in store.all(LEADS):
        assert lead["email_reply_count"] == replies[lead["id"]], lead["email"]
        assert lead["email_open_count"] == opens[lead["id"]], lead["email"]
        assert (lead["status"] == -1) == (lead["id"] in bounced), lead["email"]


def test_analytics_agree_with_the_events(large_app: Any, store: Store) -> None:
    async def fetch() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        transport = httpx2.ASGITransport(app=large_app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://sandbox", headers={"Authorization": "Bearer k"}
        ) as c:
            rows = (await c.get("/api/v2/campaigns/analytics")).json()
            daily = (await c.get("/api/v2/campaigns/analytics/daily")).json()
            return rows, daily

    rows, daily = anyio.run(fetch)
    emails = store.all(EMAILS)
    leads = store.all(LEADS)
    assert len(rows) == store.count(CAMPAIGNS)
    for row in rows:
        mine = [e for e in emails if e["campaign_id"] == row["campaign_id"]]
        assert row["emails_sent_count"] == sum(e["ue_type"] in SENT for e in mine)
        assert row["reply_count"] == sum(e["ue_type"] == RECEIVED and not e["is_auto_reply"] for e in mine)
        assert row["leads_count"] == sum(lead.get("campaign") == row["campaign_id"] for lead in leads)
        assert row["bounced_count"] == sum(
            lead.get("campaign") == row["campaign_id"] and lead["status"] == -1 for lead in leads
        )
    assert sum(day["sent"] for day in daily) == sum(row["emails_sent_count"] for row in rows)
    assert sum(day["replies"] for day in daily) == sum(row["reply_count"] for row in rows)


def test_every_email_page_of_the_unibox_visits_each_email_once(large_app: Any, store: Store) -> None:
    async def walk() -> list[str]:
        seen: list[str] = []
        transport = httpx2.ASGITransport(app=large_app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://sandbox", headers={"Authorization": "Bearer k"}
        ) as c:
            params: dict[str, Any] = {"limit": 100}
            while True:
                page = (await c.get("/api/v2/emails", params=params)).json()
                seen += [item["id"] for item in page["items"]]
                if "next_starting_after" not in page:
                    return seen
                params["starting_after"] = page["next_starting_after"]

    seen = anyio.run(walk)
    assert len(seen) == len(set(seen)) == store.count(EMAILS)


def test_an_agent_pages_through_all_20000_leads_exactly_once_over_stdio() -> None:
    """The real path: the SDK client, `list_leads` with `max_items` pages, the result cap and its cursor."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "instantly_mcp.cli", "--sandbox", "--sandbox-scale", "large"],
        env={k: v for k, v in os.environ.items() if not k.startswith("INSTANTLY_")},
        cwd=str(ROOT),
    )

    async def walk() -> tuple[list[str], int, int]:
        seen: list[str] = []
        calls = cut = 0
        arguments: dict[str, Any] = {"max_items": 1000, "fields": ["id"]}
        async with Client(params) as client:
            while True:
                result = await client.call_tool("list_leads", arguments)
                calls += 1
                assert not result.is_error, result.content[0].text
                page = json.loads(result.content[0].text)
                seen += [item["id"] for item in page["items"]]
                cut += "truncated" in json.dumps(page)
                cursor = page.get("next_starting_after")
                if not cursor:
                    return seen, calls, cut
                arguments = {**arguments, "starting_after": cursor}

    seen, calls, cut = anyio.run(walk)
    assert len(seen) == len(set(seen)) == 20_000
    assert calls >= 20
    assert cut, "a 1,000-item page of ids is over the 20,000-character cap, so some pages resume from the cut"


def test_a_saved_workspace_is_reloaded_and_one_of_another_scale_replaced(tmp_path: Path, store: Store) -> None:
    """Also the full-size determinism check: a second build repeats ids, names and events exactly."""
    db = str(tmp_path / "sandbox.db")
    demo = create_app(db_path=db).state.sandbox.store
    assert demo.count(LEADS) < 100
    large = create_app(db_path=db, scale="large").state.sandbox.store
    assert identity(large) == identity(store)
    reloaded = create_app(db_path=db, scale="large").state.sandbox.store
    assert reloaded.all(LEADS) == large.all(LEADS), "loaded from the file, not generated again (timestamps would move)"
