"""The follow-through reads of the API as of a date (`?as_of=`): assessments, assessment cycles and evidence, the
list and a record, as they stood then; the commitments' list's `status` and `q` read then.

Nothing of the present leaks in (a record renamed since has its fields of then, one added since is absent, one
deleted since is present, a draft of then hidden), and a read asks as many queries whatever the history's length.
"""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from commitments.follow_through import approve
from commitments.models import AssessmentCycle, Evidence
from tests import test_follow_through
from tests.factories import MeetingFactory, MemberFactory, ParticipationFactory, StatementFactory
from tests.test_follow_through import quote_evidence
from tests.test_follow_through_parts import draft_with

pytestmark = pytest.mark.django_db
pledge = test_follow_through.pledge
ON = datetime.date(2019, 6, 25)
CHANGES = 12


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def outside_source(slug, **extra):
    evidence = Evidence(
        slug=slug,
        url="https://example.org/report",
        title="A report",
        publisher="An observatory",
        published_on=datetime.date(2019, 5, 1),
        passage="Fighters were returned.",
        **extra,
    )
    evidence.full_clean()
    evidence.save()
    return evidence


def approved(assessment):
    return approve(assessment, approved_by="bob", version=assessment.version())


@pytest.fixture
def followed(pledge):
    """An approved assessment with a quoted evidence item, two members' scores and its cycle; a draft assessment;
    an outside source; the moment `then`; and after it a long history: every record rewritten many times, a
    member renamed, the outside source deleted, a draft approved, an assessment, a cycle and evidence added."""
    commitment, report, cycle = pledge
    meeting = commitment.statement.meeting
    france, italy = (MemberFactory(slug=slug, name=f"{slug.title()}, then") for slug in ("france", "italy"))
    for member in (france, italy):
        ParticipationFactory(meeting=meeting, member=member, role="member")
    evidence = quote_evidence(report, note="Read then.")
    kept = approved(
        draft_with(
            commitment,
            cycle,
            evidence=[(evidence, "Freed, as read then.")],
            members=[(france, 1, "did its part", None), (italy, 0, "in part", None)],
            note="Assessed then.",
        )
    )
    waiting = draft_with(commitment, cycle, verdict="no-evidence", on=ON - datetime.timedelta(days=1))
    gone = outside_source("deleted-since")
    then = timezone.now()
    for n in range(CHANGES):
        kept.note = f"Corrected since ({n})."
        kept.save()
        evidence.note = f"Reread since ({n})."
        evidence.save()
        cycle.name = f"Berlin → Paris, renamed since ({n})"
        cycle.save()
    france.name = "France, renamed since"
    france.save()
    gone.delete()
    approved(waiting)
    outside_source("added-since")
    later = MeetingFactory(slug="rome", start_date=datetime.date(2021, 3, 1), end_date=datetime.date(2021, 3, 2))
    AssessmentCycle.objects.create(
        slug="paris-to-rome", name="Paris → Rome", from_meeting=cycle.to_meeting, to_meeting=later
    )
    return {"then": then.isoformat(), "kept": kept, "waiting": waiting, "commitment": commitment, "cycle": cycle}


def get(client, name, *args, **params):
    return client.get(reverse(f"api:{name}", args=args), params)


def test_the_assessments_list_as_of_a_moment_is_the_list_then(client, followed, django_assert_num_queries):
    then = followed["then"]
    # The page and its count; its commitments, cycles, evidence rows, scores, money stages, evidence, their
    # statements and the members scored: ten, whatever the history's length (no superseded assessment here).
    with django_assert_num_queries(10):
        response = get(client, "assessment-list", as_of=then)
    assert response.status_code == 200, response.json()
    (row,) = response.json()["results"]  # the draft of then is hidden; approved since, it is listed today
    assert row["key"] == followed["kept"].key() and row["note"] == "Assessed then."
    assert row["cycle"] == "berlin-to-paris"
    assert [e["evidence"]["note"] for e in row["evidence"]] == ["Read then."]
    assert [(s["member"], s["score"]) for s in row["member_scores"]] == [("france", 1), ("italy", 0)]
    today = get(client, "assessment-list").json()["results"]
    assert len(today) == 2 and set(row) == set(today[0])
    assert response["Link"] == '<http://testserver/api/v1/assessments/>; rel="original"'


