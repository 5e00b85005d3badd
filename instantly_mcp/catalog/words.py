"""How search cuts text into words, the spec's and a request's alike: stems (`terms`), a word's
family (`derived`), two-word verbs ("set up" creates), the values a request holds (addresses, ids,
quoted names), and how far a typo is from the word meant (`typos`). The index (catalog/search.py)
and the corpus generator (scripts/specgen/corpus.py) must cut words the same way."""

from __future__ import annotations

import itertools
import re
from functools import cache

# Words that tell nothing about a tool, left out of every text.
STOP = frozenset(
    "a an the of to for in on at by with and or from my our your all any some this that it its is are be "  # noqa: SIM905
    "i we me us do does how what which want need please can could would should them they their into".split()
)

# What a switch's "on" or "off" does: "turn warmup on" enables it, and so does a terse "warmup on".
SWITCHED = {"on": "enable", "off": "disable"}
# Verbs whose "on" or "off" may close the phrase: "turn warmup back on", "switch that agent off".
_SWITCHES = frozenset({"turn", "switch"})
# Two words read as one: "set up" creates, "turn on" enables, "opt out" unsubscribes, "do not contact" blocks.
_PARTICLES = {
    ("set", "up"): "create",
    **{(verb, word): action for verb in sorted(_SWITCHES) for word, action in SWITCHED.items()},
    ("warm", "up"): "warmup",
    ("opt", "out"): "unsubscribe",
    ("not", "contact"): "blocklist",
    ("not", "email"): "blocklist",
    ("look", "up"): "find",
    ("get", "rid"): "delete",  # "get rid of"
    ("most", "recent"): "recent",  # an order, not a question about numbers
    ("most", "recently"): "recent",
    # Smartlead's "sub-sequence" (api.smartlead.ai/reference/fetch-inbox-replies), an agency's
    # "sub-account" ([4] in vocabulary.py)
    ("sub", "sequence"): "subsequence",
    ("sub", "sequences"): "subsequence",
    ("sub", "account"): "subaccount",
    ("sub", "accounts"): "subaccount",
}
_SECOND_WORDS = frozenset(second for _, second in _PARTICLES)
SWITCH_REACH = 4  # words between the verb and its "on"/"off"
# Words that open what follows a phrase: after one of them an "on" or "off" closed the phrase before.
_PHRASE_ENDS = frozenset("for in at to from with and then so please again now when if until by".split())  # noqa: SIM905

# Two-word names whose first word alone means something else: "inbox placement" is a test of where
# mail lands, while "inbox" alone is the Unibox or a mailbox; the first word is dropped before the second.
_COMPOUNDS = frozenset({("inbox", "placement")})

# "un-pause", "de-activate": a prefix that reverses the verb stays on it ("re-run" runs again: it goes).
_REVERSED = re.compile(r"\b(un|de)-(?=[a-z])")

_UNDOUBLED = frozenset("bgmnprt")  # consonants doubled before -ing, -ed: "setting" -> "set"

# A typo's swapped letter is a slip of the finger to a neighbouring key, or one vowel for another (a
# slip of spelling: "varify"); other swaps make other words ("leak" is no typo of "lead").
_KEY_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_KEY_AT = {key: (row, column + row / 2) for row, keys in enumerate(_KEY_ROWS) for column, key in enumerate(keys)}
_SLIPS = frozenset(
    (a, b)
    for a, (row_a, column_a) in _KEY_AT.items()
    for b, (row_b, column_b) in _KEY_AT.items()
    if a != b and abs(row_a - row_b) <= 1 and abs(column_a - column_b) <= 1
) | frozenset((a, b) for a in "aeiouy" for b in "aeiouy" if a != b)

# Derivational suffixes (Porter's steps 2-4, narrowed) -> what the verb's stem ends in instead; the
# more specific first. Agent nouns (-er, -or) stay: here a sender is a mailbox and a finder is SuperSearch,
# not sending or finding. -ive and a bare -ity stay: "active" is a status, "activity" a log.
DERIVATIONS: tuple[tuple[str, str], ...] = (
    ("ification", "ify"),  # verification -> verify
    ("ization", "ize"),  # customization -> customize
    ("scription", "scribe"),  # subscription -> subscribe
    ("ability", ""),  # availability -> avail
    ("ibility", ""),  # visibility -> vis
    ("ment", ""),  # enrichment -> enrich
    ("tion", "te"),  # deletion -> delete, activation -> activate
    ("ssion", "ss"),  # permission -> permiss
    ("sion", "se"),  # revision -> revise
    ("abl", ""),  # available -> avail (the e already gone)
    ("ibl", ""),  # visible -> vis
    ("val", "ve"),  # removal -> remove, approval -> approve
    ("sal", "se"),  # proposal -> propose
    ("very", "ver"),  # delivery -> deliver, recovery -> recover
)
MIN_BASE = 4

# Stems whose derivational family means something else here: a campaign variable varies nothing, and
# "placement" is where mail lands (inbox placement tests) while "place" places an order.
KEPT_WHOLE = frozenset({"variabl", "placement"})


