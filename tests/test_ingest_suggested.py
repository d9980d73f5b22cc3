"""Participation and evidence suggestions: found in a new statement, proposed, accepted or rejected.

The statements here are written for these tests (not the seed's, not the evaluation corpus's).
"""

import datetime
import json
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from commitments.assessments import AssessmentEvidence, Evidence
from commitments.choices import ReviewState, Verdict
from ingest import progress
from ingest.models import Suggestion, SuggestionKind, SuggestionStatus
from ingest.participants import participations
from ingest.services import accept_suggestion, ingest_statement, reject_suggestion, suggest_for_statement
from meetings.models import Participation, ParticipationRole
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    MemberFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    UserFactory,
)

EARLIER_TEXT = (
    "The Ministers met in Valletta.\n"
    "We will clear the mines from the farmland of the Euphrates valley.\n"
    "We will train the coast guards of the Gulf of Guinea.\n"
)
NEW_TEXT = (
    "Statement of the Ministers\n"
    "\n"
    "The meeting was hosted by Portugal and co-chaired by Ghana and Norway.\n"
    "The Ministers welcomed Chile as the 91st member of the Coalition.\n"
    "Uruguay attended as an observer.\n"
    "Partners have cleared more than 400 hectares of farmland in the Euphrates valley of mines.\n"
    "We will continue to train coast guards.\n"
)


@pytest.fixture
def earlier(db):
    """Two pledges opened at a 2018 meeting; members Portugal, Ghana and Chile stored (not Norway, Uruguay)."""
    statement = StatementFactory(
        slug="valletta-2018",
        text=EARLIER_TEXT,
        meeting=MeetingFactory(slug="valletta-2018", start_date=datetime.date(2018, 3, 1)),
    )
    demining = CommitmentFactory(
        slug="valletta-2018-demining",
        statement=statement,
        phrase="We will clear the mines from the farmland of the Euphrates valley.",
        summary="Clear mines from farmland in the Euphrates valley.",
    )
    coast = CommitmentFactory(
        slug="valletta-2018-coast-guards",
        statement=statement,
        phrase="We will train the coast guards of the Gulf of Guinea.",
        summary="Train coast guards in the Gulf of Guinea.",
    )
    ThreadEntryFactory(thread=ThreadFactory(slug="demining", title="Demining farmland"), commitment=demining)
    ThreadEntryFactory(thread=ThreadFactory(slug="coast-guards", title="Coast guard training"), commitment=coast)
    for slug, name in (("portugal", "Portugal"), ("ghana", "Ghana"), ("chile", "Chile")):
        MemberFactory(slug=slug, name=name)
    return demining


@pytest.fixture
def ingested(earlier):
    meeting = MeetingFactory(slug="lisbon-2020", start_date=datetime.date(2020, 6, 1))
    result = ingest_statement(
        text=NEW_TEXT, meeting=meeting, slug="lisbon-2020", title="Lisbon", kind="statement", issuer="Ministers"
    )
    return result.statement


def dry_run(tmp_path, text=NEW_TEXT):
    path = tmp_path / "statement.txt"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    call_command("ingest", str(path), "--dry-run", "--json", stdout=out)
    return json.loads(out.getvalue())


def suggestion(statement, kind, **filters):
    return Suggestion.objects.get(statement=statement, kind=kind, **filters)


# --- found in the text ----------------------------------------------------------------------------


def test_each_role_is_found_with_its_quote_member_and_ordinal():
    found = participations(NEW_TEXT)
    assert [(p["member"], p["role"], p["ordinal"]) for p in found] == [
        ("Portugal", "host", None),
        ("Ghana", "co-chair", None),
        ("Norway", "co-chair", None),
        ("Chile", "new-member", 91),
        ("Uruguay", "observer", None),
    ]
    for item in found:
        assert NEW_TEXT[item["start"] : item["end"]] == item["quote"]
        assert item["member"] in item["quote"]
    assert found[3]["quote"] == "welcomed Chile as the 91st member"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("At the invitation of Danish Foreign Minister Anne Holm, the Ministers met.", [("Danish", "host")]),
        ("Kenya and Peru co-hosted the conference on river safety.", [("Kenya", "host"), ("Peru", "host")]),
        ("We welcomed new members joining the Coalition - Fiji, Nauru and Palau.", [
            ("Fiji", "new-member"), ("Nauru", "new-member"), ("Palau", "new-member")]),
        ("By inviting Laos and Bhutan to participate as observers, we widened the circle.", [
            ("Laos", "observer"), ("Bhutan", "observer")]),
        ("Conferences hosted by Oman raised funds. The Group will meet again.", []),
    ],
)  # fmt: skip
def test_phrasings_of_each_role(text, expected):
    assert [(p["member"], p["role"]) for p in participations(text)] == expected


