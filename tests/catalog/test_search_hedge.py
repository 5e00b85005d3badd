"""A search answer hedges: its first match stays the ranking's best, and the slots after it go to
the request's other readings rather than the first match's record again. Requests of our own, not
from the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.operations import load_operations
from instantly_mcp.catalog.search import SearchIndex, Weights

from support.search_index import search_index


def names(request: str, limit: int = 5, *, hedged: bool = True) -> list[str]:
    return [
        op.name
        for op in search_index(Weights() if hedged else Weights(kin=0.0, other_reading=0.0)).search(
            request, limit=limit
        )
    ]


@pytest.mark.parametrize(
    "request_", ["email templates", "pause the sender account", "show my webhooks", "silence the webhook"]
)
def test_the_first_match_never_moves_and_five_are_the_first_of_twenty_five(request_: str) -> None:
    assert names(request_)[0] == names(request_, hedged=False)[0]
    assert names(request_) == names(request_, limit=25)[:5]


def test_a_request_naming_no_action_shows_a_write_beside_the_reads() -> None:
    writes = {op.name for op in load_operations().values() if op.risk != "read"}
    assert not writes & set(names("silence the webhook", hedged=False)[:3])
    assert writes & set(names("silence the webhook")[:3])
    assert not writes & set(names("show my webhooks"))  # a read asked for stays a read


def test_the_second_slot_goes_to_another_record() -> None:
    assert names("lead lists", hedged=False)[:2] == ["list_lead_lists", "get_lead_list"]
    assert names("lead lists")[:2] == ["list_lead_lists", "list_leads"]


@pytest.mark.parametrize(
    ("request_", "reading"), [("set the campaign daily limit", "set_"), ("transfer the mailbox", "change_")]
)
def test_the_last_slot_shows_another_reading_of_the_verb(
    request_: str, reading: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = names(request_)
    assert shown[-1].startswith(reading) and not any(name.startswith(reading) for name in shown[:-1])
    monkeypatch.setattr(SearchIndex, "other_actions", lambda *_: [])
    assert names(request_)[0] == shown[0]
    assert not any(name.startswith(reading) for name in names(request_))


@pytest.mark.parametrize(
    "request_",
    ["is warmup still running on my mailbox?", "which tags are on this lead?", "show me the warmup of my mailboxes"],
)
def test_a_request_that_only_reads_spends_no_slot_on_a_write(request_: str, monkeypatch: pytest.MonkeyPatch) -> None:
    writes = {op.name for op in load_operations().values() if op.risk != "read"}
    shown = names(request_)
    assert len(shown) == 5 and not writes & set(shown)
    monkeypatch.setattr(SearchIndex, "readable", lambda _, rest, __: rest)
    assert names(request_)[0] == shown[0]
    assert writes & set(names(request_))
