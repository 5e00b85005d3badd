"""Finding the tool for a request in a user's words, and answering it as a call.

The index is BM25 over everything the spec says about an operation (tool_specs/search/corpus.json,
generated): its name, summary and description, tag and tag description, argument names and
descriptions with enum meanings, and response field names, each field weighted. Beside it, each
argument (and a read's response field) is a document of its own, so a request naming a setting
("the daily sending limit") finds the tool with that field, not one whose arguments say it loosely. Example
requests in users' words (tool_specs/examples.toml) are a field too, and naive Bayes over them says
which tool's users say all of a request's words together. On top of BM25,
what a person means by a short request: the request's objects should cover the tool's entity
(list_campaigns, not list_campaign_subsequences, for "my campaigns"), the action asked for decides
between tools on one entity, and a request without an action reads. ACTIONS and THINGS
(catalog/vocabulary.py) map the domain's everyday verbs and nouns onto the spec's. A word also meets
its derivational family, weighted less ("available" finds "availability"; catalog/words.py cuts
words for the index and the request alike), and a write named for an action noun performs that
action. Every other rule reads the request's grammar (its verb, question form, plural, head noun),
never a particular request. catalog/answers.py writes the matches as lines an agent calls from.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TypeVar

from instantly_mcp.catalog.operations import Operation
from instantly_mcp.catalog.paths import tool_specs_dir
from instantly_mcp.catalog.vocabulary import ACTIONS, SECOND_MEANING, THINGS, VOCABULARY
from instantly_mcp.catalog.words import (
    ADDRESS,
    QUOTED,
    STOP,
    SWITCHED,
    derived,
    pairs,
    stem,
    terms,
    typos,
    without_values,
)

K = TypeVar("K")
T = TypeVar("T")

DEFAULT_MATCHES = 5
FIELDS = ("name", "summary", "description", "tag", "arguments", "response", "concept", "examples")
ARGUMENTS = FIELDS.index("arguments")
EXAMPLES = FIELDS.index("examples")
FIELD_BREAK = " | "  # between one tool's field documents in the corpus (scripts/specgen/corpus.py)


# What a help-centre heading says about any feature ("How to use X in Instantly", "X explained"):
# left out of a request, not of the spec's text.
_FILLER = frozenset(
    "instantly app tool feature via use using way possible help guide tips explained understanding "  # noqa: SIM905
    # and what a tool description says of any record: "a specific lead", "the given accounts"
    "specific particular given existing certain optional optionally".split()
)
# Words for a part of the thing before them ("workspace settings", "lead details"): never the head.
_ATTRIBUTES = frozenset({"setting", "detail", "info", "information", "option"})
# Naive Bayes over the example requests (SearchIndex.example_odds): add-0.1 smoothing, and the
# log-odds divided by 3 before they are turned into probabilities.
LIKELY_SMOOTHING = 0.1
LIKELY_TEMPERATURE = 3.0
MAX_STEPS = 5  # a request's steps searched apart; more are searched as one (each costs a pass over the index)
# A request naming several steps of a job: "find leads then add them to a campaign".
_STEP_BREAK = re.compile(r"\s*(?:;|\bthen\b|\band then\b|\bafter that\b|,\s*and\b|\band also\b)\s*", re.I)
_TASK_BREAK = re.compile(";")
_PRONOUN = re.compile(r"\b(?:them|it|those|these|they)\b", re.I)
_PREPOSITION = r"\b(?:to|from|in|into|on|for|of|with|by|at|after|before|per|as)\b"
# An aside ends a phrase too: a parenthesis, or a comma before a contrast or a reason ("pause the
# campaign, not just a subsequence", "pause the campaign, deliverability is dropping").
_ASIDE = r"\(|,(?=\s*(?:not|but|because|since|so|\w+\s+(?:is|are|was|were|has|have|keeps)\b))"
_PHRASE_END = re.compile(f"{_PREPOSITION}|{_ASIDE}", re.I)
_RELATIVE = re.compile(r"\b(?:that|which|who|whose|where)\b", re.I)
# A request that asks a question reads ("what's the warmup score", "which campaigns are paused").
# "how do I pause" or "can I" asks for an action, not a read.
_QUESTION = re.compile(
    r"\s*(?:what|which|who|when|where|why|is|are|does|did|has|have|any|how(?!\s+(?:do|can|to|should|would)\b))\b", re.I
)
# Polite or roundabout openings that ask for the action after them, not a read: "is it possible to
# pause...", "is there a way to...", "what's the best way to...", "can you...", and an agent passing
# on what its user asked ("user wants to pause...": no workspace member is meant).
_ASKER = r"(?:the )?(?:user|client|customer)"  # whose request an agent passes on
_PREAMBLE = re.compile(
    r"\s*(?:is (?:it|there) (?:possible|a way)|what(?: is|'s|\u2019s) the (?:best |right )?way|how (?:would|could) i"
    r"|(?:can|could|would|will) you(?: please)?|please|help me|i(?:'d| would) like|i (?:want|need)"
    rf"|{_ASKER} (?:wants|needs|would like|asks|says))\s+(?:(?:me )?to\s+)?",
    re.I,
)
# "user wants the old list deleted": a wish for a record done to, the participle closing its phrase.
_BECAUSE = "(?:because|since|so|but|and|when|if|until)"
_WISHED = re.compile(
    rf"\s*(?:{_ASKER}|i|we) (?:wants?|needs?|would like)\s+"
    rf"(?P<record>(?:the|my|our|their|this|that|these|those|all|every)\b(?:(?!\b{_BECAUSE}\b)[^,;])*)"
    rf"\s+(?P<done>[a-z]+ed)\b(?P<rest>(?:\s+(?:with|from|to|in|on|for|by|as|at|into|before|after|{_BECAUSE})\b.*)?)$",
    re.I,
)
# A request's clauses: a help-centre question joins a read or a situation to the action it asks for
# ("what is the limit and how do I change it", "my import is stuck, where can I see it"). A clause
# opening with a condition ("when they reply") describes a trigger, never the action asked for.
# A comma breaks only before a question ("my import is stuck, where is it") or after an opening
# condition ("when they reply, pause it"): a list's commas do not.
_TRIGGER = r"\b(?:when|whenever|(?<!at )once|until)\b"
_CLAUSE_BREAK = re.compile(
    r"\s*(?:[:?!]|,(?=\s*(?:how|what|where|which|why|can|is|are)\b)|\bbut\b|\band (?=how\b))\s*"
    rf"|\s+(?={_TRIGGER})",
    re.I,
)
# A question about one record's state, not a list or a number: a yes/no or why question ("is my
# inbox healthy", "why did the campaign stop"), and a statement of a fault, negated or ongoing ("the
# campaign isn't sending", "my webhook keeps failing"). Its verbs are the state asked about, not actions.
_STATE_QUESTION = re.compile(r"\s*(?:is|are|was|were|does|did|has|have|why)\b", re.I)
_FAULT = re.compile(r"n['\u2019]t\b|\b(?:not|never|no longer)\b|\b(?:keeps?|kept)\s+\w+ing\b", re.I)
_HOW = re.compile(r"\s*how\s+(?:(?:do|can|should|would|could)\s+(?:i|we|you)\s+|to\s+)", re.I)
# "How do I" before a verb search does not know ("how do I give my list a better name") asks to do
# something, more likely a change than a read, unless it asks to find something out.
HOW_TO_WRITE = 0.5
_WHETHER = re.compile(r"\b(?:if|whether)\b", re.I)  # "how do I know if ...": finding something out
_CONDITION_IN = re.compile(_TRIGGER, re.I)
_CONDITION = re.compile(rf"\s*(?:\bif\b|{_TRIGGER})", re.I)
# A request without an action verb reads; list first, as get needs an id the list gives.
READ_VERBS = {"list": 1.0, "get": 0.7, "search": 0.0, "count": 0.0}
# A read about one record's details ("campaign details", "lead info") gets it rather than lists.
ONE_READ = {"get": 1.0, "list": 0.7}
DETAILS = frozenset(
    {
        "detail",
        "details",
        "info",
        "information",
        "specific",
        "particular",
        "single",
        "settings",
        "configuration",
        "options",
    }
)
# One record named by its id ("lookup member by id", "GET /leads/{id}"; a path going on after the id
# names the record's parts: "GET /ai-agents/{id}/guidances"), or counted as one ("fetch one tag": a
# record's name after it, not "one per line" nor "the one lead that replied", which is looked for),
# or pointed at ("is this webhook active": this one webhook).
_BY_ID = re.compile(r"\bby\s+(?:its\s+)?id\b|\{\w*id\}(?!/)|\bid\s+(?:given|provided)\b", re.I)
_ONE = re.compile(r"(?:(?<!\bthe\s)\bone|\bthis)\s+([a-z]+)", re.I)
# What a request that opens with a question word asks about ("who is on my team": members; "who"
# later on is a relative pronoun, "leads who bounced").
QUESTIONS = {"who": ("member",)}
# "who" before an edit ("who changed my campaign", "who deleted the lead") asks the audit log;
# before anything else done ("who replied", "who clicked") it asks about leads, not teammates.
WHO_DID = ("audit", "log")
# "which teammate deleted ..." asks who: THINGS' names for a member, and an admin.
TEAMMATES = frozenset({"member", "admin"}) | {word for word, means in THINGS.items() if means == ("member",)}
WHO_ENGAGED = ("lead",)
# A question about numbers ("how many", "reply rate": VOCABULARY's analytics and count) reads an
# aggregate: the tools whose names say so, not a list of records.
AGGREGATES = frozenset({"analytic", "count", "summary", "stat"})
# Name words of tools few requests mean (AI agents, done-for-you orders): ranked down unless asked for.
NICHE_WORDS = frozenset({"ai", "dfy"})
# Tools that act on many records at once (bulk_create_x, delete_all_x): ranked down for a request
# about one, up for one that says it means many.
MANY = frozenset({"many", "multiple", "several", "all", "bulk", "batch", "every", "mass", "at once"})


# The best-scored tools an answer's slots are chosen from (SearchIndex.hedge), whatever its limit, so
# an answer of five is the first five of one of twenty-five.
HEDGE_POOL = 30


_STEMMED_VOCABULARY = {stem(word): tuple(stem(alias) for alias in aliases) for word, aliases in VOCABULARY.items()}
_STEMMED_ACTIONS = {stem(word): tuple(stem(alias) for alias in aliases) for word, aliases in ACTIONS.items()}
_STEMMED_THINGS = {stem(word): tuple(stem(alias) for alias in aliases) for word, aliases in THINGS.items()}
EDITS = frozenset(stem(verb) for verb in ("create", "update", "delete", "pause", "activate", "resume", "move", "add"))
# What a response field holding a record's state is named for ("status", "warmup_status",
# "diagnostics", "progress"): a question about a record's state reads the tools that answer one.
STATES = frozenset(stem(word) for word in ("status", "state", "progress", "diagnostics", "health", "vitals"))
# The actions that change a record's state, asked for by a request to update its status.
STATE_CHANGES = frozenset(stem(word) for word in ("pause", "activate", "resume", "enable", "disable"))
VERB_POSITIONS = 2  # a request's first words that can say what to do
TERSE_WORDS = 6  # a request of keywords ("custom tag list") may say its action last
_INFLECTED = re.compile(r"(?:ed|ing|s)$")  # "leads who unsubscribed", "before sending": no action asked
UPDATE, CREATE, ADD = stem("update"), stem("create"), stem("add")
# An HTTP method opening a request, as the action it asks for: POST adds a record to a collection.
HTTP_METHODS = {"GET": "get", "POST": "add", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
_METHOD = re.compile(rf"^\s*({'|'.join(HTTP_METHODS)})\b")
# "add X to Y", "remove X from Y": the preposition before the record an edit goes into or out of.
_TARGET = re.compile(r"\s+(?:to|into|onto|from)\s+", re.I)
# "save or update the sequence", "stop and delete the webhook": a second verb joined to the first.
_JOINED = re.compile(r"^\s*[a-z]+\s+(?:or|and|&|/)\s+([a-z]+)\b", re.I)


@dataclass(frozen=True)
class Weights:
    """BM25 field weights and the shape terms, set by hand; bench/search_eval.py picks among values
    near them on some sets and measures on the one left out. bench/search_tune.py learns all of them
    from the tune parts: what it learnt (2026-12-07) gained on the tune parts and lost on the held-out
    ones, so these stay."""

    name: float = 3.0
    summary: float = 1.5
    description: float = 1.0
    tag: float = 0.7
    arguments: float = 0.3
    response: float = 0.15
    concept: float = 1.0
    examples: float = 0.35
    likely: float = 5.0
    coverage: float = 5.0
    verb: float = 4.0
    read_default: float = 3.0
    uncovered: float = 0.3
    niche: float = 2.0
    bulk: float = 1.0
    bigram: float = 0.5
    records: float = 0.25
    synonym: float = 1.0
    head: float = 2.0
    covers: float = 2.0
    question: float = 3.0
    setting: float = 0.1
    kin: float = 1.25
    family: float = 0.6
    other_reading: float = 3.0
    state: float = 2.0
    broad: float = 3.0
    address: float = 2.0
    keyed: float = 2.0
    k1: float = 1.2
    b: float = 0.75


@dataclass(frozen=True)
class Request:
    """A request as search reads it: its words, their weights with synonyms, the objects (words
    after a leading verb), the actions asked for (empty: a read), the nouns said in the plural, the
    tool-name things it names (each with its synonyms), whether it asks a question, each tool's
    probability by its example requests (empty: no word of the request is in any), and whether it
    names its record by an email address and by no id."""

    words: list[str]
    weights: dict[str, float]
    objects: dict[str, float]
    asked: dict[str, float]
    plural: frozenset[str]
    head: dict[str, float]
    things: tuple[frozenset[str], ...] = ()
    question: bool = False
    state: bool = False
    many: bool = False
    one: bool = False
    bigrams: frozenset[tuple[str, str]] = frozenset()
    likely: tuple[float, ...] = ()
    address: bool = False

    @cached_property
    def listed(self) -> frozenset[str]:
        """The records asked for in the plural (the head, said so): what a record listing them answers."""
        return frozenset(word for word, weight in self.head.items() if weight >= 1.0) & self.plural


@cache
def load_corpus() -> dict[str, dict[str, str]]:
    path = tool_specs_dir() / "search" / "corpus.json"
    return json.loads(path.read_text()) if path.is_file() else {}


@dataclass
class SearchIndex:
    operations: list[Operation]
    corpus: Mapping[str, Mapping[str, str]] = field(default_factory=load_corpus)
    weights: Weights = field(default_factory=Weights)
    MAX_TYPOS = 8  # unknown words looked up per request: each costs a pass over the vocabulary

    def __post_init__(self) -> None:
        self.fields = [self.document(op) for op in self.operations]
        self.names = [entity(op.name) for op in self.operations]
        self.name_sets = [frozenset(name) for name in self.names]  # read per candidate on every search
        self.tool_verbs = [verb_of(op.name) for op in self.operations]
        self.bigrams = [set(pairs(terms(op.name))) for op in self.operations]
        self.name_pairs = frozenset().union(*self.bigrams)
        self.writes = [op.risk != "read" for op in self.operations]
        names = {op.name for op in self.operations}
        self.bulk = [is_bulk(op.name, names) for op in self.operations]
        self.verbs = {stem(verb) for verb in self.tool_verbs} - set(READ_VERBS)
        self.named = {w for op in self.operations for w in terms(op.name)}
        self.vocabulary = sorted(self.named)
        self.nouns = self.named - self.verbs - set(READ_VERBS)
        self.index_words()
        self.example_odds()
        self.leave_out_of_examples()
        self.families = self.word_families()
        self.acts = [self.performs(position) for position in range(len(self.operations))]
        self.narrower = self.siblings()
        self.states = [self.state_fields(op) for op in self.operations]
        self.lists = [self.listed_records(op) for op in self.operations]
        self.keyed = [self.keyed_record(position) for position in range(len(self.operations))]
        self.address_fit = [self.fits_address(position) for position in range(len(self.operations))]
        weights = [getattr(self.weights, f) for f in FIELDS]
        self.docs = [self.blend(doc, weights) for doc in self.fields]
        self.index_settings()

    def example_odds(self) -> None:
        """Naive Bayes over the example requests, which asks which tool's users say all of a
        request's words where BM25 adds up each word's evidence apart. A word's log-probability for a
        tool is log(count + s) - log(length + s * words known), s being LIKELY_SMOOTHING; kept as,
        per word, log(1 + count / s) for each tool whose examples say it, and per tool, the second
        term (`unsaid`). log(s), the same for every tool, is left out. It counts every word of the
        examples, a tool's name and action words too: it runs before leave_out_of_examples."""
        counts = [doc[EXAMPLES] for doc in self.fields]
        known = len(set().union(*counts))
        self.said_by: dict[str, tuple[array[int], array[float]]] = {}  # half the memory of (position, odds) tuples
        for position, said in enumerate(counts):
            for word, n in said.items():
                positions, odds = self.said_by.setdefault(word, (array("H"), array("d")))
                positions.append(position)
                odds.append(math.log1p(n / LIKELY_SMOOTHING))
        self.unsaid = [-math.log(sum(said.values()) + LIKELY_SMOOTHING * known) for said in counts]

    def likelihoods(self, words: list[str]) -> tuple[float, ...]:
        """Each tool's probability given the request's words by its examples, flattened by
        LIKELY_TEMPERATURE (words are not independent, so raw naive Bayes is sure of itself far too
        soon); words no example says are left out."""
        known = [word for word in dict.fromkeys(words) if word in self.said_by]
        if not known:
            return ()
        logs = [len(known) * unsaid for unsaid in self.unsaid]
        for word in known:
            positions, odds = self.said_by[word]
            for position, value in zip(positions, odds, strict=True):
                logs[position] += value
        top = max(logs)
        exps = [math.exp((log - top) / LIKELY_TEMPERATURE) for log in logs]
        total = sum(exps)
        return tuple(e / total for e in exps)

    def leave_out_of_examples(self) -> None:
        """The example requests score only what users say around a tool's name and action: its own
        name words and every action word come out. The name field and the verb rules already read
        those; left in, a tool's dozen examples saying "remove the campaign" would outweigh what the
        request names ("remove the second touchpoint from my campaign" edits the campaign). IDF has
        counted them (index_words): a word users say of many tools tells little apart."""
        actions = self.verbs | READ_VERBS.keys() | _STEMMED_ACTIONS.keys() | set().union(*_STEMMED_ACTIONS.values())
        for doc, name in zip(self.fields, self.name_sets, strict=True):
            doc[EXAMPLES] = Counter({w: n for w, n in doc[EXAMPLES].items() if w not in actions and w not in name})

    def index_words(self) -> None:
        """BM25's statistics over the tools' documents: each field's average length, each word's IDF;
        and the words of every field but the examples, which hold users' typos ("campain"): what a
        misspelt word is corrected towards and word families are built from."""
        count = max(len(self.fields), 1)
        self.average = [sum(sum(doc[f].values()) for doc in self.fields) / count or 1.0 for f in range(len(FIELDS))]
        frequency = Counter(word for doc in self.fields for word in set().union(*doc))
        self.idf = idf(frequency, count)
        self.spec_words = {
            word for doc in self.fields for f, counts in enumerate(doc) if f != EXAMPLES for word in counts
        }

    def word_families(self) -> dict[str, tuple[str, ...]]:
        """Each indexed word's relatives by derivation ("enrich": "enrichment"), tool verbs left out:
        a noun's family says what the request is about, never which action it asks for."""
        groups: dict[str, list[str]] = {}
        for word in self.idf:
            if word in self.spec_words:
                groups.setdefault(derived(word), []).append(word)
        actions = self.verbs | set(READ_VERBS)
        return {
            word: relatives
            for members in groups.values()
            for word in members
            if (relatives := tuple(w for w in members if w != word and w not in actions))
        }

    def performs(self, position: int) -> frozenset[str]:
        """The actions a tool performs: its verb, and for a write whose name ends in an action noun
        the verb it comes from (run_enrichment enriches, schedule_workspace_removal removes)."""
        verb = stem(self.tool_verbs[position])
        if not self.writes[position]:
            return frozenset({verb})
        root = derived(self.names[position][-1])
        return frozenset({verb, root}) if root in self.verbs - self.name_sets[position] else frozenset({verb})

    def siblings(self) -> list[list[frozenset[str]]]:
        """For each tool, the words each narrower sibling's name adds to its own: a tool doing the
        same (the same verb, or reading too: get and list read one record or many) on a name that
        holds all of the tool's words and more (list_accounts: campaign, mapping of
        list_account_campaign_mappings). "list" is no added word: a request says it as a verb or in
        another thing's name ("block list")."""
        names = self.name_sets
        return [
            [
                other - words - READ_VERBS.keys()
                for sibling, other in enumerate(names)
                if words < other and self.kindred(base, sibling)
            ]
            for base, words in enumerate(names)
        ]

    def state_fields(self, op: Operation) -> list[frozenset[str]]:
        """What each state field of a read's response is the state of, by the words of its name
        before the state word: warmup for warmup_status, nothing for the record's own status."""
        if op.risk != "read":
            return []
        names = self.corpus.get(op.name, {}).get("response_names", "").split(FIELD_BREAK)
        return [frozenset(words[:-1]) for name in names if (words := name.split()) and words[-1] in STATES]

    def listed_records(self, op: Operation) -> frozenset[str]:
        """What a read's record holds lists of (scripts/specgen/corpus.py's `listed`): a campaign
        lists its sending accounts."""
        if op.risk != "read":
            return frozenset()
        return frozenset(self.corpus.get(op.name, {}).get("response_lists", "").split())

    def keyed_record(self, position: int) -> str:
        """The record a read's path takes, when the read lists something else about it
        (list_account_campaign_mappings takes an account and lists its campaigns: no answer to "the
        accounts of a campaign"); "" for other tools. A get asked for many of its record reads down
        in `intent`."""
        if self.writes[position] or not self.operations[position].path_params:
            return ""
        return "" if stem(self.tool_verbs[position]) == "get" else self.names[position][0]

    def fits_address(self, position: int) -> float:
        """How a tool fits a request naming its record by an email address ("account status for
        tom@acme.io"): 1 when its path takes the address (get_account), -1 for a read whose path
        needs an id the request does not give (get_lead: a lead is found by listing with a search)."""
        keys = self.operations[position].path_params
        if not keys:
            return 0.0
        return 1.0 if "email" in keys else -float(not self.writes[position])

    def kindred(self, base: int, sibling: int) -> bool:
        """Whether two tools act alike: the same verb, or both read (get and list)."""
        verbs = (self.tool_verbs[base], self.tool_verbs[sibling])
        return verbs[0] == verbs[1] or all(verb in ONE_READ for verb in verbs)

    @cached_property
    def shape_weights(self) -> dict[str, float]:
        """Each shape term's weight, read once: a search weighs every candidate's terms."""
        return {term.name: shape_weight(self.weights, term.name) for term in dataclasses.fields(Weights)}

    def index_settings(self) -> None:
        """Every tool's field documents, with their average length and IDF over all of them: a word
        in every tool's id field counts for little, "reply" in one field for much. Kept per tool as
        word -> (field, BM25 of the word in it), so a search reads only the fields its words are in."""
        documents = [self.field_documents(op) for op in self.operations]
        every = [doc for docs in documents for doc in docs]
        counted = max(len(every), 1)
        length = sum(sum(doc.values()) for doc in every) / counted or 1.0
        seen = Counter(word for doc in every for word in doc)
        rarity = idf(seen, counted)
        w = self.weights
        self.settings: list[dict[str, list[tuple[int, float]]]] = []
        for docs in documents:
            postings: dict[str, list[tuple[int, float]]] = {}
            for field_index, doc in enumerate(docs):
                norm = 1 - w.b + w.b * sum(doc.values()) / length
                for word, n in doc.items():
                    postings.setdefault(word, []).append(
                        (field_index, rarity[word] * n * (w.k1 + 1) / (n + w.k1 * norm))
                    )
            self.settings.append(postings)

    def field_documents(self, op: Operation) -> list[Counter[str]]:
        """The operation's fields, one document each: what it takes, and for a read what it answers."""
        spec = self.corpus.get(op.name, {})
        keys = ("argument_fields", "response_fields") if op.risk == "read" else ("argument_fields",)
        texts = [text for key in keys for text in spec.get(key, "").split(FIELD_BREAK)]
        return [Counter(text.split()) for text in texts if text.strip()]

    def setting(self, position: int, request: Request) -> float:
        """BM25 of the tool's best-matching field for the request's objects beyond the tool's name: a
        request naming a setting ("the daily sending limit", "stop on reply") finds the tools that
        take or answer it, whose name does not say it. IDF is over every field of every tool."""
        postings, name = self.settings[position], self.names[position]
        fields: dict[int, float] = {}
        for word, weight in request.objects.items():
            if word not in name:
                for field_index, score in postings.get(word, ()):
                    fields[field_index] = fields.get(field_index, 0.0) + weight * score
        return max(fields.values(), default=0.0)

    def document(self, op: Operation) -> list[Counter[str]]:
        """The operation's words per field (FIELDS order); the spec's are read tokenised from the corpus."""
        spec = self.corpus.get(op.name, {})
        arguments = spec.get("arguments", " ".join(terms(" ".join(op.input_schema.get("properties", {})))))
        return [
            Counter(terms(op.name)),
            Counter(spec.get("summary", "").split() + terms(op.description or op.title)),
            Counter(spec.get("description", "").split()),
            Counter(terms(op.toolset) + spec.get("tag", "").split()),
            Counter(arguments.split()),
            Counter(spec.get("response", "").split()),
            Counter(spec.get("concept", "").split()),
            Counter(spec.get("examples", "").split()),
        ]

    def blend(self, doc: list[Counter[str]], weights: list[float]) -> dict[str, float]:
        """BM25F: each field's counts weighted and normalised by the field's average length."""
        blended: dict[str, float] = {}
        for f, counts in enumerate(doc):
            norm = 1 - self.weights.b + self.weights.b * sum(counts.values()) / self.average[f]
            for word, n in counts.items():
                blended[word] = blended.get(word, 0.0) + weights[f] * n / norm
        return blended

    def expand(self, words: list[str], verbs: frozenset[str] | None = None) -> dict[str, float]:
        """The words with their synonyms (weighted less); an action's synonyms only for `verbs`, the
        words in a verb's position (None: every word)."""
        weights: dict[str, float] = {}
        for word in words:
            weights[word] = max(weights.get(word, 0.0), 1.0)
            for relative in self.families.get(word, ()):
                weights[relative] = max(weights.get(relative, 0.0), self.weights.family)
            vocabulary = _STEMMED_VOCABULARY if verbs is None or word in verbs else _STEMMED_THINGS
            for rank, alias in enumerate(vocabulary.get(word, ())):
                weights[alias] = max(weights.get(alias, 0.0), self.weights.synonym * SECOND_MEANING**rank)
        return weights

    def search(self, query: str, *, toolset: str | None = None, limit: int = DEFAULT_MATCHES) -> list[Operation]:
        """The best matches for the whole request, the best of each step first when it names several."""
        merged: dict[str, Operation] = {}
        for op in interleaved(self.search_steps(query, toolset=toolset, limit=limit).values()):
            merged.setdefault(op.name, op)
        return list(merged.values())[:limit]

    def search_steps(
        self, query: str, *, toolset: str | None = None, limit: int = DEFAULT_MATCHES
    ) -> dict[str, list[Operation]]:
        """Each step the request names, with its best matches (`limit` shared between the steps)."""
        found = {step: self.search_step(step, toolset=toolset, limit=limit) for step in steps(query)}
        return shared(found, limit) if len(found) > 1 else found

    def search_step(self, query: str, *, toolset: str | None = None, limit: int = DEFAULT_MATCHES) -> list[Operation]:
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
        hedged = self.hedge([(-score, position) for score, position, _ in scored[:HEDGE_POOL]], request)
        return [self.operations[position] for position in hedged + [p for _, p, _ in scored[HEDGE_POOL:]]][:limit]

    def hedge(self, ranked: list[tuple[float, int]], request: Request) -> list[int]:
        """The answer's order: an agent picks among its DEFAULT_MATCHES lines, so after the best match
        (never moved) each slot goes to the best of the rest as `hedged` scores it, not to the best
        match's record again under another verb, none to a write when the request only reads, and the
        last to another reading of the verb asked."""
        chosen, rest = [position for _, position in ranked[:1]], ranked[1:]
        while rest and len(chosen) < DEFAULT_MATCHES:
            last = self.other_actions(rest, chosen, request) if len(chosen) == DEFAULT_MATCHES - 1 else []
            pool = last or self.readable(rest, request)
            best = max(pool, key=lambda item: self.hedged(item, chosen, request))  # ties: the higher ranked
            rest.remove(best)
            chosen.append(best[1])
        return chosen + [position for _, position in rest]

    def readable(self, rest: list[tuple[float, int]], request: Request) -> list[tuple[float, int]]:
        """The candidates for a slot: for a request that only reads (a question, about a record's
        state too, or a request to see), the reads while any is left, as a write there is a slot it
        cannot use ("why did warmup stop": get_account, not disable_warmup_for_accounts); else all."""
        if not (request.question or request.state or sees(request)):
            return rest
        return [item for item in rest if not self.writes[item[1]]] or rest

    def other_actions(
        self, rest: list[tuple[float, int]], chosen: list[int], request: Request
    ) -> list[tuple[float, int]]:
        """The candidates for the last slot when the verb asked for reads as several actions
        ("transfer": move or change) and the slots before show only the first match's: the tools
        performing another, so an agent sees each reading of the verb (empty: no such slot)."""
        readings = request.asked.keys() - READ_VERBS.keys() - self.acts[chosen[0]]
        if any(self.acts[shown] & readings for shown in chosen[1:]):
            return []
        return [item for item in rest if self.acts[item[1]] & readings]

    def hedged(self, item: tuple[float, int], chosen: list[int], request: Request) -> float:
        """A tool's score for the next slot: less for each shown tool on the same record (list_leads
        after get_lead), and, when the request names no known action ("snooze a conversation", "wipe
        the list"), more for the first tool of the other kind, read or write, as it may mean either."""
        score, position = item
        record = self.name_sets[position]
        kin = sum(self.name_sets[shown] == record for shown in chosen)
        unsure = not (request.asked or request.question or request.state)
        other = unsure and all(self.writes[shown] != self.writes[position] for shown in chosen)
        return score - self.weights.kin * kin + self.weights.other_reading * other

    def parse(self, query: str) -> Request:
        address = by_address(query)
        opened = _unopened(_developer(without_values(query)))
        said, query = _words(opened), _plain(opened)
        words, present, spelled = self.spell(query)
        plural = frozenset(stem(w) for w in re.findall(r"[a-z]+s\b", query.lower()) if stem(w) != w)
        # "labels", "tags", "unibox replies": things said in the plural are not verbs, unless opening
        # the request ("Replies to an email", as a tool's description says it)
        things = plural & (self.nouns | (self.verbs & set(words[1:])))
        clause = self.action_clause(query, things)
        question = bool(_QUESTION.match(clause))
        reported = not question and self.reports(clause, things)  # "the campaign stopped sending": no action
        asked, objects, verbs = self.asked_for(
            query, clause, (words, present), things, question=question, reported=reported
        )
        did = dict.fromkeys(self.who_did(words, said), 1.0)
        implied = self.implied(words[0]) if objects is not words else {}
        if implied:  # "unsubscribe this person": the verb names the thing acted on; the object goes in it
            objects = [word for word in objects if word in implied]
        head = self.head(clause, spelled)  # what the action clause is about
        part: frozenset[str] = frozenset()
        if holder := self.holder(query, spelled, words, asked, head):  # "add accounts to a campaign"
            part = frozenset(self.expand(head))
            asked, head, objects = {UPDATE: 1.0}, holder, [word for word in objects if word not in part]
        asked = self.state_changes(asked, head)
        state = self.about_state(clause, asked, reported=reported)
        one = self.names_one(opened, said) or (state and not plural)
        # "see webhook deliveries that failed": many of the webhook's records, though no tool is named so
        about = self.expand(head, verbs)
        plural_head = self.named.intersection(about) if plural_phrase(clause) and not one else set()
        return Request(
            words=words,
            weights=self.weigh(words, objects, verbs, did),
            objects={w: v for w, v in self.expand(objects, verbs).items() if w not in part} | implied | did,
            asked=asked,
            plural=frozenset(self.expand([spelled.get(w, w) for w in plural], frozenset())) | plural_head,
            head=implied or about,
            things=self.things(objects, verbs),
            question=question,
            many=bool(MANY & set(said)),
            state=state,
            one=one,
            bigrams=frozenset(pairs(words)),
            likely=self.likelihoods(words),
            address=address,
        )

    def asked_for(
        self,
        query: str,
        clause: str,
        read: tuple[list[str], list[str]],
        things: frozenset[str],
        *,
        question: bool,
        reported: bool,
    ) -> tuple[dict[str, float], list[str], frozenset[str]]:
        """What the action clause asks for, the request's objects (its words, less the verb said)
        and the words in a verb's position; `read` is the request's words and present-tense words. A
        question asks for no action, nor does a report of what happened, whose verbs are no actions."""
        words, present = read
        opening, present = (words, present) if clause == query else self.spell(clause)[:2]
        if question or reported:
            asked = {}
        elif closing := self.closing(query, words, things):
            return closing  # "custom tag list": the verb said last
        else:
            asked = self.action(present, things) or self.how_to_write(query, words)
        objects = words
        if self.standing(query, clause, asked):  # "pause it when they reply": a setting of the record
            asked = {UPDATE: 1.0} | {verb: weight * 0.5 for verb, weight in asked.items()}
        if asked and opening and self.action(opening[:1], things):  # the verb said is no object
            objects = [word for i, word in enumerate(words) if i != words.index(opening[0])]
        if asked:
            asked, objects = self.joined(clause, things, asked, objects)
        verbs = frozenset(next(([w] for w in present[:VERB_POSITIONS] if self.action([w], things)), opening[:1]))
        return asked, objects, frozenset() if reported else verbs

    def closing(
        self, query: str, words: list[str], things: frozenset[str]
    ) -> tuple[dict[str, float], list[str], frozenset[str]] | None:
        """The action a terse request says last ("custom tag list", "workspace settings update",
        "warmup on"), as agents type keywords, with the words before it. None when a verb opens the
        request (not one that names a record, alone or with the word before: "tag", "custom tag"),
        when it has a function word or over TERSE_WORDS words, or when its last word is inflected
        ("before sending") or ends a record's name ("lead list")."""
        said = _words(query)
        if said and said[-1] in SWITCHED:  # "warmup on"
            switch = SWITCHED[said[-1]]
            words = words[:-1] if words[-1:] == said[-1:] else words  # "off" is a word of terms, "on" is not
            said, words = [*said[:-1], switch], [*words, stem(switch)]
        if not 2 <= len(said) <= TERSE_WORDS or STOP & set(said) or len(words) < 2 or _INFLECTED.search(said[-1]):
            return None
        before = words[:-1]
        opening = before[:1] if tuple(before[:2]) in self.name_pairs else before[:VERB_POSITIONS]  # "custom tag"
        if (words[-2], words[-1]) in self.name_pairs or self.action(opening, things | self.nouns):
            return None
        asked = self.action(words[-1:], things)
        return (asked, words[:-1], frozenset(words[-1:])) if asked else None

    def state_changes(self, asked: dict[str, float], head: list[str]) -> dict[str, float]:
        """To update a record's status ("set the campaign status to paused") is as much to pause,
        activate, resume, enable or disable it: update_campaign takes no status."""
        if UPDATE not in asked or not STATES & set(head):
            return asked
        return dict.fromkeys(STATE_CHANGES, asked[UPDATE]) | asked

    def joined(
        self, clause: str, things: frozenset[str], asked: dict[str, float], objects: list[str]
    ) -> tuple[dict[str, float], list[str]]:
        """With a second verb joined to the opening one ("save or update the sequence"), the actions
        of either, and neither verb an object."""
        second = _JOINED.match(clause)
        said = terms(second.group(1)) if second else []
        if not (joined := self.action(said, things)):
            return asked, objects
        merged = dict(asked)
        for verb, weight in joined.items():
            merged[verb] = max(merged.get(verb, 0.0), weight)
        return merged, [word for word in objects if word not in said]

    def names_one(self, query: str, said: list[str]) -> bool:
        """Whether the request is about one record: its details, the record by its id, or one of a
        record counted ("one tag") or pointed at ("this tag"); `said` is the request's words."""
        counted = (stem(word.lower()) for word in _ONE.findall(query))
        details = bool(DETAILS & set(said))
        return details or bool(_BY_ID.search(query)) or any(word in self.nouns for word in counted)

    def how_to_write(self, query: str, words: list[str]) -> dict[str, float]:
        """The change "how do I" asks for without a verb search knows: update, then create."""
        return dict.fromkeys((UPDATE, CREATE), HOW_TO_WRITE) if self.how_to_do(query, words) else {}

    def how_to_do(self, query: str, words: list[str]) -> bool:
        """ "how do I" before a verb search does not know, no tool word ("how do I warm up my
        inbox" names warmup), and not asking to find something out ("how do I know if ...")."""
        unknown = bool(words) and words[0] not in self.named
        return unknown and bool(_HOW.match(query)) and not _WHETHER.search(query)

    def action_clause(self, query: str, things: frozenset[str]) -> str:
        """The clause that says what to do: the first that asks for an action (an imperative, "how do
        I change it"), else the first that is no condition ("when they reply" is a trigger); the
        request itself when it is one clause. A request opening with neither an action nor a question
        may say it after a comma ("acme.com bounced twice, block it")."""
        opening = query.split(",", 1) if _CONDITION.match(query) else [query]  # "when they reply, pause it"
        parts = [part for text in opening for part in _CLAUSE_BREAK.split(text) if part and terms(part)]
        if parts and not (self.imperative(parts[0], things) or _QUESTION.match(parts[0])):
            said_after = (piece for piece in query.split(",")[1:] if self.imperative(piece, things))
            if (action := next(said_after, None)) is not None:
                return action
        if len(parts) < 2:
            return query
        main = [_unopened(part) for part in parts if not _CONDITION.match(part)]
        acts = [p for p in main if self.imperative(p, things)]
        asks = [p for p in main if _QUESTION.match(p)]
        return next(iter(acts + asks + main), query)

    def reports(self, clause: str, things: frozenset[str]) -> bool:
        """Whether a clause reports what a record did or does, its subject first and then a
        participle ("the campaign stopped sending", "my webhook failing"), not an imperative."""
        said = [word for word in _words(clause) if word not in STOP]
        if len(said) < 2 or not said[1].endswith(("ed", "ing")):
            return False
        return not self.action(terms(said[0]), things) and bool(self.expand(terms(said[0])).keys() & self.nouns)

    def about_state(self, clause: str, asked: dict[str, float], *, reported: bool) -> bool:
        """Whether the action clause asks about a record's state ("is my inbox healthy", "the
        campaign isn't sending", `reported`: "the campaign stopped sending"): a read of the record."""
        return not asked and (reported or bool(_STATE_QUESTION.match(clause) or _FAULT.search(clause)))

    def standing(self, query: str, clause: str, asked: dict[str, float]) -> bool:
        """Whether an action on a condition ("pause the campaign when a lead replies") is a rule the
        record keeps, set by updating it; creating a record on a condition (a webhook) stays."""
        acts = asked.keys() - READ_VERBS.keys()
        return bool(acts) and not acts & {CREATE, ADD} and clause != query and _CONDITION_IN.search(query) is not None

    def imperative(self, clause: str, things: frozenset[str]) -> bool:
        """Whether a clause opens with the action it asks for ("change it", "how do I change it"),
        not with its subject ("my import is stuck")."""
        first = _words(_HOW.sub("", clause, count=1))[:1]
        return bool(first) and bool(self.action(terms(first[0], past=False), things))

    def spell(self, query: str) -> tuple[list[str], list[str], dict[str, str]]:
        """The request's words with typos read as the tool words meant, the same without past
        forms, and each word's reading."""
        said = terms(query)
        unknown = [word for word in dict.fromkeys(said) if word not in self.named]
        spelled = {word: word for word in said} | {w: self.spelled(w) for w in unknown[: self.MAX_TYPOS]}
        words = [part for word in said for part in spelled[word].split()]
        present = [part for word in terms(query, past=False) for part in spelled.get(word, word).split()]
        return words, present, spelled

    def weigh(
        self, words: list[str], objects: list[str], verbs: frozenset[str], did: dict[str, float]
    ) -> dict[str, float]:
        """BM25's query terms: the words with their synonyms, and what a question word asks about."""
        weights = self.expand(words, verbs)
        if objects is not words:  # "show my block list": the verb term weighs list against get, not BM25
            for verb in READ_VERBS.keys() - set(objects) - {words[0]}:
                weights.pop(verb, None)
        for word in () if did else QUESTIONS.get(words[0] if words else "", ()):
            weights[word] = max(weights.get(word, 0.0), self.weights.synonym)
        return weights | did

    def who_did(self, words: list[str], said: list[str]) -> tuple[str, ...]:
        """Whom "who did X" asks about: the audit log's people for an edit ("who changed my
        campaign"), leads for anything else done ("who clicked", "who bounced")."""
        if said[:1] in (["which"], ["what"]) and said[1:2] and said[1] in TEAMMATES:  # "which teammate deleted"
            words, said = ["who", *words[1:]], said[1:]
        if words[:1] != ["who"] or len(said) < 2:
            return ()
        if self.action(words[1:2]).keys() & EDITS:
            return WHO_DID
        return WHO_ENGAGED if said[1].endswith("ed") else ()

    def implied(self, verb: str) -> dict[str, float]:
        """The things a verb's synonyms name beside the action ("invite" -> member, "notify" -> webhook)."""
        aliases = enumerate(_STEMMED_ACTIONS.get(verb, ()))
        named = {alias: self.weights.synonym * SECOND_MEANING**rank for rank, alias in aliases}
        return {w: v for w, v in named.items() if w != verb and w not in self.verbs and w not in READ_VERBS}

    def things(self, objects: list[str], verbs: frozenset[str]) -> tuple[frozenset[str], ...]:
        """The request's objects that tool names use, each with its synonyms: what a tool should cover."""
        found = (frozenset(self.expand([word], verbs)) & self.named for word in dict.fromkeys(objects))
        return tuple(words for words in found if words)

    def head(self, query: str, spelled: dict[str, str]) -> list[str]:
        """The thing the request is about: the last tool-name word of its first phrase, before a
        preposition ("delete the old test campaign" -> campaign; "remove this contact from the
        campaign" -> contact; "the workspace settings" -> workspace, as settings belong to it)."""
        words = [spelled.get(w, w) for w in terms(first_phrase(query))]
        known = [w for w in words if w in self.named or _STEMMED_VOCABULARY.keys() & {w}]
        nouns = [w for w in known if (not self.action([w]) or w in ("list",)) and w not in _ATTRIBUTES]
        return nouns[-1:]

    def holder(
        self, query: str, spelled: dict[str, str], words: list[str], asked: dict[str, float], head: list[str]
    ) -> list[str]:
        """The record an edit of one of its parts goes to: "add sender accounts to a campaign" updates
        the campaign, whose update takes its accounts, as no tool adds accounts; "add leads to a
        campaign" stays with add_leads and "POST a lead into a list" with add_leads. A part no tool
        is named for is the phrase's last word ("add an auth header to the webhook")."""
        parts = _TARGET.split(query, maxsplit=1)
        head = head or terms(parts[0])[1:][-1:]
        if not (asked.keys() - READ_VERBS.keys() and head and len(parts) == 2):
            return []
        holder = self.head(parts[1], spelled)
        part, whole = self.expand(head).keys(), self.expand(holder).keys()
        if not holder or part & whole:
            return []
        said = set(words[:VERB_POSITIONS]) | (asked.keys() - {CREATE})  # "add" is no "create": a new record
        for position, verb in enumerate(self.tool_verbs):
            name = self.name_sets[position]
            if stem(verb) in said and name & part and name <= part | whole:
                return []  # a tool does it: add_leads, move_leads, delete_lead
        edits = (
            position
            for position, verb in enumerate(self.tool_verbs)
            if stem(verb) == UPDATE
            and self.name_sets[position] <= whole
            and part & self.fields[position][ARGUMENTS].keys()
        )
        return holder if next(edits, None) is not None else []

    def action(self, words: list[str], things: frozenset[str] = frozenset()) -> dict[str, float]:
        """The tool verbs the request's first two words name ("pause", "stop" -> pause; "show" ->
        list, get); none: the request asks to read. A word about numbers ("many", "count") asks
        for an aggregate, not an action, and `things` are nouns here."""
        for word in words[:2]:
            expanded = self.expand([word])
            if AGGREGATES & expanded.keys() or word in things:
                continue
            verbs = {v: weight for v, weight in expanded.items() if v in self.verbs or v in READ_VERBS}
            if verbs:
                return verbs
        return {}

    def bm25(self, position: int, weights: dict[str, float]) -> float:
        doc = self.docs[position]
        score = 0.0
        for word, weight in weights.items():
            tf = doc.get(word, 0.0)
            if tf:
                score += weight * self.idf.get(word, 0.0) * tf * (self.weights.k1 + 1) / (tf + self.weights.k1)
        return score

    def shape(self, position: int, request: Request) -> float:
        """What BM25 misses, weighed: each of `amounts` times its weight."""
        weights = self.shape_weights
        return sum(weights[term] * amount for term, amount in self.amounts(position, request).items())

    def amounts(self, position: int, request: Request) -> dict[str, float]:
        """What BM25 misses, each term's amount with its weight left out (bench/search_tune.py
        learns the weights from these): how much of the name the request's objects (the words after
        a leading verb) cover and how many of the things it names the name covers ("which campaigns
        use this mailbox": account and campaign), the head it is about, the action asked for, the
        variant, a narrower sibling the request names the added words of ("broad"), the setting
        it names, how likely the tool is by its example requests (naive Bayes), whether its path
        takes the email address the request names its record by, and whether it takes one of the
        records asked for."""
        name, objects = self.names[position], request.objects
        lists = self.lists_asked(position, request)
        return {
            "coverage": sum(objects.get(word, 0.0) for word in name) / len(name),
            "covers": sum(bool(words & self.name_sets[position]) for words in request.things)
            / max(len(request.things), 1),
            "head": max(request.head.get(word, 0.0) for word in itertools.chain(name, lists)),
            "uncovered": -float(sum(1 for word in name if word not in objects)),
            **self.intent(position, request, one=request.one or bool(lists)),
            **self.variant(position, request),
            "broad": -float(self.broad(position, request)),
            "setting": self.setting(position, request),
            "state": self.state(position, request),
            "likely": request.likely[position] if request.likely else 0.0,
            "address": self.address_fit[position] if request.address else 0.0,
            "keyed": -float(self.keyed_by_asked(position, request)),
        }

    def keyed_by_asked(self, position: int, request: Request) -> bool:
        """Whether a read's path takes one of the records the request asks for many of."""
        return self.keyed[position] in request.listed

    def lists_asked(self, position: int, request: Request) -> frozenset[str]:
        """The records a read asks for that the tool's record lists, that record said in the singular
        ("the accounts of a campaign": get_campaign answers them in email_list). Its head is theirs."""
        listed = request.listed and request.listed & self.lists[position]
        if not listed or request.asked.keys() - READ_VERBS.keys() or request.plural & self.name_sets[position]:
            return frozenset()
        return listed

    def state(self, position: int, request: Request) -> float:
        """For a question about a record's state, whether the tool answers a state: one of what the
        request names (warmup_status for "why did warmup stop"), else the record's own status."""
        if not request.state:
            return 0.0
        named = [1.0 if about & request.objects.keys() else 0.5 * (not about) for about in self.states[position]]
        return max(named, default=0.0)

    def intent(self, position: int, request: Request, *, one: bool) -> dict[str, float]:
        """The action asked for decides: none reads (list, or get for one record's details or for
        what one record lists), a question about numbers reads an aggregate, and a question or a
        request to see never writes."""
        verb = stem(self.tool_verbs[position])
        amounts = {"verb": 0.0, "read_default": 0.0, "records": 0.0, "question": 0.0}
        if request.asked.keys() - READ_VERBS.keys():
            amounts["verb"] = max(request.asked.get(act, 0.0) for act in self.acts[position])
        elif AGGREGATES & request.weights.keys():  # numbers: an aggregate, else records to count
            if AGGREGATES & set(self.fields[position][0]):
                amounts["read_default"] = 1.0
            else:
                amounts["records"] = READ_VERBS.get(verb, -1.0)
        else:  # one record: its details, or a record listing what is asked ("the accounts of a campaign")
            read = (ONE_READ if one else READ_VERBS).get(verb, 0.0)
            amounts["read_default"] = (
                read * 0.3 if verb == "get" and request.plural & self.name_sets[position] else read
            )
        if (request.question and verb not in READ_VERBS) or (sees(request) and self.writes[position]):
            amounts["question"] = -1.0
        return amounts

    def variant(self, position: int, request: Request) -> dict[str, float]:
        """Niche tools the request does not name rank down, tools whose name it says word by word
        up, and bulk tools follow whether it means many."""
        name = self.names[position]
        bulk = (1.0 if request.many else -float(not request.plural)) if self.bulk[position] else 0.0
        return {
            "bigram": float(len(request.bigrams & self.bigrams[position])),
            "niche": -float(sum(1 for word in NICHE_WORDS if word in name and word not in request.objects)),
            "bulk": bulk,
        }

    def broad(self, position: int, request: Request) -> bool:
        """Whether the request names a narrower sibling's added words (tells_apart), unless the tool's
        record lists the records it asks for ("the sender accounts of this campaign": get_campaign
        answers them in email_list, though list_account_campaign_mappings names both)."""
        listed = request.listed
        if listed & self.lists[position] and not listed & self.name_sets[position]:
            return False
        return any(self.tells_apart(added, position, request) for added in self.narrower[position])

    def tells_apart(self, added: frozenset[str], base: int, request: Request) -> bool:
        """Whether the request names a narrower sibling's added words (`added`), so the broader tool
        ranks under it ("which campaigns use this account": list_account_campaign_mappings, not
        list_accounts). A word of the request tells them apart only if it names an
        added word and none of the base's ("inbox" names email and account, not list_dfy_email_accounts
        over list_emails); a niche sibling the request does not name is no rival."""
        if (added & NICHE_WORDS) - request.objects.keys():
            return False
        name = self.name_sets[base]
        return any(words & added and not words & name for words in request.things)

    def spelled(self, word: str) -> str:
        """A word no tool uses, read as two tool-name words run together, else as the tool-name
        word it is one typo from ("campaing", "wramup"; two for words over 8 letters) and shares
        its first letter with (typists seldom miss it: "unable" is no typo of "enable"); words under
        4 letters stay, and so do the words of VOCABULARY ("stage" is a status, no typo of "stat")
        and a tool word with a prefix ("deactivate" is no typo of "activate")."""
        if word in self.named or len(word) < 4:
            return word
        halves = [f"{word[:i]} {word[i:]}" for i in range(3, len(word) - 2) if {word[:i], word[i:]} <= self.named]
        if halves or word in self.spec_words or word in _STEMMED_VOCABULARY:
            return halves[0] if halves else word
        allowed = 1 if len(word) <= 8 else 2
        near = [
            (typos(word, known), rank, known)
            for rank, known in enumerate(self.vocabulary)
            if abs(len(known) - len(word)) <= allowed and known[0] == word[0]
        ]
        meant = min((n for n in near if n[0] <= allowed), default=(0, 0, word))[2]
        return word if word.endswith(meant) else meant


