"""Finding tools by what a request says: BM25 over each tool's name, title, description,
toolset, spec tag and argument names and descriptions, with the domain's synonyms and typos.

One SearchIndex serves search_tools (discovery mode), code mode and "did you mean"; it is built on
first use from the operations a policy shows and a function giving each one's served schema.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from instantly_mcp.catalog.operations import Operation

SchemaOf = Callable[[Operation], dict[str, Any]]
DEFAULT_MATCHES = 8


_STOP = frozenset(
    "a an the of to for in on at by with and or from my our your all any some this that it its is are be "  # noqa: SIM905
    "i we me us do does how what which want need please can could would should".split()
)
# Words agents use for what the tool names call otherwise.
_SYNONYMS = {
    "stop": ("pause",),
    "halt": ("pause",),
    "start": ("activate", "resume"),
    "launch": ("activate",),
    "resume": ("activate",),
    "remove": ("delete",),
    "erase": ("delete",),
    "new": ("create",),
    "make": ("create",),
    "add": ("create",),
    "block": ("block", "blocklist"),
    "blacklist": ("block",),
    "unsubscribe": ("block",),
    "show": ("list", "get"),
    "find": ("list", "search", "get"),
    "fetch": ("get", "list"),
    "see": ("list", "get"),
    "edit": ("update",),
    "change": ("update",),
    "modify": ("update",),
    "rename": ("update",),
    "stats": ("analytics",),
    "statistic": ("analytics",),
    "metric": ("analytics",),
    "performance": ("analytics",),
    "mailbox": ("account",),
    "sender": ("account",),
    "message": ("email",),
    "mail": ("email",),
    "contact": ("lead",),
    "prospect": ("lead",),
    "people": ("lead",),
    "sequence": ("campaign", "subsequence"),
    "answer": ("reply",),
    "respond": ("reply",),
    "label": ("label", "tag"),
    "tag": ("tag", "label"),
    "search": ("list",),
    "look": ("list", "get"),
    "read": ("list", "get"),
    "view": ("list", "get"),
    "save": ("create",),
    "build": ("create",),
    "setup": ("create",),
    "connect": ("create", "account"),
    "invite": ("create", "member"),
    "unblock": ("delete", "block"),
    "revoke": ("delete",),
    "cancel": ("delete", "cancel"),
    "disconnect": ("delete", "account"),
    "import": ("add", "lead"),
    "upload": ("add", "lead"),
    "turn": ("enable",),
    "check": ("get", "test", "verify"),
    "validate": ("verify",),
    "valid": ("verify",),
    "bounce": ("verify",),
    "health": ("vitals", "warmup"),
    "healthy": ("vitals", "warmup"),
    "dns": ("vitals",),
    "spam": ("placement",),
    "deliverability": ("placement",),
    "inbox": ("email", "account"),
    "conversation": ("email",),
    "thread": ("email",),
    "subject": ("email",),
    "teammate": ("member",),
    "colleague": ("member",),
    "team": ("member",),
    "user": ("member",),
    "role": ("member",),
    "many": ("count", "analytics"),
    "number": ("count", "analytics"),
    "rate": ("analytics",),
    "report": ("analytics",),
    "yesterday": ("daily",),
    "today": ("daily",),
    "day": ("daily",),
    "sdr": ("ai", "agent"),
    "cto": ("supersearch",),
    "ceo": ("supersearch",),
    "cfo": ("supersearch",),
    "vp": ("supersearch",),
    "founder": ("supersearch",),
    "title": ("supersearch",),
    "bot": ("ai", "agent"),
    "agent": ("ai",),
    "job": ("background",),
    "history": ("audit",),
    "variable": ("variable",),
    "setting": ("update", "get"),
    "set": ("update",),
    "done": ("dfy",),
    "mark": ("update",),
    "delete": ("removal",),
    "count": ("analytics",),
}


@cache
def stem(word: str) -> str:
    """A light stemmer that gives every form of a word one stem: "change", "changed" and
    "changes" -> "chang"; "replies"/"replied" -> "reply"; "address"/"addresses" -> "address"."""
    for suffix in ("ies", "ied", "ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            if suffix == "s" and word[-2] in "su":
                break
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


# Two-word verbs: "set up" creates, "turn on" enables, "turn off" disables.
_PARTICLES = {
    ("set", "up"): "create",
    ("turn", "on"): "enable",
    ("switch", "on"): "enable",
    ("turn", "off"): "disable",
    ("switch", "off"): "disable",
}


def terms(text: str, *, past: bool = True) -> list[str]:
    """The stemmed words of a text; past=False leaves out past forms ("who replied", "have I
    launched"), which ask about what happened rather than for an action."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower().replace("_", " "))
    words = [_PARTICLES.get((words[i - 1] if i else "", word), word) for i, word in enumerate(words)]
    return [stem(w) for w in words if w not in _STOP and (past or not w.endswith("ed"))]


