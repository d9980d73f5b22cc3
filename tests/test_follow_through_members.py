"""Follow-through by member and money by stage, as readers see them (issue 18): the follow-through page's
scores by member (chart, table, the assessments scoring no member), the verdicts aggregate by member, and
a pledge's money chart; drafts never shown, nothing summed, fixed query counts.

The hand-checked example (`collective_pledge`): three members took part in Berlin 2016, where a priced
pledge (20,000,000 USD), a second pledge and a third were made. The newest approved assessments score
the priced pledge France +1, Italy 0, Libya −1 and the second France +1, Italy 0; the third is assessed
without scoring any member. France: 2 scored, both +1, 100 %; Italy: 2 scored, both 0, 50 %; Libya: 1
scored, −1, 0 %; all together +1 ×2, 0 ×2, −1 ×1: average 0.2, 60 %. One of the three assessments counted
scores no member. The priced pledge's first approved assessment (superseded: France −1) and a newer draft
(France −1, and 20,000,000 USD "paid") are never counted nor shown.
"""

import csv
import datetime
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from commitments.follow_through import approve, record_assessment
from commitments.models import Assessment, MemberScore, MoneyStage, Verdict
from tests.factories import (
    CommitmentFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
)
from tests.test_follow_through import quote_evidence
from tests.test_follow_through_pages import text_of

PLEDGE = "stabilization-money"


def assessed(commitment, on, evidence, *, members=(), money=(), approved=True, **extra):
    """An assessment recorded through the write service (a draft by alice), approved by bob unless not."""
    assessment = Assessment(
        commitment=commitment, assessed_on=on, verdict=Verdict.IN_THE_WORKS, assessor="Analyst", **extra
    )
    record_assessment(
        assessment,
        [(evidence, "People freed: the work went on.")],
        drafted_by="alice",
        members=[(member, score, f"{member.name}'s part.", None) for member, score in members],
        money=[(stage, Decimal(amount), evidence, f"{stage.title()} as the report says.") for stage, amount in money],
    )
    if approved:
        approve(assessment, approved_by="bob", version=assessment.version())
    return assessment


def collective_pledge():
    """The hand-checked example of the module's docstring; returns the recurring pledge's slug."""
    made = MeetingFactory(
        slug="berlin", city="Berlin", start_date=datetime.date(2016, 11, 17), end_date=datetime.date(2016, 11, 17)
    )
    later = MeetingFactory(slug="paris", start_date=datetime.date(2019, 6, 24), end_date=datetime.date(2019, 6, 25))
    statement = StatementFactory(slug="berlin-text", meeting=made)
    evidence = quote_evidence(StatementFactory(slug="paris-text", meeting=later))
    france, italy, libya = (
        ParticipationFactory(meeting=made, member=MemberFactory(slug=slug, name=name), role=role).member
        for slug, name, role in (
            ("france", "France", "host"),
            ("italy", "Italy", "member"),
            ("libya", "Libya", "new-member"),
        )
    )
    thread = ThreadFactory(slug=PLEDGE, title="Fund stabilization")
    priced = CommitmentFactory(
        slug="priced-pledge",
        statement=statement,
        line_of_effort=thread.line_of_effort,
        phrase="We must continue to increase our stabilization contributions.",
        amount=Decimal("20000000"),
        currency="USD",
    )
    ThreadEntryFactory(thread=thread, commitment=priced, position=1, change_kind="new")
    second = CommitmentFactory(slug="second-pledge", statement=statement, phrase="We welcome the progress.")
    third = CommitmentFactory(slug="third-pledge", statement=statement)
    first = assessed(
        priced, datetime.date(2019, 6, 24), evidence, members=[(france, -1)], money=[("pledged", "20000000")]
    )
    newest = assessed(
        priced,
        datetime.date(2019, 6, 25),
        evidence,
        members=[(france, 1), (italy, 0), (libya, -1)],
        money=[("pledged", "20000000"), ("committed", "12000000"), ("paid", "4500000.50")],
        supersedes=first,
        supersede_reason="recalibrated: new material",
    )
    assessed(
        priced,
        datetime.date(2019, 6, 26),
        evidence,
        members=[(france, -1), (italy, -1)],
        money=[("pledged", "20000000"), ("paid", "20000000")],
        supersedes=newest,
        supersede_reason="recalibrated: new material",
        approved=False,
    )
    assessed(second, datetime.date(2019, 6, 24), evidence, members=[(france, 1), (italy, 0)])
    assessed(third, datetime.date(2019, 6, 24), evidence)
    return thread.slug


