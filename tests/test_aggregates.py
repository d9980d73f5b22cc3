"""The dashboards' aggregates at scale: the pledge matrix filtered and paged by pledge, the old whole shape
kept for small data; the counts per line of effort kept, not recounted per request."""

import csv
import datetime
import io
from urllib.parse import quote

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api import matrix_paging
from commitments.models import ThreadEntry
from meetings.models import Statement
from tests.factories import (
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    commitments_at_meetings,
    thread_with,
)
from tests.test_api import make_resource

URL = "/api/v1/aggregates/pledge-matrix/"


def pledges(count, years=(2016, 2019, 2021)):
    """`count` recurring pledges, each made at a meeting of each year given, under two lines of effort."""
    lines = [LineOfEffortFactory(), LineOfEffortFactory()]
    made = []
    for index in range(count):
        commitments = commitments_at_meetings(*years)
        made.append(thread_with(*commitments, kinds=["repeated"] * (len(years) - 1), line_of_effort=lines[index % 2]))
    return made, lines


def in_matrix_order(threads):
    return [t.slug for t in sorted(threads, key=lambda t: (t.line_of_effort.position, t.slug))]


def walk(client, params):
    """Every page from the first, following `next`; returns the pages' documents."""
    pages, url = [], URL
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        pages.append(response.json())
        if not pages[-1]["next"]:
            return pages
        response = client.get(pages[-1]["next"])


def test_without_parameters_a_small_matrix_keeps_its_whole_shape(db):
    made, _ = pledges(3)
    document = APIClient().get(URL).json()
    assert set(document) == {"meetings", "threads"}
    assert [t["slug"] for t in document["threads"]] == in_matrix_order(made)


def test_pages_hold_each_pledge_exactly_once_in_the_matrix_order(db):
    made, _ = pledges(7)
    pages = walk(APIClient(), {"page_size": 3})
    assert [len(page["threads"]) for page in pages] == [3, 3, 1]
    assert {page["count"] for page in pages} == {7}
    assert pages[0]["previous"] is None and pages[1]["previous"].endswith("page_size=3")
    slugs = [thread["slug"] for page in pages for thread in page["threads"]]
    assert slugs == in_matrix_order(made)
    # A pledge is whole on its page: a cell at each of its meetings.
    assert all(len(thread["meetings"]) == 3 for page in pages for thread in page["threads"])


def test_a_large_matrix_without_parameters_is_its_first_page(db, monkeypatch):
    monkeypatch.setattr(matrix_paging, "UNPAGED_MOST_PLEDGES", 4)
    made, _ = pledges(5)
    document = APIClient().get(URL).json()
    assert document["count"] == 5 and document["next"] is None  # the default page holds 50
    assert [t["slug"] for t in document["threads"]] == in_matrix_order(made)


def test_the_matrix_filters_by_years_and_line_of_effort(db):
    made, lines = pledges(4)
    (alone,) = commitments_at_meetings(2023)
    late = thread_with(alone, line_of_effort=lines[0])
    client = APIClient()
    document = client.get(URL, {"year_from": 2019, "year_to": 2021}).json()
    assert [m["start_date"][:4] for m in document["meetings"]] == ["2019"] * 4 + ["2021"] * 4
    assert document["count"] == 4 and late.slug not in {t["slug"] for t in document["threads"]}
    shown = {m["slug"] for m in document["meetings"]}
    assert all(set(t["meetings"]) <= shown and len(t["meetings"]) == 2 for t in document["threads"])
    document = client.get(URL, {"line_of_effort": lines[0].slug}).json()
    assert [t["slug"] for t in document["threads"]] == in_matrix_order(
        [t for t in [*made, late] if t.line_of_effort == lines[0]]
    )
    document = client.get(URL, {"year_from": 2023, "line_of_effort": lines[0].slug}).json()
    assert [t["slug"] for t in document["threads"]] == [late.slug]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"line_of_effort": "nope"}, "line_of_effort"),
        ({"year_from": "twenty"}, "year_from"),
        ({"page_size": 501}, "page_size"),
        ({"page": 0}, "page"),
    ],
)
def test_parameters_the_matrix_cannot_use_are_a_400(db, params, field):
    pledges(1)
    response = APIClient().get(URL, params)
    assert response.status_code == 400 and field in response.json()


def test_an_empty_parameter_is_left_out(db):
    pledges(2)
    assert set(APIClient().get(URL, {"page": "", "line_of_effort": ""}).json()) == {"meetings", "threads"}


