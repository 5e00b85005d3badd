"""Field-level matching: a request naming a setting finds the tools with that field."""

from __future__ import annotations

from support.search_index import position, search_index


def setting(request: str, tool: str) -> float:
    found = search_index()
    return found.setting(position(tool), found.parse(request))


def test_the_tool_with_the_named_field_scores_above_its_neighbours() -> None:
    assert setting("edit the signature of a sender", "update_account") > setting(
        "edit the signature of a sender", "update_campaign"
    )
    assert setting("change the random wait between sends", "update_campaign") > setting(
        "change the random wait between sends", "update_account"
    )


def test_only_a_reads_answer_fields_count_and_the_tools_name_never_does() -> None:
    assert setting("the signature of a mailbox", "get_account") > 0
    assert setting("the signature of a mailbox", "delete_account") == 0
    assert setting("show the campaign", "get_campaign") == 0  # "campaign" is its name, not a field


def test_a_long_enum_is_no_fields_words() -> None:
    assert setting("change the timezone to Europe Berlin", "update_campaign") == setting(
        "change the timezone", "update_campaign"
    )


def test_a_named_setting_ranks_its_tool_first() -> None:
    assert search_index().search("edit the signature of a sender")[0].name == "update_account"


def test_the_named_field_decides_between_two_edits() -> None:
    # "email" names update_email; the email gap is a field of the campaign, which only field matching sees.
    assert search_index().search("change the email gap of a campaign")[0].name == "update_campaign"
