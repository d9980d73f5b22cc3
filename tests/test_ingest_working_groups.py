"""Working groups' and Small Groups' reporting forms, on invented sentences (issue 19's Coalition dev split).

Each test holds one general form the suggestions learnt while tuned on fixtures/ingest-eval/coalition-dev:
what commits, who hosts or observes, what reports progress, and which words weigh alike.
"""

from ingest.corpus import spelling_variants
from ingest.cues import acronyms, commitment_candidates
from ingest.participants import participations
from ingest.progress import progress_spans


def spans(text):
    return [(text[c.start : c.end], c.cue, c.strength) for c in commitment_candidates(text)]


def test_a_body_named_with_its_acronym_commits_under_it():
    text = (
        "The Harbour Safety Working Group (HSWG) met in Oslo. "
        "As the season begins, the HSWG will continue to inspect every pier. "
        "As the season begins, the NYSE will continue to trade."
    )
    assert acronyms(text) == {"hswg": "Harbour Safety Working Group"}
    assert spans(text) == [
        ("As the season begins, the HSWG will continue to inspect every pier.", "will continue to", "binding")
    ]
    assert acronyms("The Pacific Islands Forum (PALM) met.") == {}  # the initials do not spell it


def test_an_adverb_between_committed_and_to_and_a_resolve_to():
    text = (
        "The work remains more important than ever, and the member nations committed today to drain its funds. "
        "Recent attacks have only cemented our common resolve to defeat the network. "
        "These crimes only strengthen our resolve. "
        "We are working to dismantle its support networks."
    )
    assert [(cue, strength) for _, cue, strength in spans(text)] == [
        ("remains more important, committed today to", "binding"),
        ("our common resolve to", "binding"),
        ("are working to", "binding"),
    ]


def test_an_impersonal_task_or_mission_that_remains_essential():
    text = (
        "Clearing the valley remains an essential task for the partners. "
        "Advancing the mission remains integral to the success of the effort. "
        "The valley remains an essential crossing point."
    )
    assert [quote for quote, _, _ in spans(text)] == [
        "Clearing the valley remains an essential task for the partners.",
        "Advancing the mission remains integral to the success of the effort.",
    ]


def test_the_goal_a_meeting_met_for_commits_but_not_what_it_discussed():
    text = (
        "Ministers met today in Lisbon at the invitation of the Portuguese Foreign Minister to take stock of "
        "the work and to accelerate our efforts to end the conflict. "
        "The Group convened its members to discuss the ongoing efforts to counter smuggling. "
        "Delegates met in Accra to build momentum for the regional plan."
    )
    assert spans(text) == [
        ("to accelerate our efforts to end the conflict.", "to accelerate", "binding"),
        ("to build momentum for the regional plan.", "to build", "binding"),
    ]


def test_support_after_with_is_a_noun():
    text = "Local forces, with continuous Coalition support, have retaken the port. The partners support the forces."
    assert [quote for quote, _, _ in spans(text)] == ["The partners support the forces."]


def test_hosts_headlines_observers_and_an_invitation_before_its_purpose():
    text = (
        "Bahrain Hosts Twelfth Meeting of the Working Group\n\n"
        "The United States, Italy, and Saudi Arabia hosted virtually the 19th meeting. "
        "Ministers met at the invitation of the Danish Foreign Minister to build momentum in Iraq and Syria. "
        "Twenty delegations took part, with the United Nations observing."
    )
    found = [(p["member"], p["role"]) for p in participations(text)]
    assert found == [
        ("Bahrain", "host"),
        ("The United States", "host"),
        ("Italy", "host"),
        ("Saudi Arabia", "host"),
        ("Danish", "host"),
        ("the United Nations", "observer"),
    ]


def test_progress_in_the_perfect_with_results_verbs():
    text = (
        "The network has collapsed. Partners have pushed the group out of the valley. "
        "Local forces have made significant advances around the town. The efforts have resulted in its defeat. "
        "We have likewise continued our campaign. The group no longer controls territory. "
        "We have discussed the plan."
    )
    assert [text[p.start : p.end] for p in progress_spans(text)] == [
        "The network has collapsed.",
        "Partners have pushed the group out of the valley.",
        "Local forces have made significant advances around the town.",
        "The efforts have resulted in its defeat.",
        "We have likewise continued our campaign.",
        "The group no longer controls territory.",
    ]


def test_an_adjective_in_cial_is_looked_up_and_weighed_as_its_noun():
    assert spelling_variants("financial") == ["financial", "finance"]
    assert spelling_variants("commercially") == ["commercially", "commerce"]
    assert spelling_variants("stabilisation") == ["stabilisation", "stabilization"]
    assert spelling_variants("territorial") == ["territorial"]


def test_what_an_earlier_meeting_said_is_not_this_statements_pledge():
    text = (
        "Last week the Council reaffirmed its commitment to the plan. "
        "The Council reaffirmed its commitment to the plan. "
        "Earlier this year, the partners agreed to share data."
    )
    assert [quote for quote, _, _ in spans(text)] == ["The Council reaffirmed its commitment to the plan."]