def by_address(query: str) -> bool:
    """Whether a request names a record by an email address and by no id (ADDRESS finds both)."""
    values = ADDRESS.findall(query)
    return bool(values) and all("@" in value for value in values)


def first_phrase(text: str) -> str:
    """The text up to its first preposition or aside: "remove this contact from the campaign" ->
    "remove this contact"."""
    return _PHRASE_END.split(text, maxsplit=1)[0]


def plural_phrase(clause: str) -> bool:
    """Whether the clause's first noun phrase ends in a plural ("see webhook deliveries that
    failed"): it asks for many of what it is about, though the plural is no tool word."""
    phrase = _RELATIVE.split(first_phrase(clause), maxsplit=1)[0]
    last = re.findall(r"[a-z]+", phrase.lower())[-1:]
    return bool(last) and last[0].endswith("s") and stem(last[0]) != last[0]


def sees(request: Request) -> bool:
    """Whether the request asks to see ("show", "get"): it names actions, every one a read."""
    return bool(request.asked) and not request.asked.keys() - READ_VERBS.keys()


def idf(frequency: Mapping[str, int], count: int) -> dict[str, float]:
    """BM25's inverse document frequency of each word among `count` documents."""
    return {word: math.log(1 + (count - n + 0.5) / (n + 0.5)) for word, n in frequency.items()}


