"""Search reads a request's grammar: the record an edit goes into, a developer's HTTP method, and
the number of records a tool's name acts on. Requests of our own, not from the evaluation sets."""

from __future__ import annotations

import pytest

from instantly_mcp.catalog.search import plural_phrase
from instantly_mcp.catalog.words import stem, terms

from support.search_index import WITHOUT_EXAMPLES, search_index


def first(request: str) -> str:
    """The first match by these rules, with the example requests left out: users' words, measured on
    the evaluation sets, which can outvote a rule on a request sharing their words."""
    return search_index(WITHOUT_EXAMPLES).search(request)[0].name


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        # a part no tool adds goes into the record whose update takes it
        ("attach a sender account to the onboarding campaign", "update_campaign"),
        ("insert a custom variable into this lead", "update_lead"),
        # a part no tool is named for goes there too
        ("add an auth header to the webhook", "update_webhook"),
        ("add a signature to my mailbox", "update_account"),
        # a tool that adds the part keeps it
        ("add prospects to the webinar campaign", "add_leads"),
        ("move contacts to the follow-up campaign", "move_leads"),
    ],
)
def test_an_edit_of_a_part_goes_to_its_holder_unless_a_tool_adds_it(request_: str, tool: str) -> None:
    assert first(request_) == tool


def test_the_part_an_edit_puts_into_its_holder_is_no_object_under_a_synonym_either() -> None:
    """ "sender" means account: left an object, it ranked update_account with the examples' help."""
    request = "attach sender inboxes to the onboarding campaign"
    search = search_index()
    assert "account" not in search.parse(request).objects
    assert search.search(request)[0].name == "update_campaign"


@pytest.mark.parametrize(
    ("request_", "tool"),
    [("POST a webhook", "create_webhook"), ("PATCH the webhook", "update_webhook"), ("DELETE a lead", "delete_lead")],
)
def test_an_http_method_in_capitals_is_the_action(request_: str, tool: str) -> None:
    assert first(request_) == tool


def test_a_plural_name_beside_its_singular_twin_acts_on_many() -> None:
    assert first("pause mailboxes in bulk") == "pause_accounts"
    assert first("pause the mailbox") == "pause_account"
    # a plural in -ies beside its -y twin
    assert first("reject every pending sales agent action at once") == "reject_ai_sales_agent_activities"


@pytest.mark.parametrize(
    ("clause", "plural"),
    [
        ("show webhook attempts that errored", True),  # a plural no tool is named for
        ("show the webhook that errored", False),
        ("pause the campaign for these leads", False),  # the phrase ends at the preposition
        ("list my campaigns", True),
    ],
)
def test_a_phrase_ending_in_a_plural_asks_for_many(clause: str, plural: bool) -> None:
    assert plural_phrase(clause) is plural


def test_many_records_of_what_a_request_is_about_rank_its_one_record_read_down() -> None:
    """ "attempts" names no tool, yet asks for many of the webhook's records: the webhook is read as
    said in the plural, so get_webhook_event (one record) ranks down as for "webhook events"."""
    index = search_index(WITHOUT_EXAMPLES)
    assert "webhook" in index.parse("show webhook attempts that errored").plural
    assert "webhook" not in index.parse("show the webhook that errored").plural
    assert "webhook" not in index.parse("show the webhook attempt details").plural  # details: one record


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("un-pause the sender", ["unpaus", "sender"]),  # the prefix reverses the verb: it stays on it
        ("de-activate it", ["deactivat"]),
        ("re-run the test", ["re", "run", "test"]),  # "again": the verb is what counts
        ("get rid of that tag", ["delet", "tag"]),  # a phrasal verb as the one verb it means
        ("switch warmup back on", ["enabl", "warmup", "back"]),  # its object between
        ("turn that agent off for now", ["disabl", "agent", "now"]),
        ("switch the mailbox on the campaign", ["switch", "mailbox", "campaign"]),  # "on" opens a phrase
    ],
)
def test_a_prefix_and_a_phrasal_verb_keep_their_meaning(text: str, words: list[str]) -> None:
    assert terms(text) == words


def test_getting_rid_of_a_record_deletes_it() -> None:
    assert first("get rid of an old tag") == "delete_custom_tag"


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        # an agent passing on what its user asked: "user" is no workspace member here
        ("user wants to pause the onboarding campaign", "pause_campaign"),
        ("the user asks which campaigns are paused", "list_campaigns"),
        # a wish for a record done to: the participle is the action
        ("user wants the prospect list renamed", "update_lead_list"),
        ("I want the spring campaign paused because of complaints", "pause_campaign"),
    ],
)
def test_an_agent_reporting_its_users_request_is_read_as_the_request(request_: str, tool: str) -> None:
    assert first(request_) == tool


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("enable stop on reply for this campaign", "update_campaign"),  # no tool switches it: an update
        ("enable warmup for these mailboxes", "enable_warmup_for_accounts"),  # a tool switches it
    ],
)
def test_switching_a_setting_on_updates_the_record_unless_a_tool_switches_it(request_: str, tool: str) -> None:
    assert search_index().search(request_)[0].name == tool


