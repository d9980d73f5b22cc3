"""The aggregates, the change feed and the commitments' `status` and `q` as of a date (`?as_of=`): counted from
the rows of then for the request, in as many queries whatever the history's length, nothing of the present in."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from meetings.models import FigureMetric
from tests import test_as_of_follow_through, test_as_of_lists
from tests.factories import AssessmentFactory, FigureFactory, commitments_at_meetings, thread_with

pytestmark = pytest.mark.django_db
pledge = test_as_of_follow_through.pledge
followed = test_as_of_follow_through.followed
changed_record = test_as_of_lists.changed_record


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def get(client, name, **params):
    return client.get(reverse(f"api:{name}"), params)


def test_the_pledge_matrix_as_of_a_moment_is_the_matrix_then(client, changed_record, django_assert_num_queries):
    then, a, b, c = (changed_record[key] for key in ("then", "a", "b", "c"))
    with django_assert_num_queries(3):  # the meetings, a page of pledges with their count, the cells
        response = get(client, "pledge-matrix", as_of=then)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"meetings", "threads"}  # unpaged, as today's without parameters
    threads = {t["slug"]: t for t in body["threads"]}
    assert list(threads) == ["kept", "merged"]  # the lines' order then; all-draft hidden, added-since absent
    assert threads["kept"]["title"] == "Kept, then"
    cells = [cell["commitment"] for cells in threads["kept"]["meetings"].values() for cell in cells]
    assert cells == [a.slug, b.slug]  # b taken out since
    assert [cell["commitment"] for cells in threads["merged"]["meetings"].values() for cell in cells] == [c.slug]
    assert "later" not in str(body["meetings"]) and response["Memento-Datetime"]
    paged = get(client, "pledge-matrix", as_of=then, line_of_effort="sharing", page_size=1).json()
    assert paged["count"] == 1 and [t["slug"] for t in paged["threads"]] == ["kept"]
    first = get(client, "pledge-matrix", as_of=then, page_size=1).json()
    assert first["count"] == 2 and [t["slug"] for t in first["threads"]] == ["kept"] and "as_of=" in first["next"]
    second = client.get(first["next"]).json()
    assert [t["slug"] for t in second["threads"]] == ["merged"]
    assert get(client, "pledge-matrix", as_of=then, year_from=2019, year_to=2019).json()["count"] == 1
    unknown = get(client, "pledge-matrix", as_of=then, line_of_effort="nowhere")
    assert unknown.status_code == 400 and "line_of_effort" in unknown.json()
    today = [t["slug"] for t in get(client, "pledge-matrix").json()["threads"]]
    assert "merged" not in today and "added-since" in today


def test_the_commitments_by_line_as_of_a_moment_are_counted_from_then(
    client, changed_record, django_assert_num_queries
):
    then = changed_record["then"]
    get(client, "commitments-by-line")  # today's counts kept: never served for a past moment
    with django_assert_num_queries(1):
        response = get(client, "commitments-by-line", as_of=then)
    rows = response.json()
    assert {row["line_of_effort_name"] for row in rows} == {"Sharing, then"}  # the draft's line: hidden then
    assert sum(row["total"] for row in rows) == 3 and sum(row["binding"] for row in rows) == 1
    assert set(rows[0]) == set(get(client, "commitments-by-line").json()[0])
    assert response["Link"].endswith('/api/v1/aggregates/commitments-by-line/>; rel="original"')
    today = get(client, "commitments-by-line").json()
    assert "Sharing, renamed since" in {row["line_of_effort_name"] for row in today}


def test_the_verdicts_as_of_a_moment_count_the_assessments_of_then(client, changed_record, django_assert_num_queries):
    then = changed_record["then"]
    for by in ("line", "meeting"):
        with django_assert_num_queries(1):
            response = get(client, "verdicts", as_of=then, by=by)
        rows = response.json()
        assert sum(row["total"] for row in rows) == 3 and sum(row["kept"] for row in rows) == 0
        assert sum(row["not_assessed"] for row in rows) == 3
    assert get(client, "verdicts", by="line").json()  # today's counts the assessment made since
    assert get(client, "verdicts", as_of=then, by="nobody").status_code == 400


def test_the_members_scores_as_of_a_moment_are_those_of_then(client, followed, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = get(client, "verdicts", as_of=followed["then"], by="member")
    rows = {row["key"]: row for row in response.json()}
    assert rows["france"]["name"] == "France, then" and rows["france"]["plus_one"] == 1
    assert rows["italy"]["zero"] == 1 and rows["italy"]["percentage"] == 50.0
    assert set(rows["france"]) == set(get(client, "verdicts", by="member").json()[0])
    assert get(client, "verdicts", as_of="2001-01-01", by="member").json() == []


def test_the_figure_series_as_of_a_moment_is_the_series_then(client, django_assert_num_queries):
    (commitment,) = commitments_at_meetings(2016)
    statement = commitment.statement
    kept = FigureFactory(statement=statement, phrase=statement.text[:5], metric="people-freed", unit="people then")
    gone = FigureFactory(statement=statement, phrase=statement.text[5:9], metric="people-freed")
    then = timezone.now().isoformat()
    for n in range(12):
        kept.unit = f"people since ({n})"
        kept.save()
    gone.delete()
    FigureFactory(statement=statement, phrase=statement.text[9:12], metric="people-freed")
    with django_assert_num_queries(3):  # the figures, their statements, their meetings
        response = get(client, "figure-series", metric="people-freed", as_of=then)
    points = {point["figure"]: point for point in response.json()}
    assert set(points) == {kept.slug, gone.slug} and points[kept.slug]["unit"] == "people then"
    assert set(points[kept.slug]) == set(get(client, "figure-series", metric="people-freed").json()[0])
    assert get(client, "figure-series", metric="nothing", as_of=then).status_code == 400


def test_the_commitments_list_as_of_a_moment_filters_status_and_words_then(client, changed_record):
    then, a, b, c = (changed_record[key] for key in ("then", "a", "b", "c"))
    AssessmentFactory(commitment=b, status="kept", assessed_on="2015-01-01")  # made since, dated before
    assessed = get(client, "commitment-list", as_of=then, status="not-assessed")
    assert assessed.status_code == 200, assessed.json()
    assert {row["slug"] for row in assessed.json()["results"]} == {a.slug, b.slug, c.slug}
    assert get(client, "commitment-list", as_of=then, status="kept").json()["results"] == []
    assert {row["slug"] for row in get(client, "commitment-list", status="kept").json()["results"]} == {a.slug, b.slug}
    word = a.quote.split()[2]
    found = {row["slug"] for row in get(client, "commitment-list", as_of=then, q=word).json()["results"]}
    assert a.slug in found
    assert get(client, "commitment-list", as_of=then, q="zzyzx").json()["results"] == []
    named = {row["slug"] for row in get(client, "commitment-list", as_of=then, q="sharing").json()["results"]}
    assert named == {a.slug, b.slug, c.slug}  # the line's name then holds it
    assert get(client, "commitment-list", as_of=then, status="nothing").status_code == 400


def test_the_change_feed_as_of_a_moment_is_the_feed_then(client, django_assert_num_queries):
    first, second = commitments_at_meetings(2016, 2019)
    then = timezone.now().isoformat()
    thread_with(first, second, kinds=["repeated"], slug="made-since")
    before = get(client, "changes", as_of=then, page_size=1)
    assert before.status_code == 200 and before["Memento-Datetime"]
    feed, following = before.json()["results"], before.json()["next"]
    while following:  # the cursor pages through the feed then, as_of kept
        assert "as_of=" in following
        page = client.get(following).json()
        feed += page["results"]
        following = page["next"]
    assert feed and not any(change["pledge"] == "made-since" for change in feed)
    assert len(feed) == len(get(client, "changes", as_of=then, page_size=500).json()["results"])
    assert any(change["key"] == "made-since" for change in get(client, "changes", page_size=500).json()["results"])
    with django_assert_num_queries(1):
        get(client, "changes", as_of=then)


@pytest.fixture
def seeded_with_history(seeded):
    """The seed, each record given its creation in the change history (the seed is loaded without it)."""
    from django.core.management import call_command

    call_command("populate_history", "--auto", verbosity=0)
    return timezone.now().isoformat()


def test_on_the_seed_every_read_as_of_now_is_todays(client, seeded_with_history):
    """As of a moment after which nothing changed, each read is today's answer, whatever it counts or pages."""
    now = seeded_with_history
    reads = [
        ("pledge-matrix", {}),
        ("pledge-matrix", {"year_from": 2017, "page_size": 7, "page": 2}),
        ("commitments-by-line", {}),
        ("verdicts", {"by": "line"}),
        ("verdicts", {"by": "meeting"}),
        ("verdicts", {"by": "member"}),
        *(("figure-series", {"metric": metric}) for metric in FigureMetric.values),
        ("assessment-list", {"page_size": 500}),
        ("assessmentcycle-list", {}),
        ("evidence-list", {"page_size": 500}),
        ("commitment-list", {"status": "not-assessed", "page_size": 500}),
    ]
    answers = []
    for name, params in reads:
        today, past = get(client, name, **params), get(client, name, as_of=now, **params)
        assert today.status_code == past.status_code == 200, (name, params, past.content[:300])
        if name == "pledge-matrix" and "page" in params:
            following = parse_qs(urlsplit(past.json()["next"]).query)
            assert following.pop("as_of") == [now] and following == parse_qs(urlsplit(today.json()["next"]).query)
            today, past = today.json()["threads"], past.json()["threads"]
        else:
            today, past = today.json(), past.json()
        assert past == today, (name, params)
        answers.append(past)
    # Not empty answers agreeing: the seed's matrix, counts, verdicts, assessments, cycles and evidence.
    assert answers[0]["threads"] and answers[2] and answers[3] and answers[4]  # (the seed scores no member)
    assert answers[-4]["count"] and answers[-3]["count"] and answers[-2]["count"] and answers[-1]["results"]
