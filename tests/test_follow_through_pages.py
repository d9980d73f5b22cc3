"""Follow-through as readers see it (issue 18): verdicts counted, a pledge's verdict today and its course
across cycles, the matrix's verdicts, the follow-through page and the verdicts aggregate; drafts never shown."""

import csv
import datetime
import html
import io
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from commitments.follow_through import approve, record_assessment
from commitments.models import Assessment, AssessmentCycle, Commitment, Evidence, Verdict
from commitments.verdicts import percentage, verdict_counts
from tests.factories import (
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    UserFactory,
    span_of,
)
from tests.test_public import read_matrix

REPORT = "More than 7.7 million people have been freed."


def text_of(response):
    """The words a page's main part shows, tags stripped, spaces folded."""
    page = response.content.decode()
    main = page[page.index("<main") : page.index("</main>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", main)).split())


def evidence_in(statement, slug, **extra):
    start, end = span_of(REPORT)
    evidence = Evidence(slug=slug, statement=statement, start=start, end=end, quote=REPORT, **extra)
    evidence.full_clean()
    evidence.save()
    return evidence


def assess(commitment, report, verdict, on, *, approved=True, cycle=None, slug=None, **extra):
    """An assessment recorded and (unless `approved` is False) approved through the write services."""
    uses = (
        []
        if verdict in (Verdict.NO_EVIDENCE, Verdict.NOT_ASSESSED)
        else [(evidence_in(report, slug or f"ev-{commitment.slug}-{on}", self_reported=True), "People freed.")]
    )
    assessment = Assessment(
        commitment=commitment, assessed_on=on, verdict=verdict, assessor="Analyst", cycle=cycle, **extra
    )
    record_assessment(assessment, uses, drafted_by="alice")
    if approved:
        approve(assessment, approved_by="bob", version=assessment.version())
    return assessment


@pytest.fixture
def followed(db):
    """Two lines of effort; a pledge made in 2016 and again in 2019, assessed by a 2019 report; a pledge never
    assessed; and a commitment whose only assessment is a draft."""
    made = MeetingFactory(slug="berlin", start_date=datetime.date(2016, 11, 17), end_date=datetime.date(2016, 11, 17))
    later = MeetingFactory(slug="paris", start_date=datetime.date(2019, 6, 24), end_date=datetime.date(2019, 6, 25))
    last = MeetingFactory(slug="rome", start_date=datetime.date(2021, 6, 28), end_date=datetime.date(2021, 6, 28))
    report, final = StatementFactory(slug="paris-text", meeting=later), StatementFactory(slug="rome-text", meeting=last)
    stabilization, military = LineOfEffortFactory(slug="stab", position=1), LineOfEffortFactory(slug="mil", position=2)
    berlin = StatementFactory(slug="berlin-text", meeting=made)
    kept = CommitmentFactory(slug="kept-pledge", statement=berlin, line_of_effort=stabilization)
    again = CommitmentFactory(slug="again-pledge", statement=report, line_of_effort=stabilization)
    never = CommitmentFactory(slug="never-assessed", statement=berlin, line_of_effort=military)
    drafted = CommitmentFactory(slug="drafted-pledge", statement=berlin, line_of_effort=military)
    pledge, other = ThreadFactory(slug="funding", line_of_effort=stabilization), ThreadFactory(slug="quiet")
    ThreadEntryFactory(thread=pledge, commitment=kept, position=1, change_kind="new")
    ThreadEntryFactory(thread=pledge, commitment=again, position=2, change_kind="repeated")
    ThreadEntryFactory(thread=other, commitment=never, position=1, change_kind="new")
    ThreadEntryFactory(thread=other, commitment=drafted, position=2, change_kind="new")
    cycle = AssessmentCycle.objects.create(
        slug="b-p", name="Berlin → Paris (final)", from_meeting=made, to_meeting=later
    )
    first = assess(kept, report, Verdict.COMPROMISE, datetime.date(2019, 6, 25), cycle=cycle)
    assess(
        kept,
        final,
        Verdict.KEPT,
        datetime.date(2021, 6, 28),
        supersedes=first,
        supersede_reason="recalibrated: new material",
    )
    assess(again, final, Verdict.NO_EVIDENCE, datetime.date(2021, 6, 27))
    assess(drafted, final, Verdict.BROKEN, datetime.date(2021, 6, 28), approved=False, slug="draft-only-evidence")
    return {"pledge": pledge, "quiet": other, "kept": kept, "drafted": drafted}


# -- counting ------------------------------------------------------------------------------------