def test_the_dry_run_lists_participations_and_evidence_in_the_documented_style(earlier, tmp_path):
    result = dry_run(tmp_path)
    assert set(result) == {"sha256", "suggestions", "figures", "participations", "evidence"}
    keys = {"start", "end", "quote", "member", "member_slug", "role", "ordinal", "cue"}
    for item in result["participations"]:
        assert set(item) == keys and NEW_TEXT[item["start"] : item["end"]] == item["quote"]
    slugs = {p["member"]: p["member_slug"] for p in result["participations"]}
    assert slugs == {"Portugal": "portugal", "Ghana": "ghana", "Norway": None, "Chile": "chile", "Uruguay": None}
    [evidence] = result["evidence"]
    assert set(evidence) == {"start", "end", "quote", "cue", "commitment", "thread", "score", "reason"}
    assert NEW_TEXT[evidence["start"] : evidence["end"]] == evidence["quote"]
    assert evidence["quote"].startswith("Partners have cleared")
    assert evidence["commitment"] == "valletta-2018-demining" and evidence["thread"] == "demining"
    assert evidence["cue"] == "have cleared" and 0 < evidence["score"] <= 1
    assert "“farmland”" in evidence["reason"] and "valletta-2018-demining" in evidence["reason"]


def test_the_dry_run_is_deterministic_and_writes_nothing(earlier, tmp_path):
    before = (Suggestion.objects.count(), Participation.objects.count(), Evidence.objects.count())
    assert dry_run(tmp_path) == dry_run(tmp_path)
    assert (Suggestion.objects.count(), Participation.objects.count(), Evidence.objects.count()) == before


def test_the_old_keys_keep_their_meaning_on_a_seed_statement(seeded, tmp_path, monkeypatch):
    from meetings.models import Statement

    text = Statement.objects.get(slug="paris-2019-readout").text
    with_evidence = dry_run(tmp_path, text)
    monkeypatch.setattr("ingest.ranking.progress_spans", lambda text: [])
    without = dry_run(tmp_path, text)
    for key in ("sha256", "suggestions", "figures"):
        assert with_evidence[key] == without[key], key
    assert without["evidence"] == [] and with_evidence["participations"] == without["participations"]


def test_evidence_proposes_only_a_commitment_of_an_earlier_meeting(earlier):
    """The pledge's commitment from the same meeting is not proposed: evidence comes from a later one."""
    row = {"id": 1, "slug": "same-day", "quote": "q", "summary": "", "threads": [7]}
    row["statement__meeting__start_date"] = datetime.date(2020, 6, 1)
    pledge = {"id": 7, "slug": "p", "earlier_slug": "older", "earlier_quote": "older words"}
    assert progress.proposed_commitment([(0.9, row)], pledge, 0.5, datetime.date(2020, 6, 1))[0] == "older"
    assert progress.proposed_commitment([(0.9, row)], pledge, 0.5, None)[0] == "same-day"
    assert progress.proposed_commitment([(0.9, row)], pledge, 0.01, None)[0] is None


# --- stored, accepted, rejected ---------------------------------------------------------------------


def test_ingest_stores_them_as_suggestions_nothing_public(ingested):
    kinds = list(ingested.suggestions.values_list("kind", flat=True))
    assert kinds.count(SuggestionKind.PARTICIPATION) == 5 and kinds.count(SuggestionKind.EVIDENCE) == 1
    chile = suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Chile")
    assert chile.ordinal == 91 and chile.member.slug == "chile" and chile.role == "new-member"
    evidence = suggestion(ingested, SuggestionKind.EVIDENCE)
    assert evidence.evidence_for.slug == "valletta-2018-demining" and evidence.thread.slug == "demining"
    assert not Participation.objects.exists() and not Evidence.objects.exists()


def test_accepting_participations_creates_them_through_the_model_rules(ingested):
    curator = UserFactory(username="curator")
    host = accept_suggestion(
        suggestion=suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Portugal"), by=curator
    )
    assert (host.role, host.member.slug, host.meeting.slug, host.statement_id) == (
        "host",
        "portugal",
        "lisbon-2020",
        ingested.pk,
    )
    assert ingested.text[host.start : host.end] == host.quote == "hosted by Portugal"
    co_chair = accept_suggestion(
        suggestion=suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Ghana"), by=curator
    )
    assert co_chair.role == ParticipationRole.HOST and "Co-chair" in co_chair.note
    new = accept_suggestion(
        suggestion=suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Chile"), by=curator
    )
    assert new.role == ParticipationRole.NEW_MEMBER and "91st member" in new.note
    norway = suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Norway")
    with pytest.raises(ValidationError, match="No stored member is named “Norway”"):
        accept_suggestion(suggestion=norway, by=curator)
    norway.refresh_from_db()
    assert norway.is_pending()
    stored = MemberFactory(slug="norway", name="Norway")
    made = accept_suggestion(suggestion=norway, by=curator, changes={"member": stored})
    assert made.member == stored
    norway.refresh_from_db()
    assert norway.status == SuggestionStatus.ACCEPTED and norway.participation == made
    assert Participation.objects.count() == 4  # each through full_clean: a second one alike is refused
    with pytest.raises(ValidationError):
        Participation(meeting=made.meeting, member=stored, role="host", statement=ingested, quote=made.quote,
                      start=made.start, end=made.end).full_clean()  # fmt: skip