def shape_weight(weights: Weights, term: str) -> float:
    """A shape term's weight; records count within the read default."""
    return weights.read_default * weights.records if term == "records" else float(getattr(weights, term))


def _words(query: str) -> list[str]:
    """The words a request says, as written (whether it says "many" or "details")."""
    return re.findall(r"[a-z]+|at once", query.lower())


def _developer(query: str) -> str:
    """An HTTP method opening a request, as a developer writes it ("POST a lead", "PATCH the
    campaign"), read as the action it performs; only in capitals, where it cannot be a word."""
    return _METHOD.sub(lambda m: HTTP_METHODS[m.group(1)], query, count=1)


def _unopened(query: str) -> str:
    """The request without a polite opening: "is it possible to pause X" -> "pause X"; a wish for a
    record done to says the verb first: "user wants the old list deleted" -> "delete the old list"."""
    if wished := _WISHED.match(query):
        return f"{stem(wished['done'])} {wished['record']}{wished['rest']}"
    return _PREAMBLE.sub("", query, count=1) if _PREAMBLE.match(query) else query


def _plain(query: str) -> str:
    """The request without filler: "how to use X in Instantly" -> "how to X"."""
    return " ".join(word for word in query.split() if word.lower().strip("?.,!:") not in _FILLER)


def steps(query: str) -> list[str]:
    """The steps a request names ("find leads then add them to a campaign": two), else the request.
    A step that says "them" or "it" means the previous step's object ("add leads to a campaign")."""
    parts = [part.strip() for part in _split_outside_values(query, _STEP_BREAK) if terms(part)]
    parts = [*parts[: MAX_STEPS - 1], " ".join(parts[MAX_STEPS - 1 :])] if len(parts) > MAX_STEPS else parts
    for i in range(1, len(parts)):
        previous = parts[i - 1].split(maxsplit=1)[1:]
        if previous:
            parts[i] = _PRONOUN.sub(previous[0].replace("\\", ""), parts[i], count=1)
    return parts or [query]