@pytest.fixture
def scored(db):
    return collective_pledge()


def table_rows(page, css_class):
    """A table's body rows (by its class) as lists of cell texts."""
    table = re.search(rf'<table class="[^"]*\b{css_class}\b[^"]*">(.*?)</table>', page, re.S)[1]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


# -- the follow-through page, by member -----------------------------------------------------------------


def test_the_follow_through_page_gives_each_members_scores_and_percentage(client, scored):
    response = client.get(reverse("public:follow-through"))
    page = response.content.decode()
    section = page[page.index('<section aria-labelledby="by-member-heading"') :]
    section = section[: section.index("</section>")]
    # Member, +1, 0, −1, scored on, percentage, data: by hand (see the module's docstring).
    assert [row[:6] for row in table_rows(section, "member-scores")] == [
        ["France", "2", "0", "0", "2", "100 %"],
        ["Italy", "0", "2", "0", "2", "50 %"],
        ["Libya", "0", "0", "1", "1", "0 %"],
    ]
    assert "All members</th><td>2</td><td>2</td><td>1</td><td>5</td><td>60 %</td>" in section
    # The chart says the same, each bar its percentage and how many commitments the member is scored on.
    assert re.search(r'<svg class="chart"[^>]*role="img" aria-labelledby="by-member-chart-title', section)
    for summary in ("100 % · scored on 2", "50 % · scored on 2", "0 % · scored on 1"):
        assert summary in section
    assert section.count('class="verdict-fill score-fill-plus_one"') == 1  # France's; Italy and Libya have none
    # Each member's assessments in the API, as JSON and CSV, like the other groupings' links.
    assert 'href="/api/v1/assessments/?member=france"' in section
    assert 'href="/api/v1/assessments/?format=csv&amp;page_size=500&amp;member=libya"' in section
    # The assessment that scores no member is counted, never hidden.
    words = text_of(response)
    assert (
        "1 of the 3 approved assessments counted (each commitment's newest) carries no per-member scores: "
        "their pledges are in the verdicts above, not in these percentages." in words
    )
    assert "/api/v1/aggregates/verdicts/?by=member" in page


def test_drafts_and_superseded_scores_are_never_shown(client, scored):
    # Counted, France would be scored on 3 (the superseded −1) and Italy would have a −1 (the draft's).
    section = text_of(client.get(reverse("public:follow-through")))
    section = section[section.index("Scores by member") :]
    assert "scored on 3" not in section and "Italy 0 2 1" not in section


def test_without_member_scores_the_page_says_so_instead_of_an_empty_chart(client, seeded):
    page = client.get(reverse("public:follow-through")).content.decode()
    section = page[page.index('<section aria-labelledby="by-member-heading"') :]
    section = section[: section.index("</section>")]
    assert "No approved assessment scores members one by one yet" in section
    assert "<svg" not in section and "<table" not in section
    counted = Assessment.objects.approved().values("commitment").distinct().count()
    assert counted >= 12  # the seed's curated follow-through
    said = " ".join(re.sub(r"<[^>]+>", " ", section).split())
    assert f"{counted} of the {counted} approved assessments counted (each commitment's newest) carry no" in said