@cache
def stem(word: str) -> str:
    """A light stemmer that gives every form of a word one stem: "change", "changed" and
    "changes" -> "chang"; "replies"/"replied" -> "reply"; "address"/"addresses" -> "address"."""
    for suffix in ("ies", "ied", "ing", "es", "ed", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            if suffix == "s" and word[-2] in "su":
                break
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            if suffix in ("ing", "ed") and word[-1] == word[-2] and word[-1] in _UNDOUBLED:
                return word[:-1]  # "setting" -> "set", "stopped" -> "stop"
            break
    return _final_e(word)


def _final_e(word: str) -> str:
    return word[:-1] if len(word) >= 4 and word.endswith("e") else word


@cache
def derived(word: str) -> str:
    """The root of a stem's word family: a noun or adjective made from a verb goes to the verb's
    stem ("deletion" -> "delet" as "delete", "verification" -> "verify", "removal" -> "remov",
    "availability" -> "avail"); one suffix at most, never leaving fewer than MIN_BASE letters.
    Words whose family would mean something else stay (KEPT_WHOLE)."""
    if word in KEPT_WHOLE:
        return word
    for suffix, base in DERIVATIONS:
        if word.endswith(suffix):
            root = _final_e(word[: -len(suffix)] + base)
            return root if len(root) >= MIN_BASE else word
    return word


def terms(text: str, *, past: bool = True) -> list[str]:
    """The stemmed words of a text; past=False leaves out past forms ("who replied", "have I
    launched"), which ask about what happened rather than for an action."""
    text = _REVERSED.sub(r"\1", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower().replace("_", " "))
    words = re.findall(r"[a-z0-9]+", re.sub(r"['\u2019]s\b", "", text))
    words = [w for i, w in enumerate(words) if (w, words[i + 1] if i + 1 < len(words) else "") not in _COMPOUNDS]
    kept = [w for w in particles(words) if w not in STOP and (past or not w.endswith("ed"))]
    return [stem(w) for w in kept]


def particles(words: list[str]) -> list[str]:
    """Two-word verbs as the one verb they mean, in any form: ["setting", "up", "a", "webhook"] ->
    ["create", "a", "webhook"]; a switch's verb also with its object between ("turn warmup back
    on")."""
    if not _SECOND_WORDS.intersection(words):
        return words
    merged: list[str] = []
    for i, word in enumerate(words):
        if merged and (pair := (stem(merged[-1]), word)) in _PARTICLES:
            merged[-1] = _PARTICLES[pair]
        elif (at := _switched(merged, word, words[i + 1 : i + 2])) is not None:
            merged[at] = _PARTICLES[(stem(merged[at]), word)]
        else:
            merged.append(word)
    return merged


def _switched(merged: list[str], word: str, following: list[str]) -> int | None:
    """Where the switch verb stands that an "on" or "off" closing its phrase completes, its object
    between (["turn", "the", "campaign", "back"] + "on"); None when the word completes none ("switch
    the account on the campaign": "on" opens a phrase of its own)."""
    if word not in ("on", "off") or (following and following[0] not in _PHRASE_ENDS):
        return None
    start = max(0, len(merged) - SWITCH_REACH)
    return next((i for i in range(len(merged) - 1, start - 1, -1) if stem(merged[i]) in _SWITCHES), None)


# Values a request quotes are not words of it: an address, an id, a name in quotes ("sales@acme.io"
# is no sales flow, a campaign called 'webhook test' no webhook). An address is matched from the start
# of its word only, so a long word without "@" is read once, not once from each of its letters.
ADDRESS = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}\b", re.I)
# A domain in an example request, which the writer made up: said as the word "domain" (example_text).
_DOMAIN = re.compile(
    r"(?<![\w.@-])(?:[\w-]+\.)+(?:com|net|org|io|co|ai|app|dev|biz|info|us|uk|ca|de|fr|es|nl|me)\b(?![.\w-])", re.I
)
QUOTED = re.compile(r"(?:[\"\u201c\u2018]|(?<!\w)')[^\"\u201c\u201d\u2018\u2019]{1,80}?(?:[\"\u201d\u2019]|'(?!\w))")


def without_values(query: str) -> str:
    """The request without the addresses, ids and quoted names it holds (ADDRESS, QUOTED)."""
    return QUOTED.sub(" ", ADDRESS.sub(" ", query))


def example_text(example: str) -> str:
    """An example request as the index reads it: its values are the writer's inventions, so they go
    as a request's do (without_values), and a domain is said as the word "domain": what kind of value
    it was tells about the tool, "acme.com" would only match requests naming that placeholder."""
    return _DOMAIN.sub(" domain ", without_values(example))


def pairs(words: list[str]) -> list[tuple[str, str]]:
    """Neighbouring words: a request saying "block list" or "lead list" names that thing, not a block and a list."""
    return list(itertools.pairwise(words))


def typos(a: str, b: str) -> int:
    """Edits (insert, delete, replace, swap two neighbours) from a to b; a replacement that is no
    slip (_SLIPS) counts two."""
    previous, row = None, list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, y in enumerate(b, 1):
            replaced = 0 if x == y else 1 if (x, y) in _SLIPS else 2
            current[j] = min(row[j] + 1, current[j - 1] + 1, row[j - 1] + replaced)
            if previous is not None and i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                current[j] = min(current[j], previous[j - 2] + 1)
        previous, row = row, current
    return row[-1]
