"""The quick search for secrets finds exactly what the case-insensitive pattern finds, and
holds_secret sees a secret anywhere in a structure, so a result it passes as clean is clean."""

from __future__ import annotations

import random
import string

import pytest

from instantly_mcp.redaction import REDACTED, _secrets, call_secrets, holds_secret, scrub, scrub_text

KEY = "Ab3dEf9hIjKlMnOp_qrs=="


@pytest.mark.parametrize(
    "text",
    [
        f"the key is {KEY}",
        f"the key is {KEY.lower()}",
        f"the key is {KEY.upper()}",
        f"Ünïcode around {KEY.lower()} ✓",
        f"{KEY[:-1]} is one character short",
        "nothing here",
        "",
        # IGNORECASE matches U+017F LONG S for s, which lower() leaves as it is: on text that is
        # not ASCII the pattern decides
        f"the key is {KEY.replace('s', chr(0x17F))}",
        f"the key is {KEY.replace('K', chr(0x212A))}",
    ],
)
def test_the_quick_search_answers_as_the_pattern(text: str) -> None:
    secrets = _secrets((KEY, "another-secret-0123"))
    assert secrets is not None and secrets.folded is not None
    assert secrets.found_in(text) == (secrets.pattern.search(text) is not None)


def test_the_quick_search_agrees_on_random_texts() -> None:
    secrets = _secrets(("xYz12345", "ab-CD-ef-99"))
    assert secrets is not None
    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + "-_ é"
    agreed = 0
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.3:
            secret = rng.choice(("xYz12345", "ab-CD-ef-99"))
            cased = "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in secret)
            cut = rng.randint(0, len(text))
            text = text[:cut] + cased + text[cut:]
        agreed += secrets.found_in(text) == (secrets.pattern.search(text) is not None)
    assert agreed == 3000


def test_a_secret_that_is_not_ascii_is_searched_by_the_pattern() -> None:
    secrets = _secrets(("pässwört-123",))
    assert secrets is not None and secrets.folded is None
    assert secrets.found_in("the PÄSSWÖRT-123 leaked")


def test_holds_secret_finds_a_secret_anywhere_in_a_structure() -> None:
    with call_secrets(KEY):
        assert not holds_secret({"items": [{"id": 1, "name": "Acme"}], "next": None})
        assert holds_secret({"items": [{"id": 1, "note": f"key {KEY.lower()}"}]})
        assert holds_secret({"items": [{KEY: "as a key"}]})
        assert holds_secret(("a", ["b", {"c": KEY}]))
        # two strings that only make the key when joined do not count
        assert not holds_secret([KEY[:8], KEY[8:]])
    assert not holds_secret({"note": KEY})  # outside the call, its key is not in play


def test_scrubbing_still_cuts_every_secret() -> None:
    with call_secrets(KEY):
        assert scrub_text(f"a {KEY.upper()} b") == f"a {REDACTED} b"
        clean = "nothing to cut"
        assert scrub_text(clean) is clean
        assert scrub({"k": [f"x{KEY}y"]}) == {"k": [f"x{REDACTED}y"]}