@pytest.mark.parametrize("pledges", [1, 3])
def test_the_follow_through_page_runs_five_queries_whatever_the_members_scored(
    client, db, django_assert_num_queries, pledges
):
    """Verdicts by line, the latest meetings, verdicts by meeting, members' scores, the unscored count."""
    collective_pledge()
    statement = StatementFactory(meeting=MeetingFactory(slug="berlin-later", start_date=datetime.date(2016, 11, 17)))
    evidence = Assessment.objects.first().evidence_links.first().evidence
    members = [MemberFactory() for _ in range(pledges)]
    for member in members:
        ParticipationFactory(meeting=statement.meeting, member=member, role="member")
    for index in range(pledges):
        commitment = CommitmentFactory(statement=statement, phrase="We welcome the progress.", slug=f"more-{index}")
        assessed(commitment, datetime.date(2019, 6, 24), evidence, members=[(member, 1) for member in members])
    with django_assert_num_queries(5):
        response = client.get(reverse("public:follow-through"))
    assert text_of(response).count("100 % · scored on") == 1 + pledges  # France, and each new member


# -- the verdicts aggregate, by member ------------------------------------------------------------------


def test_the_verdicts_aggregate_by_member_counts_each_score_as_json_and_csv(scored, django_assert_num_queries):
    client = APIClient()
    with django_assert_num_queries(1):
        rows = client.get("/api/v1/aggregates/verdicts/", {"by": "member"}).json()
    assert rows == [
        {
            "key": "france",
            "name": "France",
            "scored": 2,
            "plus_one": 2,
            "zero": 0,
            "minus_one": 0,
            "average_score": 1.0,
            "percentage": 100.0,
        },
        {
            "key": "italy",
            "name": "Italy",
            "scored": 2,
            "plus_one": 0,
            "zero": 2,
            "minus_one": 0,
            "average_score": 0.0,
            "percentage": 50.0,
        },
        {
            "key": "libya",
            "name": "Libya",
            "scored": 1,
            "plus_one": 0,
            "zero": 0,
            "minus_one": 1,
            "average_score": -1.0,
            "percentage": 0.0,
        },
    ]
    response = client.get("/api/v1/aggregates/verdicts/", {"by": "member", "format": "csv"})
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == ["key", "name", "scored", "plus_one", "zero", "minus_one", "average_score", "percentage"]
    assert table[1:] == [
        ["france", "France", "2", "2", "0", "0", "1.0", "100.0"],
        ["italy", "Italy", "2", "0", "2", "0", "0.0", "50.0"],
        ["libya", "Libya", "1", "0", "0", "1", "-1.0", "0.0"],
    ]


def test_the_verdicts_aggregate_by_member_is_empty_on_the_seed_and_refuses_an_unknown_by(seeded):
    client = APIClient()
    assert client.get("/api/v1/aggregates/verdicts/", {"by": "member"}).json() == []
    refused = client.get("/api/v1/aggregates/verdicts/", {"by": "members"})
    assert refused.status_code == 400
    assert refused.json() == {"by": ["by must be one of: line, meeting, member."]}


# -- a pledge's money, stage by stage -------------------------------------------------------------------