def tasks(query: str) -> list[str]:
    """The tasks a query separates with ";" (code mode's search_tools finds a whole script's tools
    at once), a ";" inside a quoted name or an address left in its task."""
    return [part.strip() for part in _split_outside_values(query, _TASK_BREAK) if part.strip()]


def _split_outside_values(query: str, breaks: re.Pattern[str]) -> list[str]:
    """The request cut at each of `breaks` that is not inside a value: a quoted name or an address
    may hold "; " or "then" ("rename 'Intro; then follow up'" is one step)."""
    values = [m.span() for pattern in (ADDRESS, QUOTED) for m in pattern.finditer(query)]
    parts, start = [], 0
    for brk in breaks.finditer(query):
        if not any(begin < brk.end() and brk.start() < end for begin, end in values):
            parts.append(query[start : brk.start()])
            start = brk.end()
    return [*parts, query[start:]]


def shared(found: dict[K, list[T]], limit: int) -> dict[K, list[T]]:
    """The steps' matches cut to `limit` in all: every step keeps its best two, then the slots left
    go round the steps in order, so a step with fewer matches leaves its slots to the others."""
    counts = {step: min(2, len(ops)) for step, ops in found.items()}
    deepest = max(map(len, found.values()), default=0)
    extra = [step for depth in range(2, deepest) for step, ops in found.items() if len(ops) > depth]
    for step in extra[: max(0, limit - sum(counts.values()))]:
        counts[step] += 1
    return {step: ops[: counts[step]] for step, ops in found.items()}


def interleaved(lists: Iterable[list[T]]) -> Iterator[T]:
    """The lists' items taken in turn (the first of each, then the second of each, ...)."""
    return (item for row in itertools.zip_longest(*lists) for item in row if item is not None)


def entity(name: str) -> list[str]:
    """What a tool's name acts on: the words after its verb (and after "bulk")."""
    words = terms(name)
    rest = words[words.index(stem(verb_of(name))) + 1 :] if stem(verb_of(name)) in words else words[1:]
    return rest or words


def is_bulk(name: str, names: set[str]) -> bool:
    """Whether a tool acts on many records at once: bulk_create_x, delete_all_x, and a plural name
    beside its singular twin (pause_accounts beside pause_account, approve_x_activities beside
    approve_x_activity)."""
    single = name[:-3] + "y" if name.endswith("ies") else name[:-1]
    return name.startswith("bulk_") or "_all_" in name or (name.endswith("s") and single in names)


def verb_of(name: str) -> str:
    """The action a tool's name starts with; bulk_create_x creates."""
    words = name.split("_")
    return words[1] if words[0] == "bulk" and len(words) > 1 else words[0]