_STEMMED_SYNONYMS = {stem(word): tuple(stem(alias) for alias in aliases) for word, aliases in _SYNONYMS.items()}


@dataclass(frozen=True)
class Request:
    """A request as search reads it: its words, their weights with synonyms, the objects (words
    after a leading verb), the actions asked for (empty: a read), the nouns said in the plural."""

    words: list[str]
    weights: dict[str, float]
    objects: dict[str, float]
    asked: dict[str, float]
    plural: frozenset[str]


class SearchIndex:
    """BM25 over weighted fields (the name three times, the curated aliases twice, the description,
    toolset and tag once, the arguments half), plus what a person means by a short request: a tool
    whose entity the request covers beats one that only shares a word (list_campaigns over
    list_campaign_subsequences), a whole alias phrase counts, the action asked for decides, a
    request without one ("my campaigns") asks for list (get for one thing), and AI-agent and DFY
    tools wait until named. Weights chosen on the evaluation sets' tune parts only."""

    K1, B = 1.2, 0.75
    NAME, ALIASES, DESCRIPTION, CONTEXT, ARGUMENTS = 3.0, 2.0, 1.0, 1.0, 0.5
    COVERAGE, PHRASE, READ_DEFAULT, VERB, UNCOVERED = 3.5, 2.0, 1.0, 3.0, 0.3
    PLURAL_GET, NICHE = 0.3, 2.0
    MAX_TYPOS = 8  # unknown words looked up per request: each costs a pass over the vocabulary

    def __init__(self, operations: Iterable[Operation], schema_of: SchemaOf) -> None:
        self.operations = list(operations)
        self.docs = [self.document(op, schema_of) for op in self.operations]
        self.names = [entity(op.name) for op in self.operations]
        self.phrases = [
            [phrase for alias in op.search_aliases if (phrase := tuple(terms(alias)))] for op in self.operations
        ]
        self.tool_verbs = [verb_of(op.name) for op in self.operations]
        self.verbs = {stem(verb) for verb in self.tool_verbs} - set(READ_VERBS)
        self.named = {w for op in self.operations for w in terms(op.name)}
        self.vocabulary = sorted(self.named) + sorted({w for ps in self.phrases for p in ps for w in p} - self.named)
        self.lengths = [sum(doc.values()) for doc in self.docs]
        self.average = sum(self.lengths) / max(len(self.docs), 1)
        frequency = Counter(word for doc in self.docs for word in doc)
        total = len(self.docs)
        self.idf = {word: math.log(1 + (total - n + 0.5) / (n + 0.5)) for word, n in frequency.items()}

    def document(self, op: Operation, schema_of: SchemaOf) -> dict[str, float]:
        schema = schema_of(op)
        arguments = " ".join(
            f"{name} {sub.get('description', '')}" for name, sub in schema.get("properties", {}).items()
        )
        fields = (
            (op.name, self.NAME),
            (" ".join(op.search_aliases), self.ALIASES),
            (op.description, self.DESCRIPTION),
            (f"{op.toolset} {op.tag}", self.CONTEXT),
            (arguments, self.ARGUMENTS),
        )
        doc: dict[str, float] = {}
        for text, weight in fields:
            for word in terms(text):
                doc[word] = doc.get(word, 0.0) + weight
        return doc

    def expand(self, words: list[str]) -> dict[str, float]:
        weights: dict[str, float] = {}
        for word in words:
            weights[word] = max(weights.get(word, 0.0), 1.0)
            for alias in _STEMMED_SYNONYMS.get(word, ()):
                weights[alias] = max(weights.get(alias, 0.0), 0.6)
        return weights

    def search(self, query: str, *, toolset: str | None = None, limit: int = DEFAULT_MATCHES) -> list[Operation]:
        request = self.parse(query)
        scored = []
        for position, op in enumerate(self.operations):
            if toolset is not None and op.toolset != toolset:
                continue
            score = self.bm25(position, request.weights)
            if score <= 0:
                continue
            score += self.shape(position, request)
            scored.append((-score, position, op))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [op for _, _, op in scored[:limit]]

    def parse(self, query: str) -> Request:
        unknown = [word for word in dict.fromkeys(terms(query)) if word not in self.idf]
        spelled = {word: word for word in terms(query)} | {w: self.spelled(w) for w in unknown[: self.MAX_TYPOS]}
        words = [part for word in terms(query) for part in spelled[word].split()]
        weights = self.expand(words)
        asked = self.expand([part for word in terms(query, past=False) for part in spelled[word].split()])
        leads_with_verb = bool(words) and any(w in self.verbs or w in READ_VERBS for w in self.expand(words[:1]))
        plural = frozenset(stem(w) for w in re.findall(r"[a-z]+s\b", query.lower()) if stem(w) != w)
        return Request(
            words=words,
            weights=weights,
            objects=self.expand(words[1:]) if leads_with_verb else weights,
            asked=asked if any(word in self.verbs for word in asked) else {},
            plural=frozenset(spelled.get(w, w) for w in plural),
        )

    def bm25(self, position: int, weights: dict[str, float]) -> float:
        doc, length = self.docs[position], self.lengths[position]
        score = 0.0
        for word, weight in weights.items():
            count = doc.get(word, 0.0)
            if count:
                norm = count * (self.K1 + 1) / (count + self.K1 * (1 - self.B + self.B * length / self.average))
                score += weight * self.idf.get(word, 0.0) * norm
        return score

    def shape(self, position: int, request: Request) -> float:
        """What BM25 misses: how much of the name the request's objects (the words after a leading
        verb) cover, whole alias phrases, the action asked for (none: list, or get for one thing),
        and niche tools the request does not name."""
        name, words, objects = self.names[position], request.words, request.objects
        coverage = sum(objects.get(word, 0.0) for word in name) / len(name)
        uncovered = sum(1 for word in name if word not in objects)
        phrases = sum(math.sqrt(len(phrase)) for phrase in set(self.phrases[position]) if contains(words, phrase))
        verb = self.tool_verbs[position]
        if request.asked:
            verb_bonus = self.VERB * (stem(verb) in request.asked and (verb != "list" or words[:1] == ["list"]))
        elif verb == "get" and request.plural & set(name):
            verb_bonus = self.READ_DEFAULT * self.PLURAL_GET
        else:
            verb_bonus = self.READ_DEFAULT * (words[:1] == [verb] or READ_VERBS.get(verb, 0.0))
        niche = self.NICHE * sum(1 for word in NICHE_WORDS if word in name and word not in objects)
        return self.COVERAGE * coverage + self.PHRASE * phrases + verb_bonus - self.UNCOVERED * uncovered - niche

    def spelled(self, word: str) -> str:
        """A word no tool uses, read as two tool-name words run together, else as the tool-name
        (else alias) word it is one typo from ("campaing", "wramup"; two for words over 8 letters);
        words under 4 letters stay."""
        if word in self.idf or len(word) < 4:
            return word
        halves = [f"{word[:i]} {word[i:]}" for i in range(3, len(word) - 2) if {word[:i], word[i:]} <= self.named]
        if halves:
            return halves[0]
        allowed = 1 if len(word) <= 8 else 2
        near = [
            (typos(word, known), rank, known)
            for rank, known in enumerate(self.vocabulary)
            if abs(len(known) - len(word)) <= allowed
        ]
        return min((n for n in near if n[0] <= allowed), default=(0, 0, word))[2]


def typos(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b."""
    previous, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + (x != y))
            if previous is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous[j - 2] + 1)
        previous, row = row, current
    return row[-1]


def entity(name: str) -> list[str]:
    """What a tool's name acts on: the words after its verb (and after "bulk")."""
    words = terms(name)
    rest = words[words.index(stem(verb_of(name))) + 1 :] if stem(verb_of(name)) in words else words[1:]
    return rest or words


def verb_of(name: str) -> str:
    """The action a tool's name starts with; bulk_create_x creates."""
    words = name.split("_")
    return words[1] if words[0] == "bulk" and len(words) > 1 else words[0]


# A request without an action verb reads; list first, as get needs an id the list gives. "search"
# asks to read too (search_campaigns_by_lead_email is not what "search for CTOs" means).
READ_VERBS = {"list": 1.0, "get": 0.7, "search": 0.0}
# Name words of tools few requests mean (AI agents, done-for-you orders): ranked down unless asked for.
NICHE_WORDS = frozenset({"ai", "dfy"})


def contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i : i + n]) == phrase for i in range(len(words) - n + 1))