def test_which_teammate_did_an_edit_asks_the_audit_log_as_who_does() -> None:
    assert first("which teammate deleted those leads") == "list_audit_logs"
    assert first("which teammate is an admin") != "list_audit_logs"  # no edit asked about


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("acme.com bounced twice, block it", "create_block_list_entry"),  # the action after a comma
        ("for the spring campaign, pause it", "pause_campaign"),
    ],
)
def test_an_action_said_after_a_comma_is_the_action_asked(request_: str, tool: str) -> None:
    assert first(request_) == tool


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("fetch one email template", "get_email_template"),
        ("look up a lead list by id", "get_lead_list"),
        ("show the webhook by its id", "get_webhook"),
        ("GET /email-templates/{id}", "get_email_template"),
        ("GET /webhooks/{id}/events", "list_webhook_events"),  # the path goes on: the record's parts
        ("open one background job", "get_background_job"),
        # one pointed at
        ("show this email template", "get_email_template"),
        ("look at this webhook", "get_webhook"),
        # "one of", "one more", "one by one" count no record
        ("find one of my lead lists", "list_lead_lists"),
        ("show me one more lead", "list_leads"),
        ("list one by one the leads", "list_leads"),
        ("list campaigns one per line", "list_campaigns"),  # no record's name after "one"
        ("find the one lead that replied", "list_leads"),  # a lead looked for, not one named
    ],
)
def test_one_record_or_a_record_by_its_id_is_got_not_listed(request_: str, tool: str) -> None:
    assert first(request_) == tool


@pytest.mark.parametrize(
    ("request_", "tool"),
    [("stop and remove this webhook", "delete_webhook"), ("disable and delete the webhook", "delete_webhook")],
)
def test_a_second_verb_joined_to_the_first_is_asked_for_too(request_: str, tool: str) -> None:
    """The later verb is often the point: "stop and remove" removes."""
    assert first(request_) == tool


def test_either_of_two_joined_verbs_is_asked_for_and_neither_is_an_object() -> None:
    request = search_index().parse("save or update my email template")
    assert request.asked.keys() >= {stem("create"), stem("update")}
    assert stem("update") not in request.objects


@pytest.mark.parametrize(
    ("request_", "top_two"),
    [
        ("how do I give my webhook a new url?", ["update_webhook", "create_webhook"]),
        ("how do I give the email template a new subject?", ["update_email_template", "create_email_template"]),
    ],
)
def test_how_do_i_before_an_unknown_verb_asks_for_a_change(request_: str, top_two: list[str]) -> None:
    """The change first, and the other write before any read (a list came second)."""
    assert [op.name for op in search_index(WITHOUT_EXAMPLES).search(request_)][:2] == top_two


def test_how_do_i_find_out_whether_is_no_change() -> None:
    assert first("how do I know if my campaign is sending?") == "get_campaign_sending_status"


def test_how_do_i_before_a_tool_word_is_no_unknown_verb() -> None:
    """ "warm up" is warmup, which tools are named for: no reason to read a change of some record
    (with the examples, as users ask it: they had put create_account first)."""
    top_two = [op.name for op in search_index().search("how do I warm up my inbox")][:2]
    assert "enable_warmup_for_accounts" in top_two and not top_two[0].startswith("create_"), top_two


def test_to_update_a_records_status_is_to_change_its_state() -> None:
    """update_campaign takes no status: pausing or activating the campaign changes it."""
    assert first("set the campaign status to paused") == "pause_campaign"
    assert stem("pause") in search_index().parse("change the status of my webhook").asked


@pytest.mark.parametrize(
    ("request_", "tool"),
    [
        ("email template update", "update_email_template"),
        ("crm webhook remove", "delete_webhook"),
        ("lead label create", "create_lead_label"),
        # a verb that names a record with the word before it is no action: a "custom tag" is a tag
        ("custom tag delete", "delete_custom_tag"),
        # nor is an opening word that is also a record's name ("tag" toggles, a tag is a record)
        ("tag create", "create_custom_tag"),
        # a closing switch
        ("warmup off", "disable_warmup_for_accounts"),
        ("warmup on", "enable_warmup_for_accounts"),
    ],
)
def test_a_terse_request_may_say_its_action_last(request_: str, tool: str) -> None:
    """Agents type keywords, the action last; the opening word said nothing to do."""
    assert first(request_) == tool


@pytest.mark.parametrize(
    "request_",
    [
        "delete the lead list",  # the verb opens the request
        "webhooks failing",  # inflected: a report
        "campaigns for the lead list",  # function words: a sentence
        "inbox placement test",  # the last two words name a record
        "turn warmup on",  # a verb opens it
    ],
)
def test_a_closing_word_is_no_action_outside_terse_keywords(request_: str) -> None:
    search = search_index()
    assert search.closing(request_, search.spell(request_)[0], frozenset()) is None


def test_a_comma_before_a_reason_or_a_contrast_ends_the_phrase_a_request_is_about() -> None:
    """ "not just one subsequence" says what is not meant; "deliverability is dropping" says why."""
    search = search_index()
    assert search.parse("pause the whole campaign, not just one subsequence").head.keys() == {"campaign"}
    assert search.search("pause the whole campaign, not just one subsequence")[0].name == "pause_campaign"
    assert search.parse("pause the promo campaign, deliverability is dropping").head.keys() == {"campaign"}
    assert search.parse("remove the leads (the bounced ones)").head.keys() == {"lead"}
    # a list's commas are no such break
    assert search.parse("export leads, accounts and campaigns").head.keys() != {"lead"}


def test_a_verb_said_in_the_plural_after_the_opening_word_is_a_thing() -> None:
    """ "unibox replies" are emails to read; opening the request, "Replies" is a tool's description."""
    search = search_index()
    assert search.search("unibox replies", limit=1)[0].name == "list_emails"
    assert search.search("Replies to an email thread", limit=1)[0].name == "reply_to_email"


def test_a_past_form_in_a_verbs_position_brings_no_actions_synonyms() -> None:
    """ "disconnected" describes the accounts: it asks for no action, so "disconnect" means no delete."""
    request = "Troubleshooting disconnected mailboxes"
    assert "delet" not in search_index().parse(request).weights
    assert search_index().search(request, limit=1)[0].name == "list_accounts"
