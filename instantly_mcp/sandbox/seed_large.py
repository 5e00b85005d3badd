"""A workspace at real scale, generated from a seed: where context cost, paging and the result cap matter.

`--sandbox-scale large` (or `instantly-mcp sandbox --scale large`) starts with about 50 campaigns in
every status, 20 sending accounts with warmup history, 20,000 leads (campaign leads plus 30 lead
lists), 50,000 unibox emails in threads (sends, replies, auto-replies, bounces), 2,000 block-list
entries, tags and labels. The same seed and the same `now` give the same workspace; timestamps are
relative to `now` so the workspace always looks recently active.

Events come first and counters follow from them, so the sandbox's analytics (computed from the
stored leads and emails) agree with what the workspace shows: a lead's open, click and reply counts
are the sums over its emails, a bounced lead has a bounce notice, a replied lead has its reply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from instantly_mcp.sandbox import crud
from instantly_mcp.sandbox.resources import Resources
from instantly_mcp.sandbox.seed import Seeder
from instantly_mcp.sandbox.store import Entity, Store
from instantly_mcp.sandbox.synth import seeded

LARGE_SEED = 20261130

# fmt: off
_FIRST = ("Ava", "Liam", "Olivia", "Noah", "Emma", "Lucas", "Mia", "Ethan", "Sofia", "Mason", "Isla", "Leo", "Zoe",
          "Arjun", "Priya", "Chen", "Mei", "Kenji", "Yuki", "Omar", "Layla", "Mateo", "Lucia", "Jonas", "Freya",
          "Nikolai", "Anya", "Tomas", "Elena", "Kwame", "Amara", "Diego", "Camila", "Rohan", "Aisha", "Felix",
          "Hannah", "Samuel", "Grace", "Daniel", "Chloe", "Ravi", "Ines", "Marco", "Giulia", "Sven", "Astrid",
          "Pedro", "Beatriz", "Oscar", "Maya", "Hugo", "Clara", "Ivan", "Nadia", "Tariq", "Zara", "Ben", "Lily")
_LAST = ("Smith", "Johnson", "Garcia", "Müller", "Rossi", "Kim", "Nguyen", "Patel", "Chen", "Silva", "Kowalski",
         "Andersen", "Okafor", "Haddad", "Tanaka", "Fischer", "Martin", "Dubois", "Costa", "Novak", "Berg",
         "Williams", "Brown", "Lopez", "Shah", "Khan", "Ivanova", "Larsen", "Moreau", "Schmidt", "O'Brien",
         "Murphy", "Reyes", "Santos", "Yilmaz", "Horvat", "Nielsen", "Weber", "Alvarez", "Menon", "Ortiz")
_COMPANY_A = ("Bright", "Blue", "North", "Iron", "Silver", "Clear", "Swift", "Summit", "Harbor", "Cedar", "Quantum",
              "Nimbus", "Vertex", "Pioneer", "Atlas", "Lumen", "Copper", "Orbit", "Fjord", "Sable", "Maple", "Nova")
_COMPANY_B = ("path", "stone", "wave", "field", "bridge", "forge", "light", "point", "works", "leaf", "line",
              "gate", "peak", "craft", "loop", "stack", "yard", "spring")
_COMPANY_SUFFIX = ("Analytics", "Logistics", "Health", "Finance", "Labs", "Software", "Robotics", "Media",
                   "Energy", "Retail", "Security", "Systems", "Partners", "Studio", "Capital", "Foods")
_TITLES = ("CEO", "Founder", "CTO", "VP of Sales", "Head of Growth", "RevOps Lead", "Marketing Manager", "COO",
           "Head of Operations", "Sales Director", "CFO", "Product Lead", "Demand Gen Manager", "SDR Manager")
_INDUSTRIES = ("SaaS", "Fintech", "Healthcare", "Logistics", "E-commerce", "Manufacturing", "Agency", "Real Estate",
               "Cybersecurity", "Education")
_CITIES = ("Austin", "Berlin", "London", "Toronto", "Chicago", "Amsterdam", "Sydney", "Denver", "Lisbon", "Dublin",
           "Singapore", "Madrid", "Boston", "Stockholm", "Seattle")
_TIMEZONES = ("America/Chicago", "America/Detroit", "America/Boise", "America/Anchorage", "Europe/Belgrade",
              "Europe/Isle_of_Man", "Europe/Helsinki", "Australia/Melbourne", "Asia/Kolkata")  # Instantly's zones
_CAMPAIGN_THEMES = ("SaaS Founders", "Fintech CFOs", "Healthcare Ops", "Logistics Leaders", "Agency Partners",
                    "E-commerce Growth", "Manufacturing Plant Managers", "Security Buyers", "RevOps Teams",
                    "Series A Startups", "Enterprise IT", "Real Estate Brokers", "EdTech Leaders")
_LIST_SOURCES = ("Trade Show", "Webinar Signups", "Website Visitors", "Partner Referrals", "LinkedIn Export",
                 "Conference Badge Scans", "Content Downloads", "Product Hunt Upvoters", "Apollo Export", "CRM Import")
_REPLIES = (
    (1, "Thanks for reaching out. This is timely; can we talk next week?"),
    (2, "Happy to chat. I booked a slot on your calendar for Thursday."),
    (3, "Good call yesterday, sending over the notes to my team."),
    (4, "We are ready to move forward. Please send the contract."),
    (-1, "Not interested, please remove me from your list."),
    (-2, "I am not the right person for this; try our operations team."),
    (1, "Interesting. Could you send pricing for our team?"),
    (-1, "We already use a vendor for this, thanks."),
)
# (status, how many): every status of the spec, weighted like a real workspace
_CAMPAIGN_STATUSES = ((1, 18), (2, 9), (3, 9), (0, 6), (4, 3), (-1, 2), (-2, 2), (-99, 1))
# fmt: on


@dataclass(frozen=True)
class LargeShape:
    """How big the generated workspace is; tests use a smaller shape of the same generator."""

    accounts: int = 20
    campaign_leads: int = 15_000
    list_leads: int = 5_000
    lists: int = 30
    block_list: int = 2_000
    tags: int = 12
    labels: int = 8


class LargeSeeder(Seeder):
    """The demo seeder's helpers, driven by generated data instead of the hand-written Northwind."""

    def __init__(
        self,
        store: Store,
        resources: Resources,
        now: datetime | None = None,
        shape: LargeShape = LargeShape(),
        seed: int = LARGE_SEED,
    ):
        super().__init__(store, resources, now=now, seed=seed)
        self.shape = shape
        self._resources_by_path: dict[str, Any] = {}
        self._names: set[str] = set()

    def run(self) -> None:
        self.workspace()
        self.members()
        accounts = self.sending_accounts()
        campaigns = self.many_campaigns(accounts)
        lists = self.lead_lists()
        leads = self.many_leads(campaigns, lists)
        self.threads(campaigns, leads)
        self.block_list()
        self.tags_and_labels(campaigns)
        first_active = next(c for c in campaigns if c["status"] == 1)
        self.integrations({"saas": first_active})
        self.agents({"saas": first_active})
        self.generic()

    # ------------------------------------------------------------------ accounts and campaigns
    def sending_accounts(self) -> list[Entity]:
        accounts = []
        for index in range(self.shape.accounts):
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            domain = ("northwind-mail.example", "northwind-outreach.example", "northwind.example")[index % 3]
            healthy = self.rng.random() > 0.1
            age = self.rng.randint(20, 400)
            fields = {
                "email": f"{first.lower()}.{self._ascii(last)}{index}@{domain}",
                "first_name": first,
                "last_name": last,
                "provider_code": self.rng.choice((2, 2, 3, 1)),
                "status": 1 if healthy else self.rng.choice((2, -1, -2)),
                "warmup_status": 1 if healthy else self.rng.choice((0, -1)),
                "stat_warmup_score": self.rng.randint(85, 100) if healthy else self.rng.randint(40, 80),
                "daily_limit": self.rng.choice((30, 40, 50)),
                "sending_gap": 10,
                "setup_pending": False,
                "is_managed_account": False,
                "added_by": self.owner_id,
                "warmup": {"limit": 20, "increment": "disabled", "reply_rate": 0.3},
                "timestamp_warmup_start": self.ago(age - 1),
                "tracking_domain_name": f"track.{domain}",
            }
            accounts.append(self.add("/api/v2/accounts", fields, age))
        return accounts

    def many_campaigns(self, accounts: list[Entity]) -> list[Entity]:
        statuses = [status for status, count in _CAMPAIGN_STATUSES for _ in range(count)]
        campaigns = []
        for index, status in enumerate(statuses):
            theme = _CAMPAIGN_THEMES[index % len(_CAMPAIGN_THEMES)]
            quarter = f"Q{index % 4 + 1}"
            name = f"{quarter} {theme} - {('Intro', 'Follow-up', 'Reactivation', 'Webinar', 'Case Study')[index % 5]}"
            if name in self._names:
                name = f"{name} {index}"
            self._names.add(name)
            days_ago = self.rng.randint(1, 5) if status == 0 else self.rng.randint(10, 120)
            senders = self.rng.sample(accounts, k=self.rng.randint(1, 3)) if status != 0 else []
            steps = tuple(
                (f"{subject} {{{{companyName}}}}", f"Hi {{{{firstName}}}},<br/><br/>{body}", self.rng.choice((2, 3, 4)))
                for subject, body in self.rng.sample(_STEP_COPY, k=self.rng.randint(3, 6))
            )
            campaigns.append(
                self.add(
                    "/api/v2/campaigns",
                    {
                        "name": name,
                        "status": status,
                        "email_list": [a["email"] for a in senders],
                        "pl_value": self.rng.choice((500, 800, 1000, 1500, 2500)),
                        "campaign_schedule": self.schedule(self.rng.choice(_TIMEZONES), self.ago(days_ago)[:10]),
                        "sequences": self.sequence(steps),
                        "daily_limit": self.rng.choice((50, 100, 200)),
                        "email_gap": 10,
                        "random_wait_max": 10,
                        "stop_on_reply": True,
                        "stop_on_auto_reply": False,
                        "link_tracking": True,
                        "open_tracking": True,
                        "text_only": False,
                        "is_evergreen": index % 10 == 0,
                        "owned_by": self.owner_id,
                        "email_tag_list": [],
                        "cc_list": [],
                        "bcc_list": [],
                    },
                    days_ago,
                )
            )
        return campaigns

    def lead_lists(self) -> list[Entity]:
        return [
            self.add(
                "/api/v2/lead-lists",
                {
                    "name": f"{_LIST_SOURCES[index % len(_LIST_SOURCES)]} - {_INDUSTRIES[index % len(_INDUSTRIES)]}"
                    f" {2026 - index // 20}",
                    "has_enrichment_task": index % 4 == 0,
                    "owned_by": self.owner_id,
                },
                self.rng.randint(5, 300),
            )
            for index in range(self.shape.lists)
        ]

    # ------------------------------------------------------------------ leads and their emails
    def many_leads(self, campaigns: list[Entity], lists: list[Entity]) -> list[Entity]:
        """Leads with counters at zero; `threads` raises them from the events it writes."""
        homes: list[tuple[str | None, str | None]] = [
            (self.rng.choice(campaigns)["id"], None) for _ in range(self.shape.campaign_leads)
        ]
        homes += [(None, self.rng.choice(lists)["id"]) for _ in range(self.shape.list_leads)]
        resource = self.resource("/api/v2/leads")
        leads = []
        for index, (campaign_id, list_id) in enumerate(homes):
            first, last = self.rng.choice(_FIRST), self.rng.choice(_LAST)
            company, title = self._company(), self.rng.choice(_TITLES)
            domain = self._ascii(company).replace(" ", "") + ".example"
            email = f"{self._ascii(first)}.{self._ascii(last)}{index}@{domain}"
            fields = {
                "email": email,
                "first_name": first,
                "last_name": last,
                "job_title": title,
                "company_name": company,
                "company_domain": domain,
                "website": f"https://{domain}",
                "campaign": campaign_id,
                "_list_id": list_id,
                "status": 1,
                "email_open_count": 0,
                "email_click_count": 0,
                "email_reply_count": 0,
                "lt_interest_status": None,
                "status_summary": {},
                "verification_status": self.rng.choice((1, 1, 1, 1, -3, -2)),
                "esp_code": self.rng.choice((1, 1, 2, 2, 999)),
                "upload_method": self.rng.choice(("manual", "api")),
                "payload": {
                    "firstName": first,
                    "lastName": last,
                    "companyName": company,
                    "jobTitle": title,
                    "industry": self.rng.choice(_INDUSTRIES),
                    "city": self.rng.choice(_CITIES),
                    "employees": self.rng.choice(("1-10", "11-50", "51-200", "201-1000", "1000+")),
                },
                "timestamp_last_contact": None,
                "timestamp_last_open": None,
                "timestamp_last_reply": None,
            }
            leads.append(self._build(resource, fields, self.rng.uniform(20, 200)))
        return leads

    def threads(self, campaigns: list[Entity], leads: list[Entity]) -> None:
        """Campaign sends, replies, auto-replies and bounces; stored oldest first like the demo."""
        by_id = {c["id"]: c for c in campaigns}
        messages: list[tuple[float, dict[str, Any]]] = []
        for lead in leads:
            campaign = by_id.get(lead.get("campaign") or "")
            if campaign is None or campaign["status"] == 0 or not campaign["email_list"]:
                continue
            if self.rng.random() < 0.08:  # queued, not contacted yet
                continue
            messages.extend(self._thread(lead, campaign))
        resource = self.resource("/api/v2/emails")
        for days_ago, fields in sorted(messages, key=lambda item: -item[0]):
            self._build(resource, fields, days_ago)
        leads_resource = self.resource("/api/v2/leads")
        for lead in leads:
            crud.save(self.store, leads_resource, lead)

    def _thread(self, lead: Entity, campaign: Entity) -> list[tuple[float, dict[str, Any]]]:
        account = self.rng.choice(campaign["email_list"])
        steps = campaign["sequences"][0]["steps"]
        thread_id = self.uid()
        start = self.rng.uniform(1, 70)
        outcome = self.rng.random()
        bounced, replied, auto = outcome < 0.03, 0.03 <= outcome < 0.15, 0.15 <= outcome < 0.25
        planned = 1 if bounced else (self.rng.randint(1, 2) if replied else len(steps))
        messages = []
        day = start
        for step in range(planned):
            if day <= 0:
                break
            opens = self.rng.choice((0, 0, 1, 1, 2, 3)) if not bounced else 0
            clicks = 1 if opens and self.rng.random() < 0.2 else 0
            variant = steps[step]["variants"][0]
            messages.append(
                (
                    day,
                    self._email(
                        lead,
                        campaign,
                        account,
                        thread_id,
                        False,
                        str(step),
                        variant["subject"],
                        variant["body"],
                        opens=opens,
                        clicks=clicks,
                    ),
                )
            )
            lead["email_open_count"] += opens
            lead["email_click_count"] += clicks
            lead["timestamp_last_contact"] = self.ago(day)
            if opens:
                lead["timestamp_last_open"] = self.ago(max(day - 0.2, 0.01))
            day -= self.rng.uniform(2, 4)
        sent_steps = len(messages)
        day = max(day, 0.01)
        last_step = str(sent_steps - 1)
        if bounced:
            lead["status"] = -1
            messages.append(
                (
                    day,
                    self._email(
                        lead,
                        campaign,
                        account,
                        thread_id,
                        True,
                        last_step,
                        "Undeliverable: " + messages[0][1]["subject"],
                        "Delivery has failed to this recipient. The address was not found (550 5.1.1).",
                        sender="mailer-daemon@" + str(lead["company_domain"]),
                        auto_reply=True,
                        bounce=True,
                    ),
                )
            )
        elif replied:
            interest, text = self.rng.choice(_REPLIES)
            lead["email_reply_count"] += 1
            lead["lt_interest_status"] = interest
            lead["timestamp_last_reply"] = self.ago(day)
            lead["status"] = 3 if interest < 0 else 1
            messages.append(
                (
                    day,
                    self._email(
                        lead,
                        campaign,
                        account,
                        thread_id,
                        True,
                        last_step,
                        "Re: " + messages[-1][1]["subject"],
                        text,
                        interest=interest,
                        unread=int(self.rng.random() < 0.3),
                    ),
                )
            )
            if interest > 0 and self.rng.random() < 0.5:
                later = max(day - 0.5, 0.005)
                messages.append(
                    (
                        later,
                        self._email(
                            lead,
                            campaign,
                            account,
                            thread_id,
                            False,
                            last_step,
                            "Re: " + messages[-1][1]["subject"],
                            "Great, here is a link to pick a time that works.",
                        ),
                    )
                )
        elif auto:
            lead["lt_interest_status"] = 0
            messages.append(
                (
                    day,
                    self._email(
                        lead,
                        campaign,
                        account,
                        thread_id,
                        True,
                        last_step,
                        "Automatic reply: " + messages[0][1]["subject"],
                        "I am out of the office until next week with limited access to email.",
                        auto_reply=True,
                        interest=0,
                    ),
                )
            )
        elif sent_steps == len(steps):
            lead["status"] = 3
        if self.rng.random() < 0.01 and not bounced:
            lead["status"] = -2
        return messages

    def _email(
        self,
        lead: Entity,
        campaign: Entity,
        account: str,
        thread_id: str,
        inbound: bool,
        step: str,
        subject: str,
        text: str,
        *,
        sender: str | None = None,
        opens: int = 0,
        clicks: int = 0,
        auto_reply: bool = False,
        bounce: bool = False,
        interest: int | None = None,
        unread: int = 0,
    ) -> dict[str, Any]:
        personal = self._personalize(text, lead)
        address = str(lead["email"])
        fields: dict[str, Any] = {
            "message_id": f"<{self.uid()}@mail.northwind.example>",
            "subject": self._personalize(subject, lead),
            "from_address_email": sender or (address if inbound else account),
            "to_address_email_list": account if inbound else address,
            "body": {"text": personal, "html": personal.replace("\n", "<br/>")},
            "campaign_id": campaign["id"],
            "lead": address,
            "lead_id": lead["id"],
            "eaccount": account,
            "ue_type": 2 if inbound else 1,
            "step": step,
            "_variant": "0",
            "is_unread": unread,
            "is_auto_reply": int(auto_reply),
            "is_focused": 0 if auto_reply else 1,
            "thread_id": thread_id,
            "content_preview": personal[:100],
            "i_status": interest,
        }
        if opens:
            fields["_opens"] = opens
        if clicks:
            fields["_clicks"] = clicks
        if bounce:
            fields["_bounce"] = True
        return fields

    # ------------------------------------------------------------------ the rest of the workspace
    def block_list(self) -> None:
        resource = self.resource("/api/v2/block-lists-entries")
        for index in range(self.shape.block_list):
            company = self._ascii(self._company()).replace(" ", "")
            value = f"{company}{index}.example" if index % 3 else f"no-reply{index}@{company}.example"
            self._build(resource, {"bl_value": value, "is_domain": "@" not in value}, self.rng.uniform(1, 365))

    def tags_and_labels(self, campaigns: list[Entity]) -> None:
        words = (
            "Priority",
            "Q4 push",
            "Enterprise",
            "SMB",
            "EMEA",
            "North America",
            "Experiment",
            "Partner-led",
            "Do not pause",
            "Reviewed",
            "Holiday",
            "Needs copy review",
        )
        for label in words[: self.shape.tags]:
            tag = self.add("/api/v2/custom-tags", {"label": label, "description": f"Campaigns tagged {label}"}, 60)
            for campaign in self.rng.sample(campaigns, k=3):
                self.add(
                    "/api/v2/custom-tag-mappings",
                    {"tag_id": tag["id"], "resource_id": campaign["id"], "resource_type": 2},
                    30,
                )
        for label, kind, status in (
            ("Hot lead", "positive", 5),
            ("Pricing asked", "positive", 6),
            ("Call back next quarter", "neutral", 100),
            ("Referral given", "neutral", 101),
            ("Competitor customer", "negative", -5),
            ("Legal said no", "negative", -6),
            ("Champion", "positive", 7),
            ("Budget frozen", "neutral", 102),
        )[: self.shape.labels]:
            self.add(
                "/api/v2/lead-labels",
                {
                    "label": label,
                    "interest_status_label": kind,
                    "interest_status": status,
                    "description": label,
                    "use_with_ai": True,
                    "created_by": self.owner_id,
                },
                40,
            )

    # ------------------------------------------------------------------ helpers
    def _build(self, resource: Any, fields: dict[str, Any], days: float) -> Entity:
        """Seeder.add without its per-call lookups: 70,000 entities must build in seconds."""
        allowed = resource.schema.get("properties", {})
        entity = {k: v for k, v in fields.items() if (k in allowed or k[0] == "_") and v is not None}
        created = self.ago(days)
        for name in ("timestamp_created", "timestamp_email"):
            if name in allowed:
                entity.setdefault(name, created)
        if "timestamp_updated" in allowed:
            entity.setdefault("timestamp_updated", self.ago(days / 2))
        if resource.key == "id":
            entity.setdefault("id", self.uid())
        return crud.save(self.store, resource, crud.build(resource, entity, self.workspace_id))

    def _company(self) -> str:
        return f"{self.rng.choice(_COMPANY_A)}{self.rng.choice(_COMPANY_B)} {self.rng.choice(_COMPANY_SUFFIX)}"

    @staticmethod
    def _ascii(text: str) -> str:
        return text.lower().replace("ü", "u").replace("'", "").replace(" ", "-")

    @staticmethod
    def _personalize(text: str, lead: Entity) -> str:
        return text.replace("{{firstName}}", str(lead.get("first_name") or "there")).replace(
            "{{companyName}}", str(lead.get("company_name") or "your team")
        )


_STEP_COPY = (
    ("Quick question about", "How are you keeping outbound personal as {{companyName}} grows?"),
    ("Idea for", "We helped a team like {{companyName}} book 40 demos in a quarter. Worth a look?"),
    ("Following up on", "Bumping this in case it got buried."),
    ("A case study for", "Here is how a similar team cut their sales cycle by a third."),
    ("Closing the loop with", "I will close the loop here; happy to share a 2-minute video if useful."),
    ("Webinar recording for", "Thanks for your interest in our outbound webinar; here is the recording."),
    ("Partnering with", "We run outbound for agencies under their own brand. Open to a pilot?"),
)


def seed_large_workspace(
    store: Store,
    resources: Resources,
    now: datetime | None = None,
    shape: LargeShape = LargeShape(),
    seed: int = LARGE_SEED,
) -> None:
    seeder = LargeSeeder(store, resources, now=now, shape=shape, seed=seed)
    with seeded(seeder.rng, seeder.now):
        seeder.run()