def test_an_assessment_as_of_a_moment_is_as_it_was_then(client, followed, django_assert_num_queries):
    then, kept, waiting = followed["then"], followed["kept"], followed["waiting"]
    with django_assert_num_queries(9):  # the assessment, then as a page of one (no count)
        response = get(client, "assessment-detail", kept.key(), as_of=then)
    assert response.status_code == 200
    body = response.json()
    assert body["note"] == "Assessed then." and body["evidence"][0]["relied_on"] == "Freed, as read then."
    assert set(body) == set(get(client, "assessment-detail", kept.key()).json())
    assert response["Memento-Datetime"] and response["ETag"].startswith('W/"as-of-')
    # A draft then is not found for a reader, though approved since; a curator sees it as the draft it was.
    assert get(client, "assessment-detail", waiting.key(), as_of=then).status_code == 404
    assert get(client, "assessment-detail", waiting.key()).status_code == 200
    assert get(client, "assessment-detail", kept.key(), as_of="2001-01-01").status_code == 404
    assert get(client, "assessment-detail", kept.key(), as_of="then").status_code == 400


def test_a_curator_sees_the_drafts_of_then_among_the_assessments_as_of_then(client, followed, admin_user):
    client.force_login(admin_user)
    then, waiting = followed["then"], followed["waiting"]
    keys = {row["key"]: row for row in get(client, "assessment-list", as_of=then).json()["results"]}
    assert keys[waiting.key()]["review_state"] == "draft"
    assert get(client, "assessment-detail", waiting.key(), as_of=then).json()["review_state"] == "draft"


def test_the_assessments_list_as_of_a_moment_filters_by_the_fields_of_then(client, followed, admin_user):
    then, kept = followed["then"], followed["kept"]
    client.force_login(admin_user)

    def keys(**params):
        response = get(client, "assessment-list", as_of=then, **params)
        assert response.status_code == 200, response.json()
        return [row["key"] for row in response.json()["results"]]

    assert keys(review_state="approved") == [kept.key()]
    assert keys(review_state="draft") == [followed["waiting"].key()]
    assert keys(member="france") == [kept.key()]
    assert keys(cycle="berlin-to-paris", verdict="kept") == [kept.key()]
    assert keys(meeting="berlin", line_of_effort=followed["commitment"].line_of_effort.slug) != []
    assert keys(meeting="paris") == []
    assert len(keys(commitment="berlin-pledge", ordering="assessed_on")) == 2
    for name, value in (("cycle", "paris-to-rome"), ("member", "nobody")):  # added since, or never
        unknown = get(client, "assessment-list", as_of=then, **{name: value})
        assert unknown.status_code == 400 and name in unknown.json()
    refused = get(client, "assessment-list", as_of=then, changed_since="2024-01-01T00:00:00Z")
    assert refused.status_code == 400 and "changed_since" in refused.json()
    csv = get(client, "assessment-list", as_of=then, format="csv")
    text = b"".join(csv.streaming_content).decode()
    assert csv.status_code == 200 and "Assessed then." in text and "Corrected since" not in text