def test_a_pledges_money_chart_gives_each_stage_apart_never_summed_never_a_draft(client, scored):
    page = client.get(reverse("public:pledge", args=[PLEDGE])).content.decode()
    section = page[page.index('<section class="money"') :]
    section = section[: section.index("</section>")]
    # Its table: each approved assessment's amounts by stage, a stage not given "not recorded", never 0.
    assert table_rows(section, "money-stages") == [
        ["Berlin 2016 (no. 1)", "24 June 2019", "20,000,000", "not recorded", "not recorded", "USD"],
        ["Berlin 2016 (no. 1)", "25 June 2019", "20,000,000", "12,000,000", "4,500,000.50", "USD"],
    ]
    # Its chart: a bar per stage recorded, each with its own amount; 20,000,000 is the longest bar.
    bars = re.findall(r'<rect class="money-bar money-(\w+)"[^>]*width="([\d.]+)"', section)
    assert bars == [("pledged", "300.0"), ("pledged", "300.0"), ("committed", "180.0"), ("paid", "67.5")]
    labels = re.findall(r'<text class="chart-value"[^>]*>([^<]*)</text>', section)
    assert labels == [
        "pledged 20,000,000 USD",
        "pledged 20,000,000 USD",
        "committed 12,000,000 USD",
        "paid 4,500,000.50 USD",
    ]
    # Never summed (36,500,000.50 = all three; 32,000,000 = pledged and committed), and the draft's
    # "paid 20,000,000" is not shown: a pledge is never counted as paid.
    for never in ("36,500,000", "32,000,000", "16,500,000", "paid 20,000,000"):
        assert never not in page


def test_a_pledge_without_money_shows_no_money_chart(client, scored):
    thread = ThreadFactory(slug="unpriced")
    ThreadEntryFactory(thread=thread, commitment=Assessment.objects.get(commitment__slug="third-pledge").commitment)
    page = client.get(reverse("public:pledge", args=["unpriced"])).content.decode()
    assert 'class="money"' not in page and "Its money" not in page


@pytest.mark.parametrize("priced", [1, 3])
def test_the_pledge_page_reads_its_money_in_one_query(client, scored, django_assert_num_queries, priced):
    """The thread, its links to other pledges, its entries, its approved assessments, their evidence, and its
    money stages: six, however many of its commitments name an amount."""
    thread = ThreadFactory(slug="many-priced")
    evidence = Assessment.objects.first().evidence_links.first().evidence
    for index in range(priced):
        meeting = MeetingFactory(
            start_date=datetime.date(2017 + index, 1, 1), end_date=datetime.date(2017 + index, 1, 1)
        )
        commitment = CommitmentFactory(
            statement=StatementFactory(meeting=meeting), amount=Decimal(1000 * (index + 1)), currency="EUR"
        )
        ThreadEntryFactory(
            thread=thread, commitment=commitment, position=index + 1, change_kind="new" if not index else "repeated"
        )
        assessed(commitment, datetime.date(2019, 6, 24), evidence, money=[("pledged", 1000 * (index + 1))])
    with django_assert_num_queries(6):
        page = client.get(reverse("public:pledge", args=["many-priced"])).content.decode()
    assert page.count('class="money-bar money-pledged"') == priced
    assert f"pledged {1000 * priced:,} EUR" in page


# -- the QuerySet methods the pages read ----------------------------------------------------------------


def test_money_over_time_of_several_commitments_is_one_query_each_stage_apart(scored, django_assert_num_queries):
    priced = Assessment.objects.filter(commitment__slug="priced-pledge").first().commitment
    unpriced = Assessment.objects.filter(commitment__slug="second-pledge").first().commitment
    with django_assert_num_queries(1):
        points = MoneyStage.objects.over_time_of([priced.pk, unpriced.pk])
    assert list(points) == [priced.pk]  # the pledge naming no amount has no money
    assert [(p["assessed_on"].isoformat(), p["pledged"], p["committed"], p["paid"]) for p in points[priced.pk]] == [
        ("2019-06-24", Decimal("20000000"), None, None),
        ("2019-06-25", Decimal("20000000"), Decimal("12000000"), Decimal("4500000.50")),
    ]
    assert MoneyStage.objects.over_time("priced-pledge") == points[priced.pk]


def test_coverage_counts_each_commitments_newest_approved_assessment_and_those_scoring_no_member(
    scored, django_assert_num_queries
):
    with django_assert_num_queries(1):
        assert MemberScore.objects.coverage() == {"assessed": 3, "unscored": 1}
    assert MemberScore.objects.coverage(cycle="no-such-cycle") == {"assessed": 0, "unscored": 0}