def test_verdicts_are_counted_by_the_newest_approved_assessment_never_a_draft(followed, django_assert_num_queries):
    with django_assert_num_queries(1):
        by_line = {group.key: group for group in verdict_counts(Commitment.objects.all(), "line")}
    stab, mil = by_line["stab"], by_line["mil"]
    # The newer approved verdict (kept) counts, not the one it supersedes; "no evidence" is not scored.
    assert (stab.count(Verdict.KEPT), stab.count(Verdict.COMPROMISE), stab.count(Verdict.NO_EVIDENCE)) == (1, 0, 1)
    assert (stab.total, stab.scored, stab.percentage) == (2, 1, 100.0)
    # The draft's "broken" is not counted: both military commitments are not assessed, and nothing is scored.
    assert (mil.total, mil.not_assessed, mil.count(Verdict.BROKEN), mil.percentage) == (2, 2, 0, None)
    by_meeting = [
        (group.key, group.total, group.not_assessed) for group in verdict_counts(Commitment.objects.all(), "meeting")
    ]
    assert by_meeting == [("berlin", 3, 2), ("paris", 1, 0)]


@pytest.mark.parametrize(("average", "expected"), [(-1, 0), (0, 50), (1, 100), (0.42, 71), (None, None)])
def test_the_percentage_is_the_g20_research_groups(average, expected):
    assert (None if expected is None else round(percentage(average))) == expected


# -- the API -------------------------------------------------------------------------------------


def test_the_verdicts_aggregate_counts_approved_verdicts_by_line_and_meeting_and_as_csv(followed):
    client = APIClient()
    rows = {row["key"]: row for row in client.get("/api/v1/aggregates/verdicts/", {"by": "line"}).json()}
    assert rows["mil"] == {
        "key": "mil",
        "name": rows["mil"]["name"],
        "total": 2,
        "kept": 0,
        "compromise": 0,
        "in_the_works": 0,
        "stalled": 0,
        "broken": 0,  # the draft is not counted
        "not_started": 0,
        "no_evidence": 0,
        "not_assessed": 2,
        "scored": 0,
        "average_score": None,
        "percentage": None,
    }
    assert (rows["stab"]["kept"], rows["stab"]["no_evidence"], rows["stab"]["percentage"]) == (1, 1, 100.0)
    meetings = client.get("/api/v1/aggregates/verdicts/", {"by": "meeting"}).json()
    assert [(row["key"], row["total"], row["not_assessed"]) for row in meetings] == [("berlin", 3, 2), ("paris", 1, 0)]
    response = client.get("/api/v1/aggregates/verdicts/", {"by": "meeting", "format": "csv"})
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0][:4] == ["key", "name", "total", "kept"] and [row[0] for row in table[1:]] == ["berlin", "paris"]
    refused = client.get("/api/v1/aggregates/verdicts/", {"by": "commitment"})
    assert refused.status_code == 400 and refused.json()["by"] == ["by must be one of: line, meeting, member."]


@pytest.mark.parametrize("size", [1, 4])
def test_the_verdicts_aggregate_runs_one_query_at_any_size(db, django_assert_num_queries, size):
    later = MeetingFactory(start_date=datetime.date(2030, 1, 1), end_date=datetime.date(2030, 1, 1))
    report = StatementFactory(meeting=later)
    for index in range(size):
        commitment = CommitmentFactory(
            statement=StatementFactory(meeting=MeetingFactory(start_date=datetime.date(2010 + index, 1, 1)))
        )
        assess(commitment, report, Verdict.IN_THE_WORKS, datetime.date(2030, 1, 1))
    for by in ("line", "meeting"):
        with django_assert_num_queries(1):
            rows = APIClient().get("/api/v1/aggregates/verdicts/", {"by": by}).json()
        assert sum(row["in_the_works"] for row in rows) == size


def test_assessments_filter_by_line_and_meeting_and_drafts_are_for_curators_and_auditors(followed, curator, auditor):
    anonymous = APIClient()
    listed = anonymous.get("/api/v1/assessments/", {"line_of_effort": "stab"}).json()["results"]
    assert sorted(row["commitment"] for row in listed) == ["again-pledge", "kept-pledge", "kept-pledge"]
    assert [
        row["commitment"] for row in anonymous.get("/api/v1/assessments/", {"meeting": "paris"}).json()["results"]
    ] == ["again-pledge"]
    # The draft: never for an anonymous reader, nor a signed-in user without a role; curators and auditors see it.
    assert anonymous.get("/api/v1/assessments/", {"line_of_effort": "mil"}).json()["results"] == []
    reader = APIClient()
    reader.force_authenticate(UserFactory(username="reader"))
    assert reader.get("/api/v1/assessments/", {"line_of_effort": "mil"}).json()["results"] == []
    for user in (curator, auditor):
        signed_in = APIClient()
        signed_in.force_authenticate(user)
        rows = signed_in.get("/api/v1/assessments/", {"line_of_effort": "mil"}).json()["results"]
        assert [(row["commitment"], row["review_state"]) for row in rows] == [("drafted-pledge", "draft")], user


# -- the pages -----------------------------------------------------------------------------------


