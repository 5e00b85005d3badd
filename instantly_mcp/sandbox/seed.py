"""The demo workspace a fresh sandbox starts with: Northwind, a small B2B outbound team.

Ids are deterministic (seeded RNG) so docs and tests can rely on the same data after every
reset; timestamps are relative to now so the workspace always looks recently active.
Collections without hand-written demo data get one schema-synthesized entity each.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any, NamedTuple

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.context import WORKSPACE, WORKSPACE_KEY
from instantly_mcp.sandbox.resources import Resource, Resources
from instantly_mcp.sandbox.spec import component, is_param, split_path
from instantly_mcp.sandbox.store import Entity, Store
from instantly_mcp.sandbox.synth import synthesize

SEED = 20260821
WORKSPACE_NAME = "Northwind Outbound"
MAYA, LIAM, OUTREACH = "maya@northwind.example", "liam@northwind.example", "outreach@northwind-mail.example"
_WEEKDAYS = {"0": False, "1": True, "2": True, "3": True, "4": True, "5": True, "6": False}


class DemoLead(NamedTuple):
    first: str
    last: str
    title: str
    company: str
    email: str
    where: str  # a campaign key of Seeder.campaigns(), or "list"
    status: int
    interest: int | None
    opens: int
    clicks: int


class DemoCampaign(NamedTuple):
    name: str
    status: int
    accounts: tuple[str, ...]
    pl_value: int
    timezone: str
    days_ago: int
    steps: tuple[tuple[str, str, int], ...]  # (subject, body, delay in days before the next step)


class DemoMessage(NamedTuple):
    inbound: bool
    days_ago: float
    step: str
    subject: str
    text: str
    unread: int = 0
    extra: Mapping[str, Any] = MappingProxyType({})


class DemoThread(NamedTuple):
    lead: str
    campaign: str
    account: str
    messages: tuple[DemoMessage, ...]


# fmt: off
_CAMPAIGNS = {
    "saas": DemoCampaign("Q3 SaaS Founders - Intro", 1, (MAYA, LIAM), 1500, "America/Chicago", 14, (
        ("Quick question about {{companyName}}'s outbound",
         "Hi {{firstName}},<br/><br/>Noticed {{companyName}} is growing the sales team. "
         "How are you keeping outbound personal at that scale?<br/><br/>{{sendingAccountFirstName}}", 3),
        ("Re: Quick question about {{companyName}}'s outbound", "Hi {{firstName}}, bumping this in case it got buried.", 4),
        ("Last note", "Hi {{firstName}}, I will close the loop here. Happy to share a 2-minute demo video if useful.", 0),
    )),
    "agency": DemoCampaign("Agency Partners Pilot", 2, (MAYA,), 800, "Europe/Belgrade", 20, (
        ("Partnering with {{companyName}}",
         "Hi {{firstName}},<br/><br/>We run outbound for agencies under their own brand. Open to a pilot?", 3),
        ("Re: Partnering with {{companyName}}", "Hi {{firstName}}, any thoughts on a small pilot?", 0),
    )),
    "fintech": DemoCampaign("Fintech Webinar Follow-up", 0, (), 500, "America/Detroit", 1, (
        ("Thanks for joining the webinar",
         "Hi {{firstName}},<br/><br/>Thanks for joining our fintech outbound webinar. Here is the recording.", 0),
    )),
}
_CASE_STUDY_STEPS = (
    ("Case study: how BrightPath booked 40 demos", "Hi {{firstName}}, here is the case study I mentioned.", 0),
)

_LEADS = [
    DemoLead("Priya", "Shah", "VP of Growth", "BrightPath Analytics", "priya.shah@brightpath.example", "saas", 1, 1, 3, 1),
    DemoLead("Marcus", "Webb", "CTO", "Lumen Logistics", "marcus@lumenlogistics.example", "saas", 1, 0, 1, 0),
    DemoLead("Elena", "Petrova", "Head of Operations", "Corvid Health", "elena.petrova@corvidhealth.example", "saas", 3, -1, 2, 0),
    DemoLead("Daniel", "Kim", "Founder", "Tiller Finance", "daniel@tillerfinance.example", "saas", 1, None, 2, 0),
    DemoLead("Aisha", "Bello", "RevOps Lead", "Quanta Retail", "aisha.bello@quantaretail.example", "saas", 1, None, 0, 0),
    DemoLead("Jonas", "Berg", "CEO", "Fjord Robotics", "jonas@fjordrobotics.example", "saas", -1, None, 0, 0),
    DemoLead("Tom", "Alvarez", "Partner", "Alvarez & Co Marketing", "tom@alvarezco.example", "agency", 1, None, 2, 1),
    DemoLead("Grace", "Liu", "Managing Director", "Kitehouse Digital", "grace@kitehouse.example", "agency", 1, None, 1, 0),
    DemoLead("Omar", "Haddad", "Founder", "Sandline Media", "omar@sandlinemedia.example", "agency", -2, None, 1, 0),
    DemoLead("Hannah", "Fischer", "Growth Lead", "Nordlicht Agency", "hannah@nordlicht.example", "agency", 1, None, 0, 0),
    DemoLead("Ravi", "Menon", "CFO", "Ledgerly", "ravi.menon@ledgerly.example", "fintech", 1, None, 0, 0),
    DemoLead("Chloe", "Martin", "Marketing Manager", "Papertrail Co", "chloe@papertrail.example", "list", 1, None, 0, 0),
    DemoLead("Felix", "Wagner", "Head of Sales", "Voltaic Energy", "felix.wagner@voltaic.example", "list", 1, None, 0, 0),
    DemoLead("Isabel", "Costa", "COO", "Mercado Verde", "isabel@mercadoverde.example", "list", 1, None, 0, 0),
    DemoLead("Noah", "Williams", "Product Lead", "Brightline Studio", "noah@brightline.example", "list", 1, None, 0, 0),
]

_THREADS = [
    DemoThread("priya.shah@brightpath.example", "saas", MAYA, (
        DemoMessage(False, 6, "0", "Quick question about BrightPath's outbound",
                    "Hi Priya,\n\nNoticed BrightPath doubled its sales team this year. "
                    "How are you keeping outbound personal at that scale?\n\nMaya", extra={"_opens": 3, "_clicks": 1}),
        DemoMessage(True, 5, "0", "Re: Quick question about BrightPath's outbound",
                    "Hi Maya, timing is good. We are evaluating tools this quarter. Could you do a call Thursday?\n\nPriya",
                    unread=1, extra={"i_status": 1}),
    )),
    DemoThread("marcus@lumenlogistics.example", "saas", LIAM, (
        DemoMessage(False, 4.2, "0", "Lumen Logistics + Northwind",
                    "Hi Marcus,\n\nWe help logistics teams book more demos without adding headcount. Worth a chat?\n\nLiam",
                    extra={"_opens": 1}),
        DemoMessage(True, 4, "0", "Automatic reply: Lumen Logistics + Northwind",
                    "I am out of the office until Monday with limited access to email.",
                    unread=1, extra={"is_auto_reply": 1, "i_status": 0}),
    )),
    DemoThread("elena.petrova@corvidhealth.example", "saas", MAYA, (
        DemoMessage(False, 8, "0", "Ops at Corvid Health",
                    "Hi Elena,\n\nCurious how Corvid Health handles patient-outreach scheduling today.\n\nMaya",
                    extra={"_opens": 1}),
        DemoMessage(False, 5.5, "1", "Re: Ops at Corvid Health",
                    "Hi Elena, bumping this in case it got buried.\n\nMaya", extra={"_opens": 1}),
        DemoMessage(True, 3, "1", "Re: Ops at Corvid Health",
                    "Thanks Maya, not a priority for us this year. Please remove me from the list.", extra={"i_status": -1}),
    )),
    DemoThread("tom@alvarezco.example", "agency", MAYA, (
        DemoMessage(False, 3, "0", "Partnering with Alvarez & Co",
                    "Hi Tom,\n\nWe run outbound for agencies under their own brand. Open to a pilot?\n\nMaya",
                    extra={"_opens": 2, "_clicks": 1}),
        DemoMessage(True, 1, "0", "Re: Partnering with Alvarez & Co",
                    "Hi Maya, interesting. Can you send pricing for 5 seats?\n\nTom", unread=1),
    )),
    DemoThread("daniel@tillerfinance.example", "saas", LIAM, (
        DemoMessage(False, 2, "0", "Tiller Finance outbound",
                    "Hi Daniel,\n\nSaw Tiller's seed round news, congrats. Are you hiring SDRs yet?\n\nLiam",
                    extra={"_opens": 2}),
    )),
    DemoThread("grace@kitehouse.example", "agency", MAYA, (
        DemoMessage(False, 2, "0", "Kitehouse Digital x Northwind",
                    "Hi Grace,\n\nWould a white-label outbound offer fit Kitehouse's client roster?\n\nMaya",
                    extra={"_opens": 1}),
    )),
]
# fmt: on


class Seeder:
    def __init__(self, store: Store, resources: Resources, now: datetime | None = None, seed: int = SEED):
        self.store = store
        self.resources = resources
        self.rng = random.Random(seed)
        self.now = now or datetime.now(UTC)
        self.workspace_id = self.uid()
        self.owner_id = self.uid()

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ago(self, days: float) -> str:
        moment = self.now - timedelta(days=days)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def resource(self, path: str) -> Resource:
        resource = self.resources.for_collection(path)
        assert resource is not None, path
        return resource

    def add(self, path: str, fields: dict[str, Any], days: float = 10, parent: dict[str, str] | None = None) -> Entity:
        resource = self.resource(path)
        stamped = {"timestamp_created": self.ago(days), "timestamp_updated": self.ago(days / 2), **fields}
        if resource.key == "id":
            stamped.setdefault("id", self.uid())
        stamped = {k: v for k, v in stamped.items() if resource.has_field(k) or k.startswith("_") or k == resource.key}
        return crud.save(self.store, resource, crud.build(resource, stamped, self.workspace_id, parent))

    def run(self) -> None:
        self.workspace()
        self.members()
        self.accounts()
        campaigns = self.campaigns()
        lead_list = self.add(
            "/api/v2/lead-lists",
            {"name": "Trade Show Leads - SaaS Connect 2026", "has_enrichment_task": False, "owned_by": self.owner_id},
            12,
        )
        leads = self.leads(campaigns, lead_list["id"])
        self.emails(campaigns, leads)
        self.lists_and_labels(campaigns, lead_list["id"])
        self.integrations(campaigns)
        self.agents(campaigns)
        self.generic()

    def workspace(self) -> None:
        workspace = {
            "id": self.workspace_id,
            "name": WORKSPACE_NAME,
            "owner": self.owner_id,
            "plan_id": "pid_hg_v1",
            "add_unsub_to_block": True,
            "default_opportunity_value": 1000,
            "org_client_domain": "portal.northwind.example",
            "_domain_verified": True,
            "scheduled_for_removal_at": None,
            "timestamp_created": self.ago(400),
            "timestamp_updated": self.ago(3),
        }
        self.store.put(WORKSPACE, WORKSPACE_KEY, crud.fill_required(workspace, component("Workspace")))

    def members(self) -> None:
        for user_id, email, name, role, accepted, days in (
            (self.owner_id, "maya.chen@northwind.example", "Maya Chen", "owner", True, 400),
            (self.uid(), "liam.ortiz@northwind.example", "Liam Ortiz", "editor", True, 200),
            (self.uid(), "sofia.reyes@northwind.example", "Sofia Reyes", "view", False, 2),
        ):
            self.add(
                "/api/v2/workspace-members",
                {
                    "user_id": user_id,
                    "email": email,
                    "user_email": email,
                    "name": name,
                    "nickname": name.split()[0],
                    "role": role,
                    "accepted": accepted,
                    "workspace_id": self.workspace_id,
                },
                days,
            )

    def accounts(self) -> None:
        for email, first, last, provider, status, warmup, score, days in (
            (MAYA, "Maya", "Chen", 2, 1, 1, 97, 180),
            (LIAM, "Liam", "Ortiz", 3, 2, 0, 88, 150),
            (OUTREACH, "Outreach", "Team", 1, -1, 0, 61, 40),
        ):
            fields = {
                "email": email,
                "first_name": first,
                "last_name": last,
                "provider_code": provider,
                "status": status,
                "warmup_status": warmup,
                "stat_warmup_score": score,
                "daily_limit": 40,
                "sending_gap": 10,
                "setup_pending": False,
                "is_managed_account": False,
                "added_by": self.owner_id,
                "warmup": {"limit": 20, "increment": "disabled", "reply_rate": 0.3},
                "timestamp_warmup_start": self.ago(days - 1) if warmup == 1 else None,
                "tracking_domain_name": "track.northwind.example" if provider == 2 else None,
            }
            if status < 0:
                fields["status_message"] = {
                    "code": "EAUTH",
                    "command": "AUTH PLAIN",
                    "responseCode": 535,
                    "response": "535 5.7.8 Authentication credentials invalid",
                }
            self.add("/api/v2/accounts", fields, days)

    @staticmethod
    def schedule(timezone: str, start: str) -> dict[str, Any]:
        return {
            "start_date": start,
            "end_date": None,
            "schedules": [
                {
                    "name": "Business hours",
                    "timing": {"from": "09:00", "to": "17:00"},
                    "days": dict(_WEEKDAYS),
                    "timezone": timezone,
                }
            ],
        }

    @staticmethod
    def sequence(steps: tuple[tuple[str, str, int], ...]) -> list[dict[str, Any]]:
        return [
            {
                "steps": [
                    {
                        "type": "email",
                        "delay": delay,
                        "delay_unit": "days",
                        "variants": [{"subject": subject, "body": body}],
                    }
                    for subject, body, delay in steps
                ]
            }
        ]

    def campaigns(self) -> dict[str, Entity]:
        campaigns = {}
        for key, demo in _CAMPAIGNS.items():
            campaigns[key] = self.add(
                "/api/v2/campaigns",
                {
                    "name": demo.name,
                    "status": demo.status,
                    "email_list": list(demo.accounts),
                    "pl_value": demo.pl_value,
                    "campaign_schedule": self.schedule(demo.timezone, self.ago(demo.days_ago)[:10]),
                    "sequences": self.sequence(demo.steps),
                    "daily_limit": 60,
                    "email_gap": 10,
                    "random_wait_max": 10,
                    "stop_on_reply": True,
                    "stop_on_auto_reply": False,
                    "link_tracking": True,
                    "open_tracking": True,
                    "text_only": False,
                    "is_evergreen": False,
                    "owned_by": self.owner_id,
                    "email_tag_list": [],
                    "cc_list": [],
                    "bcc_list": [],
                },
                demo.days_ago,
            )
        return campaigns

    def leads(self, campaigns: dict[str, Entity], list_id: str) -> dict[str, Entity]:
        replied = {t.lead for t in _THREADS if any(m.inbound for m in t.messages)}
        leads = {}
        for index, lead in enumerate(_LEADS):
            domain = lead.email.rpartition("@")[2]
            contacted = lead.opens > 0 or (lead.where in ("saas", "agency") and lead.status != 1)
            fields = {
                "email": lead.email,
                "first_name": lead.first,
                "last_name": lead.last,
                "job_title": lead.title,
                "company_name": lead.company,
                "company_domain": domain,
                "website": f"https://{domain}",
                "campaign": campaigns[lead.where]["id"] if lead.where != "list" else None,
                "_list_id": list_id if lead.where == "list" else None,
                "status": lead.status,
                "email_open_count": lead.opens,
                "email_click_count": lead.clicks,
                "email_reply_count": int(lead.email in replied),
                "lt_interest_status": lead.interest,
                "status_summary": {},
                "verification_status": 1,
                "payload": {
                    "firstName": lead.first,
                    "lastName": lead.last,
                    "companyName": lead.company,
                    "jobTitle": lead.title,
                },
                "timestamp_last_contact": self.ago(2 + index % 5) if contacted else None,
                "timestamp_last_open": self.ago(1 + index % 4) if lead.opens else None,
                "timestamp_last_reply": self.ago(1 + index % 3) if lead.email in replied else None,
            }
            leads[lead.email] = self.add("/api/v2/leads", fields, 15 - index * 0.5)
        return leads

    def emails(self, campaigns: dict[str, Entity], leads: dict[str, Entity]) -> None:
        """Stored oldest first, so creation order (the unibox's paging order) matches the timestamps."""
        thread_ids = {thread.lead: self.uid() for thread in _THREADS}
        messages = [(thread, message) for thread in _THREADS for message in thread.messages]
        for thread, message in sorted(messages, key=lambda item: -item[1].days_ago):
            sender, recipient = (thread.lead, thread.account) if message.inbound else (thread.account, thread.lead)
            fields = {
                "timestamp_email": self.ago(message.days_ago),
                "message_id": f"<{self.uid()}@mail.northwind.example>",
                "subject": message.subject,
                "from_address_email": sender,
                "to_address_email_list": recipient,
                "body": {"text": message.text, "html": message.text.replace("\n", "<br/>")},
                "campaign_id": campaigns[thread.campaign]["id"],
                "lead": thread.lead,
                "lead_id": leads[thread.lead]["id"],
                "eaccount": thread.account,
                "ue_type": 2 if message.inbound else 1,
                "step": message.step,
                "_variant": "0",
                "is_unread": message.unread,
                "is_auto_reply": 0,
                "is_focused": 1,
                "thread_id": thread_ids[thread.lead],
                "content_preview": message.text[:100],
                "i_status": None,
                **message.extra,
            }
            self.add("/api/v2/emails", fields, message.days_ago)

    def lists_and_labels(self, campaigns: dict[str, Entity], list_id: str) -> None:
        for value, days in (("competitor.example", 30), ("legal@bigcorp.example", 12), ("spamtrap.example", 5)):
            self.add("/api/v2/block-lists-entries", {"bl_value": value, "is_domain": "@" not in value}, days)
        for label, kind, status, description in (
            ("Hot lead", "positive", 5, "Asked for pricing or a call"),
            ("Call back next quarter", "neutral", 100, "Interested, but the timing is wrong"),
        ):
            self.add(
                "/api/v2/lead-labels",
                {
                    "label": label,
                    "interest_status_label": kind,
                    "interest_status": status,
                    "description": description,
                    "use_with_ai": True,
                    "created_by": self.owner_id,
                },
                20,
            )
        tag = self.add(
            "/api/v2/custom-tags", {"label": "Priority", "description": "High-value outreach, reviewed daily"}, 25
        )
        self.add(
            "/api/v2/custom-tag-mappings",
            {"tag_id": tag["id"], "resource_id": campaigns["saas"]["id"], "resource_type": 2},
            14,
        )
        self.add(
            "/api/v2/subsequences",
            {
                "parent_campaign": campaigns["saas"]["id"],
                "workspace": self.workspace_id,
                "status": 1,
                "name": "Interested - send case study",
                "conditions": {"crm_status": [1]},
                "timestamp_leads_updated": self.ago(2),
                "sequences": self.sequence(_CASE_STUDY_STEPS),
            },
            10,
        )
        self.add(
            "/api/v2/background-jobs",
            {
                "id": self.uid().replace("-", "")[:24],
                "workspace_id": self.workspace_id,
                "user_id": self.owner_id,
                "type": "import-leads",
                "entity_type": "list",
                "entity_id": list_id,
                "progress": 100,
                "status": "success",
                "data": {"success_count": 4, "failed_count": 0, "total_to_process": 4},
                "created_at": self.ago(12),
                "updated_at": self.ago(12),
            },
            12,
        )
        self.add(
            "/api/v2/supersearch-enrichment",
            {
                "resource_id": list_id,
                "limit": 100,
                "auto_update": True,
                "enrichment_payload": {"work_email_enrichment": True, "email_verification": True},
            },
            11,
        )
        self.add(
            "/api/v2/email-verification",
            {
                "email": "priya.shah@brightpath.example",
                "status": "success",
                "verification_status": "verified",
                "catch_all": False,
            },
            13,
        )

    def integrations(self, campaigns: dict[str, Entity]) -> None:
        webhook = self.add(
            "/api/v2/webhooks",
            {
                "name": "CRM sync",
                "target_hook_url": "https://hooks.northwind.example/instantly",
                "event_type": "reply_received",
                "campaign": None,
                "status": 1,
                "organization": self.workspace_id,
            },
            30,
        )
        for success, days in ((True, 5), (False, 1)):
            self.add(
                "/api/v2/webhook-events",
                {
                    "webhook_url": webhook["target_hook_url"],
                    "success": success,
                    "retry_count": 0 if success else 3,
                    "will_retry": False,
                    "status_code": 200 if success else 502,
                    "lead_email": "priya.shah@brightpath.example",
                    "timestamp_created_date": self.ago(days)[:10],
                    "response_time_ms": 180 if success else 30000,
                },
                days,
            )
        self.add(
            "/api/v2/api-keys",
            {"name": "CRM integration", "scopes": ["leads:all", "campaigns:read"], "key": "inst_************7f3a"},
            60,
        )
        self.add(
            "/api/v2/dfy-email-account-orders",
            {
                "_key": "northwind-mail.example",
                "domain": "northwind-mail.example",
                "forwarding_domain": "northwind.example",
                "forwarding_mode": "redirect",
                "is_pre_warmed_up": False,
                "timestamp_cancelled": None,
                "workspace_id": self.workspace_id,
            },
            45,
        )
        test = self.add(
            "/api/v2/inbox-placement-tests",
            {
                "name": "Weekly Gmail & Outlook placement",
                "type": 2,
                "sending_method": 1,
                "delivery_mode": 1,
                "status": 1,
                "email_subject": "Quick question about your outbound",
                "email_body": "Hi there, this is a placement test.",
                "emails": [MAYA, LIAM],
                "recipients": ["seed1@placement.example", "seed2@placement.example"],
                "campaign_id": campaigns["saas"]["id"],
            },
            9,
        )
        for esp, spam in (("Google", False), ("Microsoft", True)):
            self.add(
                "/api/v2/inbox-placement-analytics",
                {
                    "test_id": test["id"],
                    "sender_email": MAYA,
                    "recipient_email": f"seed.{esp.lower()}@placement.example",
                    "recipient_esp": 1 if esp == "Google" else 2,
                    "is_spam": spam,
                    "has_category": False,
                    "timestamp_created_date": self.ago(8)[:10],
                },
                8,
            )
        self.add(
            "/api/v2/inbox-placement-reports",
            {
                "test_id": test["id"],
                "domain": "northwind.example",
                "domain_ip": "203.0.113.25",
                "spam_assassin_score": 1.2,
                "domain_blacklist_count": 0,
                "domain_ip_blacklist_count": 0,
                "timestamp_created_date": self.ago(8)[:10],
            },
            8,
        )

    def agents(self, campaigns: dict[str, Entity]) -> None:
        base = {"status": 1, "is_auto_created": False, "created_by": self.owner_id}
        self.add(
            "/api/v2/ai-agents/inbox-manager",
            {
                **base,
                "name": "Unibox triage assistant",
                "type": 1,
                "payload": {},
                "description": "Labels replies and drafts answers",
            },
            30,
        )
        sales = self.add(
            "/api/v2/ai-agents/sales",
            {
                "name": "Outbound SDR - Fintech",
                "agent_type": 2,
                "type": "website",
                "status": 1,
                "initial_scrape_ready": True,
                "workspace_id": self.workspace_id,
                "input": "https://northwind.example",
                "created_by": self.owner_id,
            },
            25,
        )
        crud.save(
            self.store,
            self.resource("/api/v2/ai-agents/sales"),
            {
                **sales,
                "_guidance_rules": [
                    {
                        "title": "Tone of voice",
                        "content": "Write in a friendly, plain tone and keep emails under 100 words.",
                    }
                ],
            },
        )
        for action, reasoning, days in (
            ("push_lead", "Daniel Kim opened the intro twice; a follow-up with the fintech case study fits.", 1),
            ("edit_campaign", "Reply rate on step 2 is below 1%; proposing a shorter subject line.", 0.5),
        ):
            self.add(
                "/api/v2/ai-agents/sales/{id}/activities",
                {
                    "ai_sdr_id": sales["id"],
                    "workspace_id": self.workspace_id,
                    "action_type": action,
                    "action_status": "pending",
                    "ai_reasoning": reasoning,
                    "ai_confidence": 0.82,
                },
                days,
                parent={"id": sales["id"]},
            )
        self.add(
            "/api/v2/ai-agents/deliverability",
            {**base, "name": "Deliverability guardian", "type": 3, "payload": {}},
            20,
        )
        self.add(
            "/api/v2/ai-agents/lead-finder",
            {
                **base,
                "name": "Lead finder - SaaS founders",
                "type": 6,
                "payload": {"campaign_id": campaigns["saas"]["id"], "campaign_name": campaigns["saas"]["name"]},
            },
            15,
        )

    def generic(self) -> None:
        """One synthesized entity for every collection that has no demo data yet."""
        for path, resource in self.resources.by_path.items():
            parent = self._parent(path, resource)
            if parent is None or crud.entities(self.store, resource, parent):
                continue
            fields = synthesize(resource.schema)
            if resource.has_field("name"):
                fields["name"] = f"Demo {resource.title.lower()}"
            self.add(path, {k: v for k, v in fields.items() if k not in resource.fixed}, 7, parent)

    def _parent(self, path: str, resource: Resource) -> dict[str, str] | None:
        """Parent path params resolved to the first entity of each parent collection (None if impossible)."""
        segments = split_path(path)
        parent: dict[str, str] = {}
        for index, segment in enumerate(segments):
            if not is_param(segment):
                continue
            owner = self.resources.for_collection("/" + "/".join(segments[:index]))
            found = crud.entities(self.store, owner, {}) if owner else []
            if owner is None or not found:
                return None
            parent[segment[1:-1]] = crud.key_of(owner, found[0])
        return parent


def saved_scale(store: Store) -> str:
    """The scale a stored workspace was seeded at (files from before scales existed are demo)."""
    workspace = store.get(WORKSPACE, WORKSPACE_KEY) or {}
    return str(workspace.get("_scale", "demo"))


def ensure_workspace(store: Store) -> None:
    """An unseeded sandbox still has its (empty) workspace, which every entity belongs to."""
    if store.get(WORKSPACE, WORKSPACE_KEY) is None:
        now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        workspace = {
            "id": str(uuid.uuid4()),
            "name": "Sandbox Workspace",
            "owner": str(uuid.uuid4()),
            "timestamp_created": now,
            "timestamp_updated": now,
        }
        store.put(WORKSPACE, WORKSPACE_KEY, crud.fill_required(workspace, component("Workspace")))