def test_the_cycles_and_evidence_as_of_a_moment_are_as_they_were_then(client, followed, django_assert_num_queries):
    then = followed["then"]
    with django_assert_num_queries(3):  # the page, its count, the cycles' meetings
        cycles = get(client, "assessmentcycle-list", as_of=then)
    assert [(c["slug"], c["name"]) for c in cycles.json()["results"]] == [("berlin-to-paris", "Berlin → Paris")]
    assert cycles.json()["results"][0]["window"] == ["2016-11-17", "2019-06-25"]
    assert cycles["Link"] == '<http://testserver/api/v1/assessment-cycles/>; rel="original"'
    with django_assert_num_queries(2):  # the cycle and its meetings
        cycle = get(client, "assessmentcycle-detail", "berlin-to-paris", as_of=then)
    assert cycle.json()["name"] == "Berlin → Paris" and set(cycle.json()) == set(cycles.json()["results"][0])
    assert get(client, "assessmentcycle-detail", "paris-to-rome", as_of=then).status_code == 404
    with django_assert_num_queries(3):  # the page, its count, the quoted statements
        evidence = get(client, "evidence-list", as_of=then)
    listed = {e["slug"]: e for e in evidence.json()["results"]}
    assert set(listed) == {"paris-freed", "deleted-since"}  # deleted since: there then; added since: absent
    assert listed["paris-freed"]["note"] == "Read then." and listed["paris-freed"]["statement"] == "paris-text"
    assert set(listed["paris-freed"]) == set(get(client, "evidence-list").json()["results"][0])
    with django_assert_num_queries(2):  # the item and the statement it quotes
        assert get(client, "evidence-detail", "paris-freed", as_of=then).json()["note"] == "Read then."
    with django_assert_num_queries(1):  # an outside source quotes no statement
        item = get(client, "evidence-detail", "deleted-since", as_of=then)
    assert item.status_code == 200 and item.json()["statement"] is None
    assert get(client, "evidence-detail", "deleted-since").status_code == 404
    assert get(client, "evidence-detail", "added-since", as_of=then).status_code == 404
    refused = get(client, "evidence-list", as_of=then, changed_since="2024-01-01T00:00:00Z")
    assert refused.status_code == 400 and "changed_since" in refused.json()


def test_evidence_and_cycles_of_a_draft_then_are_hidden_as_of_then(client, admin_user):
    meeting = MeetingFactory(slug="drafted", draft=True)
    statement = StatementFactory(meeting=meeting, slug="drafted-text")
    earlier = MeetingFactory(slug="earlier", start_date=datetime.date(2015, 1, 1), end_date=datetime.date(2015, 1, 2))
    quote_evidence(statement, slug="quoting-a-draft")
    AssessmentCycle.objects.create(slug="to-a-draft", name="To a draft", from_meeting=earlier, to_meeting=meeting)
    then = timezone.now().isoformat()
    meeting.draft = False
    meeting.save()
    assert get(client, "evidence-list", as_of=then).json()["count"] == 0
    assert get(client, "assessmentcycle-detail", "to-a-draft", as_of=then).status_code == 404
    assert get(client, "evidence-list").json()["count"] == 1
    client.force_login(admin_user)
    assert get(client, "evidence-list", as_of=then).json()["count"] == 1
    assert get(client, "assessmentcycle-detail", "to-a-draft", as_of=then).status_code == 200


@pytest.mark.parametrize("changes", [1, CHANGES])
def test_the_follow_through_reads_as_of_a_moment_ask_as_many_queries_whatever_the_historys_length(
    client, pledge, django_assert_num_queries, changes
):
    commitment, report, cycle = pledge
    france = MemberFactory(slug="france")
    ParticipationFactory(meeting=commitment.statement.meeting, member=france, role="member")
    evidence = quote_evidence(report)
    kept = approved(
        draft_with(commitment, cycle, evidence=[(evidence, "Freed.")], members=[(france, 1, "did its part", None)])
    )
    records = [(kept, "note"), (evidence, "note"), (cycle, "name"), (france, "name"), (commitment, "summary")]

    def rewrite():
        for n in range(changes):
            for record, field in records:
                setattr(record, field, f"{field} {n} {timezone.now().isoformat()}")
                record.save()

    rewrite()
    key = kept.key()
    then = timezone.now().isoformat()
    rewrite()
    commitment.slug = "renamed-since"  # the key of then is the slug of then
    commitment.save()
    with django_assert_num_queries(10):
        assert [row["key"] for row in get(client, "assessment-list", as_of=then).json()["results"]] == [key]
    with django_assert_num_queries(9):
        assert get(client, "assessment-detail", key, as_of=then).status_code == 200
    assert get(client, "assessment-detail", "renamed-since@2019-06-25", as_of=then).status_code == 404
    for name, queries in (("assessmentcycle-list", 3), ("evidence-list", 3)):
        with django_assert_num_queries(queries):
            assert get(client, name, as_of=then).json()["count"] == 1
    for name, params in (("verdicts", {"by": "member"}), ("verdicts", {"by": "line"}), ("commitments-by-line", {})):
        with django_assert_num_queries(1):
            assert get(client, name, as_of=then, **params).status_code == 200