def test_accepting_evidence_creates_the_quote_and_a_draft_assessment(ingested, earlier):
    curator = UserFactory(username="curator")
    proposed = suggestion(ingested, SuggestionKind.EVIDENCE)
    evidence = accept_suggestion(suggestion=proposed, by=curator)
    assert evidence.statement == ingested and ingested.text[evidence.start : evidence.end] == evidence.quote
    assert evidence.self_reported
    [link] = AssessmentEvidence.objects.all()
    assessment = link.assessment
    assert link.evidence == evidence and assessment.commitment == earlier
    assert assessment.review_state == ReviewState.DRAFT and assessment.verdict == Verdict.NOT_ASSESSED
    assert assessment.drafted_by == "curator" and assessment.assessed_on == datetime.date(2020, 6, 1)
    assert "Partners have cleared" in link.relied_on
    proposed.refresh_from_db()
    assert proposed.status == SuggestionStatus.ACCEPTED and proposed.evidence == evidence
    assert proposed.assessment == assessment


def test_rejecting_creates_nothing_and_is_not_suggested_again(ingested):
    curator = UserFactory(username="curator")
    for kind, filters in ((SuggestionKind.PARTICIPATION, {"member_name": "Uruguay"}), (SuggestionKind.EVIDENCE, {})):
        rejected = reject_suggestion(suggestion=suggestion(ingested, kind, **filters), by=curator, note="no")
        assert rejected.status == SuggestionStatus.REJECTED
    assert not Participation.objects.exists() and not Evidence.objects.exists()
    accept_suggestion(suggestion=suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Chile"), by=curator)
    result = suggest_for_statement(statement=ingested)
    assert result.skipped >= 3
    pending = ingested.suggestions.pending()
    assert not pending.filter(kind=SuggestionKind.EVIDENCE).exists()
    names = set(pending.filter(kind=SuggestionKind.PARTICIPATION).values_list("member_name", flat=True))
    assert names == {"Portugal", "Ghana", "Norway"}


# --- the admin's "accept with edits" ------------------------------------------------------------------


def test_the_admin_accepts_a_participation_with_the_member_chosen(ingested, curator_client):
    from django.urls import reverse

    norway = suggestion(ingested, SuggestionKind.PARTICIPATION, member_name="Norway")
    url = reverse("admin:ingest_suggestion_change", args=[norway.pk])
    page = curator_client.get(url).content.decode()
    assert 'name="member"' in page and 'name="role"' in page and "The text names “Norway”." in page
    assert 'name="line_of_effort"' not in page
    stored = MemberFactory(slug="norway", name="Norway")
    data = {"quote": norway.quote, "start": norway.start, "member": stored.pk, "role": "host", "note": ""}
    response = curator_client.post(url, data)
    assert response.status_code == 302
    made = Participation.objects.get(member=stored)
    assert made.role == "host" and "Co-chair" in made.note and made.quote == norway.quote


def test_the_admin_accepts_evidence_for_the_commitment_named(ingested, earlier, curator_client):
    from django.urls import reverse

    proposed = suggestion(ingested, SuggestionKind.EVIDENCE)
    url = reverse("admin:ingest_suggestion_change", args=[proposed.pk])
    page = curator_client.get(url).content.decode()
    assert 'value="valletta-2018-demining"' in page
    data = {"quote": proposed.quote, "start": proposed.start, "commitment": "nope", "self_reported": "on"}
    assert "No commitment has the slug “nope”." in curator_client.post(url, data).content.decode()
    response = curator_client.post(url, {**data, "commitment": earlier.slug, "relied_on": "Cleared farmland."})
    assert response.status_code == 302
    [link] = AssessmentEvidence.objects.all()
    assert link.relied_on == "Cleared farmland." and link.assessment.commitment == earlier


def test_the_review_says_what_accepting_them_as_proposed_creates(ingested, curator_client):
    """Issue 19: the review page says what "as proposed" creates for every kind, these two included."""
    from ingest.proposal import as_proposed

    said = {
        (s.kind, s.member_name): str(as_proposed(s))
        for s in ingested.suggestions.select_related("member", "evidence_for").exclude(kind=SuggestionKind.COMMITMENT)
    }
    assert said[(SuggestionKind.PARTICIPATION, "Portugal")] == (
        "Creates a participation of Portugal at this meeting as host."
    )
    assert said[(SuggestionKind.PARTICIPATION, "Ghana")] == (
        "Creates a participation of Ghana at this meeting as host, as the statement says co-chair."
    )
    assert said[(SuggestionKind.PARTICIPATION, "Norway")].startswith(
        "Cannot be accepted as proposed: no stored member is named “Norway”"
    )
    assert "on “valletta-2018-demining”, added to a draft assessment" in said[(SuggestionKind.EVIDENCE, "")]
    page = curator_client.get(f"/admin/ingest/suggestion/review/{ingested.pk}/").content.decode()
    assert "Creates a participation of Chile at this meeting as new member." in page