def test_a_pledge_opens_with_its_verdict_today_and_its_course_across_cycles(client, followed):
    response = client.get(reverse("public:pledge", args=["funding"]))
    page = text_of(response)
    today = page[page.index("Its verdict today") : page.index("In one line")]
    assert "✓ kept — a later source reports the pledge carried out (score +1). As of 28 June 2021" in today
    course = page[page.index("What was promised, and what was reported") :]
    # Cycles in time order, assessments in no cycle last; the superseded verdict still shown, with why.
    assert course.index("Berlin → Paris (final)") < course.index("Outside any assessment cycle")
    assert "Reported : ◐ compromise as of 25 June 2019" in course
    assert "Superseded on 28 June 2021 by “kept”: recalibrated: new material." in course
    assert "It supersedes the verdict of 25 June 2019 (compromise): recalibrated: new material." in course
    assert f"“{REPORT}”" in course and "self-reported" in course and "Relied on for: People freed." in course
    assert "? no evidence available as of 27 June 2021" in course


def test_a_pledge_with_only_a_draft_says_not_yet_assessed_and_shows_no_draft(client, followed):
    page = text_of(client.get(reverse("public:pledge", args=["quiet"])))
    assert "Its verdict today Not yet assessed." in page
    assert "broken" not in page and "What was promised, and what was reported" not in page


def test_the_matrix_marks_each_cells_verdict_beside_its_change_kind_never_a_draft(client, followed):
    matrix = read_matrix(client.get("/"))
    assert matrix.rows["funding"]["berlin"] == ["+ new"]
    assert matrix.verdicts[("funding", "berlin")] == ["✓ kept"]
    assert matrix.verdicts[("funding", "paris")] == ["? no evidence available"]
    assert ("quiet", "berlin") not in matrix.verdicts  # the draft's "broken" is not shown, nor "not assessed"


def test_the_follow_through_page_counts_verdicts_by_line_and_meeting_with_links_never_a_draft(client, followed):
    response = client.get(reverse("public:follow-through"))
    page = response.content.decode()
    words = text_of(response)
    assert "Verdicts by line of effort" in words and "Verdicts by meeting" in words
    # Not assessed counted, never hidden; the draft not counted.
    assert "100 % · 2 of 2 assessed" in words and "not scored · 0 of 2 assessed" in words
    assert re.search(r'href="/api/v1/assessments/\?format=csv&amp;page_size=500&amp;line_of_effort=mil"', page)
    assert "/api/v1/assessments/?meeting=berlin" in page
    assert 'href="/meetings/berlin/"' in page
    assert re.search(r'<svg class="chart"[^>]*role="img"', page) and page.count("<table") == 2
    nav = page[page.index('<nav aria-label="Sections">') : page.index("</nav>")]
    assert 'href="/follow-through/" aria-current="page"' in nav


@pytest.mark.parametrize("size", [1, 4])
def test_the_pages_run_a_fixed_number_of_queries_with_assessments(client, db, django_assert_num_queries, size):
    """Pledge 6 (with its links, since issue 23), matrix 5, follow-through 5: the same with one assessed
    commitment or many, each with evidence."""
    final = StatementFactory(
        meeting=MeetingFactory(start_date=datetime.date(2040, 1, 1), end_date=datetime.date(2040, 1, 1))
    )
    thread = ThreadFactory()
    for index in range(size):
        meeting = MeetingFactory(
            start_date=datetime.date(2010 + index, 1, 1), end_date=datetime.date(2010 + index, 1, 1)
        )
        commitment = CommitmentFactory(
            statement=StatementFactory(meeting=meeting), line_of_effort=thread.line_of_effort
        )
        ThreadEntryFactory(
            thread=thread, commitment=commitment, position=index + 1, change_kind="new" if not index else "repeated"
        )
        assess(commitment, final, Verdict.KEPT, datetime.date(2040, 1, 1))
    for name, args, queries in (
        ("public:pledge", [thread.slug], 6),
        ("public:matrix", [], 5),
        ("public:follow-through", [], 5),
    ):
        with django_assert_num_queries(queries):
            response = client.get(reverse(name, args=args))
        assert response.status_code == 200
        assert response.content.decode().count("✓") >= size, name


# -- the seed ------------------------------------------------------------------------------------


def test_the_seeds_stabilization_pledge_shows_what_became_of_it_in_the_sources_words(client, seeded):
    page = text_of(client.get(reverse("public:pledge", args=["stabilization-funding"])))
    assert "Its verdict today ↻ in the works" in page
    course = page[page.index("What was promised, and what was reported") :]
    assert course.index("Berlin 2016 → Paris 2019 (final)") < course.index("Copenhagen 2020 → Rome 2021 (final)")
    assert "Promised at Berlin 2016" in course and "“We urge continued support for the UN’s Funding Facility" in course
    assert "Coalition partners have raised $20 billion to stabilise, rebuild and give vital humanitarian aid" in course
    assert "self-reported" in course


def test_the_seeds_follow_through_page_and_aggregate_agree(client, seeded, django_assert_num_queries):
    with django_assert_num_queries(5):
        words = text_of(client.get(reverse("public:follow-through")))
    with django_assert_num_queries(1):
        rows = client.get("/api/v1/aggregates/verdicts/", {"by": "line"}).json()
    assessed = sum(row["total"] - row["not_assessed"] for row in rows)
    assert assessed == Assessment.objects.approved().values("commitment").distinct().count()
    for row in rows:
        assert f"{row['total'] - row['not_assessed']} of {row['total']} assessed" in words
