"""The workflows agents use most behave like a real workspace, end to end over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from instantly_mcp.sandbox.seed import MAYA

SCHEDULE = {
    "schedules": [
        {
            "name": "Weekdays",
            "timing": {"from": "09:00", "to": "17:00"},
            "days": {"1": True, "2": True, "3": True, "4": True, "5": True},
            "timezone": "America/Chicago",
        }
    ]
}
SEQUENCE = [
    {"steps": [{"type": "email", "delay": 2, "variants": [{"subject": "Hi {{firstName}}", "body": "Hello there"}]}]}
]


def items(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_block_list_lifecycle(client: TestClient) -> None:
    domain = client.post("/api/v2/block-lists-entries", json={"bl_value": "  Acme.example "}).json()
    email = client.post("/api/v2/block-lists-entries", json={"bl_value": "ceo@acme.example"}).json()
    assert (domain["bl_value"], domain["is_domain"]) == ("acme.example", True)
    assert (email["bl_value"], email["is_domain"]) == ("ceo@acme.example", False)

    bulk = client.post(
        "/api/v2/block-lists-entries/bulk-create",
        json={"bl_values": ["one.example", "two@one.example", "not a value", "one.example"]},
    )
    assert bulk.status_code == 200
    assert (bulk.json()["valid_count"], bulk.json()["invalid_count"]) == (2, 1)
    assert sorted(e["bl_value"] for e in bulk.json()["items"]) == ["one.example", "two@one.example"]

    domains = items(client.get("/api/v2/block-lists-entries", params={"domains_only": "true"}))
    assert domains and all(e["is_domain"] for e in domains)
    assert {"acme.example", "one.example", "competitor.example"} <= {e["bl_value"] for e in domains}
    found = items(client.get("/api/v2/block-lists-entries", params={"search": "one.ex"}))
    assert sorted(e["bl_value"] for e in found) == ["one.example", "two@one.example"]

    csv = client.get("/api/v2/block-lists-entries/download", params={"search": "acme"})
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.split("\r\n")
    assert lines[0] == "Blocked Email,Date" and {line.split(",")[0] for line in lines[1:]} == {
        "acme.example",
        "ceo@acme.example",
    }

    patched = client.patch(f"/api/v2/block-lists-entries/{email['id']}", json={"bl_value": "acme-two.example"}).json()
    assert (patched["bl_value"], patched["is_domain"]) == ("acme-two.example", True)

    deleted = client.post("/api/v2/block-lists-entries/bulk-delete", json={"ids": [domain["id"], email["id"]]})
    assert sorted(e["id"] for e in deleted.json()) == sorted([domain["id"], email["id"]])
    assert client.get(f"/api/v2/block-lists-entries/{domain['id']}").status_code == 404

    removed = client.delete("/api/v2/block-lists-entries", params={"domains_only": "true"})
    assert removed.status_code == 200 and removed.json() and all(e["is_domain"] for e in removed.json())
    remaining = items(client.get("/api/v2/block-lists-entries"))
    assert remaining and not any(e["is_domain"] for e in remaining)


def test_blocked_and_duplicate_leads_are_skipped_on_bulk_add(client: TestClient) -> None:
    campaign = client.get("/api/v2/campaigns").json()["items"][0]
    client.post("/api/v2/block-lists-entries", json={"bl_value": "blocked.example"})
    leads = [
        {"email": "ok@fine.example"},
        {"email": "x@blocked.example"},
        {"email": "bad-address"},
        {"email": "ok@fine.example"},
    ]
    summary = client.post("/api/v2/leads/add", json={"campaign_id": campaign["id"], "leads": leads}).json()
    assert summary["leads_uploaded"] == 1
    assert (summary["in_blocklist"], summary["invalid_email_count"], summary["duplicate_email_count"]) == (1, 1, 1)
    again = client.post(
        "/api/v2/leads/add", json={"campaign_id": campaign["id"], "leads": [{"email": "ok@fine.example"}]}
    ).json()
    assert (again["leads_uploaded"], again["duplicated_leads"]) == (0, 1)


def test_campaign_lifecycle(client: TestClient) -> None:
    missing = client.post("/api/v2/campaigns", json={"name": "No schedule"})
    assert missing.status_code == 400 and "campaign_schedule" in missing.json()["message"]

    created = client.post(
        "/api/v2/campaigns",
        json={"name": "Spring Launch", "campaign_schedule": SCHEDULE, "sequences": SEQUENCE, "email_list": [MAYA]},
    )
    assert created.status_code == 200
    campaign = created.json()
    assert campaign["status"] == 0 and campaign["name"] == "Spring Launch" and campaign["timestamp_created"]
    cid = campaign["id"]
    assert client.get(f"/api/v2/campaigns/{cid}/sending-status").json()["diagnostics"]["status"] == "campaign_draft"

    added = client.post(
        "/api/v2/leads/add",
        json={
            "campaign_id": cid,
            "leads": [
                {"email": "ana@northstar.example", "first_name": "Ana"},
                {"email": "ben@northstar.example", "first_name": "Ben"},
                {"email": "cy@lakeview.example", "first_name": "Cy"},
            ],
        },
    ).json()
    assert added["leads_uploaded"] == 3 and [c["index"] for c in added["created_leads"]] == [0, 1, 2]

    assert client.post(f"/api/v2/campaigns/{cid}/activate").json()["status"] == 1
    assert client.get(f"/api/v2/campaigns/{cid}").json()["status"] == 1
    assert client.get(f"/api/v2/campaigns/{cid}/sending-status").json()["diagnostics"]["status"] == "healthy"

    assert client.post(f"/api/v2/campaigns/{cid}/pause").json()["status"] == 2
    assert client.get(f"/api/v2/campaigns/{cid}/sending-status").json()["summary"]["status"] == "campaign_paused"
    assert cid in [c["id"] for c in items(client.get("/api/v2/campaigns", params={"status": 2}))]
    assert cid not in [c["id"] for c in items(client.get("/api/v2/campaigns", params={"status": 1}))]

    analytics = client.get("/api/v2/campaigns/analytics", params={"id": cid}).json()
    assert len(analytics) == 1
    assert (analytics[0]["leads_count"], analytics[0]["emails_sent_count"], analytics[0]["campaign_status"]) == (
        3,
        0,
        2,
    )
    overview_before = client.get("/api/v2/campaigns/analytics/overview").json()["emails_sent_count"]
    assert overview_before > 0

    bad_range = client.get("/api/v2/campaigns/analytics", params={"start_date": "2026-05-01", "end_date": "2026-04-01"})
    assert bad_range.status_code == 400 and bad_range.json() == {"message": "Start Date must be earlier than End Date"}

    copy = client.post(f"/api/v2/campaigns/{cid}/duplicate", json={}).json()
    assert copy["id"] != cid and copy["name"] == "Spring Launch (copy)" and copy["status"] == 0
    assert copy["campaign_schedule"] == campaign["campaign_schedule"]

    assert client.delete(f"/api/v2/campaigns/{cid}").status_code == 200
    assert client.get(f"/api/v2/campaigns/{cid}").json()["message"] == "Campaign not found"
    assert items(client.post("/api/v2/leads/list", json={"campaign": cid})) == []


def test_seeded_campaign_analytics_match_the_unibox(client: TestClient) -> None:
    saas = next(c for c in client.get("/api/v2/campaigns").json()["items"] if c["status"] == 1)
    row = client.get("/api/v2/campaigns/analytics", params={"id": saas["id"]}).json()[0]
    emails = items(client.get("/api/v2/emails", params={"campaign_id": saas["id"]}))
    sent = [e for e in emails if e["ue_type"] in (1, 3)]
    replies = [e for e in emails if e["ue_type"] == 2 and not e.get("is_auto_reply")]
    assert row["emails_sent_count"] == len(sent) > 0
    assert row["reply_count"] == len(replies) > 0
    steps = client.get("/api/v2/campaigns/analytics/steps", params={"campaign_id": saas["id"]}).json()
    assert sum(s["sent"] for s in steps) == len(sent)


def test_unibox_triage(client: TestClient) -> None:
    unread = items(client.get("/api/v2/emails", params={"is_unread": "true"}))
    assert len(unread) == 3 and all(e["is_unread"] == 1 for e in unread)
    assert client.get("/api/v2/emails/unread/count").json() == {"count": 3}

    priya = next(e for e in unread if e["lead"] == "priya.shah@brightpath.example")
    assert client.get(f"/api/v2/emails/{priya['id']}").json()["subject"].startswith("Re:")

    reply = client.post(
        "/api/v2/emails/reply",
        json={
            "reply_to_uuid": priya["id"],
            "eaccount": MAYA,
            "subject": "Re: Thursday works",
            "body": {"html": "Thursday 10am works.<br/>Maya"},
        },
    )
    assert reply.status_code == 200
    sent = reply.json()
    assert (sent["thread_id"], sent["ue_type"], sent["to_address_email_list"]) == (
        priya["thread_id"],
        3,
        "priya.shah@brightpath.example",
    )
    assert sent["body"]["text"] == "Thursday 10am works.\nMaya"
    thread = items(client.get("/api/v2/emails", params={"search": f"thread:{priya['thread_id']}"}))
    assert len(thread) == 3 and thread[0]["id"] == sent["id"]

    assert client.post(f"/api/v2/emails/threads/{priya['thread_id']}/mark-as-read").json() == {"success": True}
    assert client.get("/api/v2/emails/unread/count").json() == {"count": 2}
    assert all(
        e["is_unread"] == 0
        for e in items(client.get("/api/v2/emails", params={"search": f"thread:{priya['thread_id']}"}))
    )

    assert client.patch(f"/api/v2/emails/{priya['id']}", json={"is_unread": 1}).json()["is_unread"] == 1
    assert client.get("/api/v2/emails/unread/count").json() == {"count": 3}

    forwarded = client.post(
        "/api/v2/emails/forward",
        json={
            "reply_to_uuid": priya["id"],
            "eaccount": MAYA,
            "subject": "Fwd: BrightPath",
            "to_address_email_list": "liam@northwind.example",
            "include_original_body": True,
        },
    ).json()
    assert forwarded["thread_id"] != priya["thread_id"] and "Forwarded message" in forwarded["body"]["html"]

    before = len(items(client.get("/api/v2/emails", params={"limit": 100})))
    test_send = client.post(
        "/api/v2/emails/test",
        json={
            "eaccount": MAYA,
            "to_address_email_list": "qa@northwind.example",
            "subject": "Hi",
            "body": {"html": "x"},
        },
    )
    assert test_send.json() == {"status": "success"}
    assert len(items(client.get("/api/v2/emails", params={"limit": 100}))) == before
    assert client.post(
        "/api/v2/emails/test",
        json={
            "eaccount": "ghost@nowhere.example",
            "to_address_email_list": "a@b.example",
            "subject": "Hi",
            "body": {"html": "x"},
        },
    ).json() == {"error": "ACC_NOT_FOUND"}


def test_leads_move_through_a_background_job(client: TestClient) -> None:
    lead_list = client.get("/api/v2/lead-lists").json()["items"][0]
    campaign = next(c for c in client.get("/api/v2/campaigns").json()["items"] if c["status"] == 0)
    in_list = items(client.post("/api/v2/leads/list", json={"list_id": lead_list["id"]}))
    assert len(in_list) == 4

    job = client.post("/api/v2/leads/move", json={"list_id": lead_list["id"], "to_campaign_id": campaign["id"]}).json()
    assert (job["type"], job["status"], job["entity_id"]) == ("move-leads", "pending", campaign["id"])
    polled = client.get(f"/api/v2/background-jobs/{job['id']}").json()
    assert (polled["status"], polled["progress"]) == ("success", 100)
    assert sorted(polled["data"]["moved_lead_emails"]) == sorted(lead["email"] for lead in in_list)
    assert client.get(f"/api/v2/background-jobs/{job['id']}", params={"data_fields": "moved_leads"}).json()["data"] == {
        "moved_leads": 4
    }
    assert job["id"] in [j["id"] for j in items(client.get("/api/v2/background-jobs", params={"type": "move-leads"}))]

    moved = items(client.post("/api/v2/leads/list", json={"campaign": campaign["id"]}))
    assert {lead["email"] for lead in in_list} <= {lead["email"] for lead in moved}
    assert items(client.post("/api/v2/leads/list", json={"list_id": lead_list["id"]})) == []


def test_lead_create_patch_merge_and_bulk_delete(client: TestClient) -> None:
    campaign = client.get("/api/v2/campaigns").json()["items"][0]
    no_email = client.post("/api/v2/leads", json={"campaign": campaign["id"], "first_name": "Zed"})
    assert no_email.status_code == 400 and "email" in no_email.json()["message"]

    first = client.post(
        "/api/v2/leads",
        json={
            "campaign": campaign["id"],
            "email": "Zed@Quarry.example",
            "first_name": "Zed",
            "custom_variables": {"tier": "gold"},
        },
    ).json()
    assert (first["email"], first["company_domain"], first["payload"]["tier"]) == (
        "zed@quarry.example",
        "quarry.example",
        "gold",
    )
    second = client.post(
        "/api/v2/leads", json={"campaign": campaign["id"], "email": "zed.alt@quarry.example", "job_title": "CTO"}
    ).json()

    patched = client.patch(f"/api/v2/leads/{first['id']}", json={"last_name": "Quarry", "lt_interest_status": 2}).json()
    assert (patched["last_name"], patched["lt_interest_status"], patched["payload"]["lastName"]) == (
        "Quarry",
        2,
        "Quarry",
    )
    assert [lead["id"] for lead in items(client.post("/api/v2/leads/list", json={"search": "quarry"}))] == sorted(
        [first["id"], second["id"]]
    )

    merged = client.post(
        "/api/v2/leads/merge", json={"lead_id": second["id"], "destination_lead_id": first["id"]}
    ).json()
    assert merged["id"] == first["id"] and merged["job_title"] == "CTO"
    assert client.get(f"/api/v2/leads/{second['id']}").status_code == 404

    interest = client.post(
        "/api/v2/leads/update-interest-status", json={"lead_email": "zed@quarry.example", "interest_value": 4}
    )
    assert interest.status_code == 202
    assert client.get(f"/api/v2/leads/{first['id']}").json()["lt_interest_status"] == 4

    total = len(items(client.post("/api/v2/leads/list", json={"campaign": campaign["id"]})))
    assert client.request(
        "DELETE", "/api/v2/leads", json={"campaign_id": campaign["id"], "ids": [first["id"]]}
    ).json() == {"count": 1}
    assert len(items(client.post("/api/v2/leads/list", json={"campaign": campaign["id"]}))) == total - 1


def test_generic_collections_have_real_crud(client: TestClient) -> None:
    for path, body, field in (
        ("/api/v2/custom-tags", {"label": "Enterprise"}, "label"),
        ("/api/v2/lead-labels", {"label": "Budget approved", "interest_status_label": "positive"}, "label"),
        ("/api/v2/lead-lists", {"name": "Webinar signups"}, "name"),
        (
            "/api/v2/webhooks",
            {"target_hook_url": "https://hooks.example.com/x", "event_type": "email_sent"},
            "target_hook_url",
        ),
    ):
        created = client.post(path, json=body).json()
        assert created[field] == body[field] and created["id"]
        assert created["id"] in [e["id"] for e in items(client.get(path))]
        assert client.get(f"{path}/{created['id']}").json()[field] == body[field]
        assert client.delete(f"{path}/{created['id']}").json()["id"] == created["id"]
        assert client.get(f"{path}/{created['id']}").status_code == 404

    duplicate = client.post("/api/v2/custom-tags", json={"label": " priority "})
    assert duplicate.status_code == 409 and duplicate.json()["message"] == "A tag with this name already exists."
    renamed = client.patch(
        f"/api/v2/lead-lists/{client.get('/api/v2/lead-lists').json()['items'][0]['id']}", json={"name": "Renamed"}
    )
    assert renamed.json()["name"] == "Renamed"


def test_tags_map_to_campaigns_and_filter_them(client: TestClient) -> None:
    tag = client.post("/api/v2/custom-tags", json={"label": "Q4"}).json()
    draft = next(c for c in client.get("/api/v2/campaigns").json()["items"] if c["status"] == 0)
    toggled = client.post(
        "/api/v2/custom-tags/toggle-resource",
        json={"tag_ids": [tag["id"]], "resource_type": 2, "resource_ids": [draft["id"]], "assign": True},
    )
    assert toggled.json() == {"success": True}
    assert [c["id"] for c in items(client.get("/api/v2/campaigns", params={"tag_ids": tag["id"]}))] == [draft["id"]]
    mappings = items(client.get("/api/v2/custom-tag-mappings", params={"resource_ids": draft["id"]}))
    assert [(m["tag_id"], m["resource_type"]) for m in mappings] == [(tag["id"], 2)]
    client.post(
        "/api/v2/custom-tags/toggle-resource",
        json={"tag_ids": [tag["id"]], "resource_type": 2, "resource_ids": [draft["id"]], "assign": False},
    )
    assert items(client.get("/api/v2/campaigns", params={"tag_ids": tag["id"]})) == []


def test_accounts_pause_resume_and_warmup(client: TestClient) -> None:
    assert client.post(f"/api/v2/accounts/{MAYA}/pause").json()["status"] == 2
    assert client.post(f"/api/v2/accounts/{MAYA}/resume").json()["status"] == 1
    job = client.post("/api/v2/accounts/warmup/disable", json={"emails": [MAYA]}).json()
    assert job["type"] == "update-warmup-accounts"
    assert client.get(f"/api/v2/accounts/{MAYA}").json()["warmup_status"] == 0
    paused = [a["email"] for a in items(client.get("/api/v2/accounts", params={"status": 2}))]
    assert paused == ["liam@northwind.example"]
    created = client.post(
        "/api/v2/accounts",
        json={
            "email": "New.Box@Northwind.example",
            "first_name": "New",
            "last_name": "Box",
            "provider_code": 2,
            "imap_username": "u",
            "imap_password": "secret-pass",
            "imap_host": "imap.example.com",
            "imap_port": 993,
            "smtp_username": "u",
            "smtp_password": "secret-pass",
            "smtp_host": "smtp.example.com",
            "smtp_port": 587,
        },
    )
    assert created.status_code == 200 and created.json()["email"] == "new.box@northwind.example"
    assert "secret-pass" not in created.text