def test_a_page_as_csv_has_the_rows_of_its_pledges(db):
    made, _ = pledges(3)
    response = APIClient().get(URL, {"page_size": 2, "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {row["thread.slug"] for row in rows} == set(in_matrix_order(made)[:2])
    assert len(rows) == 6


# The meetings counted per year (the window), its meetings, the pledges the filters chose (what the pages
# go through), the page's cells; one more to find the line of effort asked for.
@pytest.mark.parametrize("count", [3, 9])
@pytest.mark.parametrize(("params", "queries"), [({"page_size": 2}, 4), ({"page": 2, "page_size": 1}, 4)])
def test_a_page_of_the_matrix_costs_the_same_queries_whatever_the_data(
    db, django_assert_num_queries, count, params, queries
):
    _, lines = pledges(count)
    for asked, extra in ((params, 0), ({**params, "line_of_effort": lines[0].slug, "year_to": 2020}, 1)):
        with django_assert_num_queries(queries + extra):
            response = APIClient().get(URL, asked)
        assert response.status_code == 200
        assert len(response.json()["threads"]) == min(count, params["page_size"])


@pytest.fixture
def window_of_four(monkeypatch):
    """An answer lists at most 4 meetings (60 in production): three years of three meetings cross it."""
    monkeypatch.setattr(matrix_paging, "MOST_MEETINGS", 4)


def cells(document):
    return {
        cell["commitment"] for thread in document["threads"] for made in thread["meetings"].values() for cell in made
    }


def test_more_meetings_than_an_answer_lists_are_read_a_window_of_whole_years_at_a_time(db, window_of_four):
    made, _ = pledges(3)  # three meetings in each of 2016, 2019 and 2021
    client = APIClient()
    latest = client.get(URL).json()  # too many meetings for the whole shape: the latest years' page
    assert [m["start_date"][:4] for m in latest["meetings"]] == ["2021"] * 3
    assert latest["count"] == 3 and latest["later"] is None
    assert all(len(thread["meetings"]) == 1 for thread in latest["threads"])  # the pledge's cells in the window
    before = client.get(latest["earlier"]).json()
    assert [m["start_date"][:4] for m in before["meetings"]] == ["2019"] * 3
    first = client.get(before["earlier"]).json()
    assert [m["start_date"][:4] for m in first["meetings"]] == ["2016"] * 3 and first["earlier"] is None
    assert "year_from=2019" in first["later"] and "year_to" not in first["later"]
    # Walked back from the latest, every cell of the matrix once.
    assert cells(latest) | cells(before) | cells(first) == {
        entry.commitment.slug for entry in ThreadEntry.objects.select_related("commitment")
    }
    assert not cells(latest) & cells(before) and not cells(before) & cells(first)
    # A range asked that holds more is cut to whole years from its first; filters and page size kept.
    asked = client.get(URL, {"year_from": 2016, "year_to": 2021, "page_size": 2}).json()
    assert [m["start_date"][:4] for m in asked["meetings"]] == ["2016"] * 3
    assert "page_size=2" in asked["later"] and "year_from=2019" in asked["later"] and "page=" not in asked["later"]


def test_a_page_of_the_matrix_lists_as_many_meetings_and_costs_as_many_queries_whatever_the_record(
    db, window_of_four, django_assert_num_queries
):
    pledges(3)
    with django_assert_num_queries(4):
        small = APIClient().get(URL, {"page_size": 2}).json()
    pledges(3, years=(2022, 2023, 2024, 2025, 2026))  # the record grows by five years of meetings
    with django_assert_num_queries(4):
        large = APIClient().get(URL, {"page_size": 2}).json()
    assert len(small["meetings"]) == 3 and len(large["meetings"]) == 3  # one year of three meetings each
    assert [m["start_date"][:4] for m in large["meetings"]] == ["2026"] * 3


def test_the_matrix_as_of_now_is_windowed_and_paged_as_today(db, window_of_four):
    pledges(3)
    client = APIClient()
    now = timezone.now().isoformat()
    for params in ({}, {"page_size": 2}, {"year_to": 2019}, {"year_from": 2016, "year_to": 2021}):
        today = client.get(URL, params).json()
        then = client.get(URL, {**params, "as_of": now}).json()
        for key in ("next", "previous", "earlier", "later"):
            then[key] = then[key] and then[key].replace(f"as_of={quote(now)}", "").replace("?&", "?").rstrip("&?")
            today[key] = today[key] and today[key].rstrip("&?")
        assert then == today


def test_the_schema_documents_the_parameters_and_the_paged_keys(db):
    schema = APIClient().get(reverse("api:schema"), {"format": "json"}).json()
    operation = schema["paths"][URL]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"year_from", "year_to", "line_of_effort", "page"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"count", "next", "previous", "earlier", "later", "meetings", "threads"} <= set(
        schema["components"]["schemas"][ref]["properties"]
    )


# -- commitments per line of effort: counted once per change, whatever writes it ---------------------

BY_LINE = "/api/v1/aggregates/commitments-by-line/"


def by_line(client=None):
    """{(line, meeting): (total, binding, soft)} as the API answers it."""
    rows = (client or APIClient()).get(BY_LINE).json()
    return {(r["line_of_effort"], r["meeting"]): (r["total"], r["binding"], r["soft"]) for r in rows}


def lines_page(client):
    """The public lines-of-effort page's table: each line's row of counts as text."""
    page = client.get("/lines-of-effort/").content.decode()
    return page.split('id="counts-table-caption"', 1)[1]


@pytest.fixture
def counted(db):
    cache.clear()
    line, other = LineOfEffortFactory(slug="line-a"), LineOfEffortFactory(slug="line-b")
    statement = StatementFactory(meeting=MeetingFactory(slug="paris"))
    CommitmentFactory(statement=statement, line_of_effort=line)
    return line, other, statement


def test_counts_follow_writes_through_the_api(db, curator):
    cache.clear()
    _, create, _, _ = make_resource("commitment")  # binding commitments, and what creates a softer one
    line, meeting = create["line_of_effort"], Statement.objects.get(slug=create["statement"]).meeting.slug
    other = LineOfEffortFactory(slug="line-b")
    before = by_line()
    assert before[(line, meeting)] == (1, 1, 0)
    client = APIClient()
    client.force_authenticate(curator)
    assert client.post("/api/v1/commitments/", create, format="json").status_code == 201
    assert by_line() == {**before, (line, meeting): (2, 1, 1)}
    url = f"/api/v1/commitments/{create['slug']}/"
    moved = client.patch(url, {"line_of_effort": other.slug}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"])
    assert moved.status_code == 200
    assert by_line() == {**before, ("line-b", meeting): (1, 0, 1)}
    assert client.delete(url, HTTP_IF_MATCH=client.get(url)["ETag"]).status_code == 204
    assert by_line() == before


def test_counts_follow_writes_through_the_models_as_services_make_them(counted):
    line, other, statement = counted
    by_line()
    commitment = CommitmentFactory(statement=statement, line_of_effort=other, strength="soft")
    assert by_line() == {("line-a", "paris"): (1, 1, 0), ("line-b", "paris"): (1, 0, 1)}
    # A meeting renamed renames its counts (a quoted statement never moves to another meeting).
    paris = statement.meeting
    paris.slug = "roma"
    paris.save()
    commitment.strength = "binding"
    commitment.save()
    assert by_line() == {("line-a", "roma"): (1, 1, 0), ("line-b", "roma"): (1, 1, 0)}
    commitment.delete()
    assert by_line() == {("line-a", "roma"): (1, 1, 0)}


def test_counts_follow_writes_through_the_admin(counted, curator, client):
    line, other, statement = counted
    spare = CommitmentFactory(statement=statement, line_of_effort=other)
    assert by_line()[("line-b", "paris")] == (1, 1, 0)
    client.force_login(curator)
    response = client.post(f"/admin/commitments/commitment/{spare.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert by_line() == {("line-a", "paris"): (1, 1, 0)}
    # The public page reads the same counts.
    assert "line-b" not in {row for row, _ in by_line()}
    assert lines_page(client).count("<td>1 <span") == 1


def test_counts_after_a_rolled_back_write_are_those_stored(counted):
    from django.db import transaction

    line, other, statement = counted
    by_line()
    with transaction.atomic():
        CommitmentFactory(statement=statement, line_of_effort=other)
        assert by_line()[("line-b", "paris")] == (1, 1, 0)  # the writer reads its own write
        transaction.set_rollback(True)
    assert by_line() == {("line-a", "paris"): (1, 1, 0)}
    CommitmentFactory(statement=statement, line_of_effort=line, strength="soft")
    assert by_line() == {("line-a", "paris"): (2, 1, 1)}


def link_to(response, relation):
    """The address a `Link` header gives for `relation`, None if it gives none."""
    for part in response.get("Link", "").split(", "):
        if part.endswith(f'rel="{relation}"'):
            return part.split(">;", 1)[0].lstrip("<")
    return None


@pytest.mark.parametrize("reader", ["anonymous", "curator", "as_of"])
def test_the_counts_of_more_meetings_than_an_answer_lists_come_a_window_of_whole_years_at_a_time(
    db, window_of_four, curator, reader
):
    cache.clear()
    pledges(3)  # three meetings with one commitment each in 2016, 2019 and 2021
    client = APIClient()
    if reader == "curator":
        client.force_authenticate(curator)
    params = {"as_of": timezone.now().isoformat()} if reader == "as_of" else {}
    latest = client.get(BY_LINE, params)
    assert {row["meeting_date"][:4] for row in latest.json()} == {"2021"} and len(latest.json()) == 3
    assert link_to(latest, "next") is None
    before = client.get(link_to(latest, "prev"))
    assert {row["meeting_date"][:4] for row in before.json()} == {"2019"}
    first = client.get(link_to(before, "prev"))
    assert {row["meeting_date"][:4] for row in first.json()} == {"2016"} and link_to(first, "prev") is None
    assert "year_from=2019" in link_to(first, "next")
    asked = client.get(BY_LINE, {**params, "year_from": 2016, "year_to": 2019}).json()
    assert {row["meeting_date"][:4] for row in asked} == {"2016"}  # cut to whole years from the first asked
    assert sum(row["total"] for row in [*latest.json(), *before.json(), *first.json()]) == 9


def test_a_record_of_few_meetings_is_counted_whole_and_a_bad_year_is_a_400(db):
    cache.clear()
    pledges(3)
    response = APIClient().get(BY_LINE)
    assert len(response.json()) == 9 and "Link" not in response
    assert APIClient().get(BY_LINE, {"year_from": "soon"}).status_code == 400


@pytest.mark.parametrize("size", [2, 12])
def test_a_read_of_the_counts_costs_one_query_once_counted_whatever_the_data(
    counted, client, django_assert_num_queries, size
):
    line, other, statement = counted
    for index in range(size):
        CommitmentFactory(statement=statement, line_of_effort=other if index % 2 else line)
    # The first read counts the meetings per year (its window) and the commitments (two more queries); the
    # next read only the data's version.
    with django_assert_num_queries(3):
        assert sum(total for total, _, _ in by_line().values()) == size + 1
    with django_assert_num_queries(1):
        assert sum(total for total, _, _ in by_line().values()) == size + 1
    client.get("/lines-of-effort/")
    # Lines, meetings, the version, three figure series.
    with django_assert_num_queries(6):
        assert client.get("/lines-of-effort/").status_code == 200


def test_a_page_of_the_seed_is_written_as_its_declared_fields_write_it(seeded):
    """The paged matrix is written from plain rows (a fast path): the declared serializer gives the same JSON."""
    import json

    from api.aggregates import PagedPledgeMatrixSerializer

    document = APIClient().get(URL, {"page_size": 7, "page": 2}).json()
    assert document["count"] == 21 and len(document["threads"]) == 7
    assert document == json.loads(json.dumps(PagedPledgeMatrixSerializer(document).data))
    whole = APIClient().get(URL).json()
    assert document["threads"] == whole["threads"][7:14] and document["meetings"] == whole["meetings"]


def pledges_with_drafts():
    """Two published pledges, a pledge made at a draft meeting only, one at a draft statement (of a published
    meeting) only, and one made first in public and again at the draft meeting; returns them and the lines."""
    made, lines = pledges(2)
    day = datetime.date(2021, 6, 1)
    at_draft_meeting = StatementFactory(meeting=MeetingFactory(start_date=day, end_date=day, draft=True))
    draft_statement = StatementFactory(meeting=MeetingFactory(start_date=day, end_date=day), draft=True)
    hidden = [
        thread_with(CommitmentFactory(statement=at_draft_meeting), line_of_effort=lines[0]),
        thread_with(CommitmentFactory(statement=draft_statement), line_of_effort=lines[1]),
    ]
    (public,) = commitments_at_meetings(2016)
    mixed = thread_with(
        public, CommitmentFactory(statement=at_draft_meeting), kinds=["repeated"], line_of_effort=lines[0]
    )
    return made + [mixed], hidden, mixed, lines


@pytest.mark.parametrize("params", [{"page": 1}, {"line_of_effort": "first"}, {"year_from": 2016}, {"page_size": 1}])
def test_drafts_never_reach_the_matrix_its_count_or_its_pages(db, params, curator):
    shown, hidden, mixed, lines = pledges_with_drafts()
    params = {**params, "line_of_effort": lines[0].slug} if "line_of_effort" in params else params
    expected = [t for t in shown if "line_of_effort" not in params or t.line_of_effort == lines[0]]
    pages = walk(APIClient(), params)
    assert {page["count"] for page in pages} == {len(expected)}
    threads = [thread for page in pages for thread in page["threads"]]
    assert [t["slug"] for t in threads] == in_matrix_order(expected)
    (mixed_row,) = [t for t in threads if t["slug"] == mixed.slug]
    assert len(mixed_row["meetings"]) == 1  # its entry at the draft meeting left out
    curators = APIClient()
    curators.force_authenticate(curator)
    seen = {t["slug"] for page in walk(curators, params) for t in page["threads"]}
    in_line = [t for t in hidden if "line_of_effort" not in params or t.line_of_effort == lines[0]]
    assert {t.slug for t in in_line} <= seen
