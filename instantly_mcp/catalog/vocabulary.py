"""The domain's everyday words and what the spec calls them, as search reads a request
(catalog/search.py): ACTIONS for verbs ("stop" -> pause, disable), THINGS for nouns ("mailbox" ->
account). They are small on purpose, so a reviewer reads both in one screen: a word added to fix
one missed request would only memorise it."""

from __future__ import annotations

# An action's synonyms count only where a request says what to do (its first two words): "copy the
# campaign" duplicates it, "the email copy" is its text.
ACTIONS: dict[str, tuple[str, ...]] = {
    "stop": ("pause", "disable"),
    "halt": ("pause",),
    "suspend": ("pause",),
    "deactivate": ("pause", "disable"),
    "unpause": ("resume",),
    "reactivate": ("resume", "activate"),
    "continue": ("resume",),
    "launch": ("activate",),
    "start": ("activate", "resume", "enable"),
    "enable": ("enable", "update"),  # a setting of a record without a switch of its own
    "disable": ("disable", "update"),
    "resume": ("activate",),
    "restart": ("resume", "activate"),
    "remove": ("delete",),
    "erase": ("delete",),
    "wipe": ("delete",),
    "purge": ("delete",),
    "drop": ("delete",),
    "discard": ("delete",),
    "trash": ("delete",),
    "destroy": ("delete",),
    "unblock": ("delete", "block"),
    "revoke": ("delete",),
    "disconnect": ("delete",),
    "new": ("create",),
    "make": ("create",),
    "add": ("create",),
    "setup": ("create",),
    "save": ("create",),
    "insert": ("add", "create"),
    "register": ("create",),
    "edit": ("update",),
    "change": ("update",),
    "modify": ("update",),
    "rename": ("update",),
    "configure": ("update",),
    "adjust": ("update",),
    "customize": ("update",),
    "set": ("update",),
    "transfer": ("change", "move"),
    "reassign": ("assign", "move"),
    "show": ("list", "get"),
    "see": ("list", "get"),
    "view": ("list", "get"),
    "find": ("list", "get"),
    "fetch": ("get", "list"),
    "retrieve": ("get", "list"),
    "read": ("get", "list"),
    "check": ("get", "verify", "test"),
    "validate": ("verify",),
    "import": ("add", "create"),
    "upload": ("add", "create"),
    "copy": ("move", "duplicate"),
    "clone": ("duplicate",),
    "invite": ("create", "member"),
    "enroll": ("add", "create"),
    "unenroll": ("delete",),
    "attach": ("add", "create"),
    "notify": ("create", "webhook"),
    "subscribe": ("create", "webhook"),
    "suppress": ("create", "block"),
    "block": ("create", "block"),
    "blacklist": ("create", "block"),
    "blocklist": ("create", "block"),
    "whitelist": ("delete", "block"),
    "unsubscribe": ("create", "block"),
    "tag": ("toggle",),
    "label": ("update",),
    "untag": ("toggle",),
    "mark": ("update",),
    "connect": ("create",),
    "buy": ("place", "order", "dfy"),
    "purchase": ("place", "order", "dfy"),
}

# A thing's everyday names: "mailbox" is an account, "stats" are analytics.
THINGS: dict[str, tuple[str, ...]] = {
    "response": ("reply",),
    "respond": ("reply",),
    "answer": ("reply",),
    "reply": ("email",),
    "sender": ("account",),
    "mailbox": ("account",),
    "inbox": ("email", "account"),
    "unibox": ("email",),
    "message": ("email",),
    "mail": ("email",),
    "conversation": ("email", "thread"),
    "contact": ("lead",),
    "prospect": ("lead",),
    "recipient": ("lead",),
    "person": ("lead",),
    "people": ("lead",),
    "sequence": ("campaign", "step"),
    "variant": ("step",),
    "step": ("campaign",),
    "unsubscribe": ("block",),
    "delete": ("removal",),  # the workspace's deletion is its scheduled removal
    "blocklist": ("block",),
    "blacklist": ("block",),
    "suppression": ("block",),
    "spam": ("placement", "warmup"),
    "deliverability": ("placement", "vitals", "warmup"),
    "dns": ("vitals",),
    "smtp": ("vitals", "account"),
    "imap": ("vitals", "account"),
    "warm": ("warmup",),
    "reputation": ("warmup",),
    "health": ("warmup", "vitals"),
    "notify": ("webhook",),
    "hook": ("webhook",),
    "integration": ("webhook",),
    "log": ("audit",),
    "history": ("audit",),
    "job": ("background",),
    "finder": ("supersearch",),
    "database": ("supersearch",),
    "deal": ("opportunity",),
    "pipeline": ("opportunity",),
    "teammate": ("member",),
    "colleague": ("member",),
    "team": ("member",),
    "user": ("member",),
    "bot": ("ai", "agent"),
    # numbers
    "stats": ("analytics",),
    "statistic": ("analytics",),
    "metric": ("analytics",),
    "number": ("count", "analytics"),
    "many": ("count", "analytics"),
    "performance": ("analytics",),
    "perform": ("analytics",),
    "doing": ("analytics",),
    "report": ("analytics",),
    "result": ("analytics",),
    "rate": ("analytics",),
    "most": ("analytics",),
    "compare": ("analytics",),
    "top": ("analytics",),
    "best": ("analytics",),
    "worst": ("analytics",),
    "highest": ("analytics",),
    "lowest": ("analytics",),
    "total": ("analytics", "count"),
    "breakdown": ("analytics",),
    "percentage": ("analytics",),
    "trend": ("daily", "analytics"),
    "stage": ("status",),
    "cadence": ("campaign",),
    "dnc": ("block",),
    "billing": ("plan", "subscription"),
    "day": ("daily",),
    "yesterday": ("daily",),
    "today": ("daily",),
    # other cold-email tools' words for what the spec names; [n] is the glossary or help page below
    "variation": ("variant",),  # [1] an A/B test's versions of a step
    "placeholder": ("variable",),  # [2] merge tags, personalization variables
    "brand": ("workspace",),  # [3] a workspace per client or brand
    "subaccount": ("workspace", "group"),  # [3][4] an agency's client sub-accounts: sub-workspaces
    "exclusion": ("block",),  # [5] the exclusion list: never contacted
    "throttle": ("limit",),  # [6] email throttling: a sending limit
    "cap": ("limit",),  # [7] a campaign's or account's daily cap
    "drip": ("campaign",),  # [8] a sequence, cadence or drip campaign
    "touchpoint": ("step",),  # [8] one step of a sequence
    "scrub": ("verification",),  # [9] list scrubbing or cleaning: verifying addresses
    "hygiene": ("verification",),  # [10] list hygiene
}

# [1] help.quickmail.io/article/375-a-b-testing  [2] sequenzy.com/glossary/merge-tags  [6] sendful.ai/glossary
# [3] help.instantly.ai/en/articles/6718773  [4] help.instantly.ai/en/articles/10575905-workspace-groups
# [5] smartleads.so/product-documentation/glossary  [8] firstsales.io/sales/glossary/sequence
# [7] stamina-knowledge-base.help.usepylon.com/articles/4392444810-managing-multiple-email-schedules
# [9] businessemailverification.com/blog/email-list-cleaning  [10] mailstackdb.com/glossary
VOCABULARY = THINGS | ACTIONS

# A word's later meanings in VOCABULARY count less than its first: "inbox" is the Unibox before a mailbox.
SECOND_MEANING = 0.9
