"""The public lists, the matrix, the counts and search as of a date (`?as_of=`): the record as it stood then.

Each past page is marked as past with a link to today's, its links, filters and pages keep the moment, nothing
of the present leaks in (a record added since is absent, one deleted or merged since present, a renamed one
under its name of then, a draft of then hidden), and it asks as many queries whatever the history's length.
"""

import datetime
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from commitments.merging import merge_threads
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    commitments_at_meetings,
    thread_with,
)

pytestmark = pytest.mark.django_db

STABILISATION = "We must continue to increase our stabilization contributions."


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


def get(client, name, **params):
    return client.get(reverse(f"public:{name}"), params)


@pytest.fixture
def changed_record(admin_user):
    """Two lines of effort, pledges, commitments and meetings; the moment `then`; after it: renames, a pledge
    merged and one deleted, a commitment and a meeting deleted, a draft published, an assessment approved, a
    pledge and a commitment added."""
    sharing = LineOfEffortFactory(slug="sharing", name="Sharing, then", position=1)
    borders = LineOfEffortFactory(slug="borders", name="Borders", position=2)
    a, b, c, d = commitments_at_meetings(2016, 2019, 2021, 2018, line_of_effort=sharing)
    b.strength = "soft"
    b.save()
    kept = thread_with(a, b, kinds=["repeated"], slug="kept", title="Kept, then", line_of_effort=sharing)
    merged = thread_with(c, slug="merged", title="Merged since", line_of_effort=borders)
    gone = thread_with(d, slug="gone", title="Deleted since", line_of_effort=sharing)
    draft_meeting = MeetingFactory(
        slug="drafted", name="A draft then", draft=True, start_date=datetime.date(2020, 6, 1)
    )
    drafted = CommitmentFactory(statement=StatementFactory(meeting=draft_meeting), line_of_effort=borders)
    thread_with(drafted, slug="all-draft", title="All draft then", line_of_effort=borders)
    # A draft statement of a published meeting: its commitment and its pledge hidden then.
    draft_statement = StatementFactory(meeting=a.statement.meeting, draft=True, position=2)
    in_draft = CommitmentFactory(statement=draft_statement, line_of_effort=borders, slug="in-a-draft")
    thread_with(in_draft, slug="zz-draft-statement", title="Quoting a draft then", line_of_effort=borders)
    (lone,) = commitments_at_meetings(2017, line_of_effort=borders, phrases=[STABILISATION], slug="lone-then")
    lone_meeting = MeetingFactory(slug="met-then", name="Met then, deleted since", start_date=datetime.date(2015, 1, 1))
    then = timezone.now()
    for n in range(3):
        kept.title = f"Kept, renamed since ({n})"
        kept.save()
    sharing.name = "Sharing, renamed since"
    sharing.save()
    meeting = a.statement.meeting
    meeting.name, meeting.city = "Renamed since", "Renamed City"
    meeting.save()
    merge_threads(thread=merged, into=kept, reason="Same pledge.", by=admin_user)
    gone.delete()
    lone.delete()
    lone_meeting.delete()
    draft_meeting.draft = False
    draft_meeting.save()
    draft_statement.draft = False
    draft_statement.save()
    AssessmentFactory(commitment=a, status="kept", verdict="kept")
    (later,) = commitments_at_meetings(2023, line_of_effort=borders, slug="later", phrases=[STABILISATION])
    thread_with(later, slug="added-since", title="Added since", line_of_effort=borders)
    return {
        "then": then.isoformat(),
        "in_draft": in_draft,
        "a": a,
        "b": b,
        "c": c,
        "d": d,
        "lone": lone,
        "later": later,
    }


def marked_past(body, today):
    """The page is marked as past, links today's, and every other link to a public page keeps the moment."""
    assert "A past state: as of" in body
    assert f'href="{today}">Today\'s page</a>' in body
    internal = re.findall(r'href="(/[^"]*)"', body)
    # Not the API (its links say as_of where it reads it), the feeds, the stylesheet, nor the way out to today.
    pages = [h for h in internal if not h.startswith(("/api/", "/static/")) and "/feed/" not in h]
    undated = [h for h in pages if "as_of=" not in h and h.replace("&amp;", "&") not in (today, "/")]
    assert undated == []
    assert 'href="/meetings/?as_of=' in body  # the site's sections too


def test_the_matrix_as_of_a_moment_is_the_matrix_then(client, changed_record):
    r = changed_record
    response = get(client, "matrix", as_of=r["then"])
    assert response.status_code == 200
    body = response.content.decode()
    marked_past(body, "/")
    rows = re.findall(r'data-pledge="([^"]+)"', body)
    # Kept and merged (merged since) and gone (deleted since) then; not the all-draft pledge nor the one added since.
    assert rows == ["gone", "kept", "merged"]  # by line then, then by slug
    assert "3 recurring pledges across 6 meetings." in body  # the pledge quoting a draft then is not counted
    assert "Kept, then" in body and "renamed since" not in body and "Renamed City" not in body
    assert "Sharing, then" in body
    # Its links keep the moment: the pledges, the meetings, the filters.
    assert re.search(r'href="/pledges/kept/\?as_of=[^"#]+#c-' + r["a"].slug, body)
    assert f'href="/meetings/{r["a"].statement.meeting.slug}/?as_of=' in body
    assert 'name="as_of" type="hidden"' in body or 'type="hidden" name="as_of"' in body
    # No verdict then: the assessment was approved since.
    assert "verdict:" not in body and "verdict:" in get(client, "matrix").content.decode()
    # Its filters read the record of then: the line of then, the words of then.
    by_line = get(client, "matrix", as_of=r["then"], line_of_effort="borders").content.decode()
    assert re.findall(r'data-pledge="([^"]+)"', by_line) == ["merged"]
    by_words = get(client, "matrix", as_of=r["then"], q="kept then").content.decode()
    assert re.findall(r'data-pledge="([^"]+)"', by_words) == ["kept"]
    renamed = get(client, "matrix", as_of=r["then"], q="renamed").content.decode()
    assert re.findall(r'data-pledge="([^"]+)"', renamed) == []
    # Today's matrix is today's, and offers the dated link to cite.
    today = get(client, "matrix").content.decode()
    assert "A past state" not in today and re.findall(r'data-pledge="([^"]+)"', today) == [
        "kept",
        "added-since",
        "all-draft",
        "zz-draft-statement",
    ]
    assert 'class="dated-link"' in today and "?as_of=" in today


def test_the_meetings_list_as_of_a_moment_is_the_list_then(client, changed_record):
    r = changed_record
    body = get(client, "meetings", as_of=r["then"]).content.decode()
    marked_past(body, "/meetings/")
    assert "Met then, deleted since" in body  # deleted since: present
    assert "A draft then" not in body  # a draft then: hidden
    assert "Renamed since" not in body and f"Meeting {r['a'].statement.meeting.slug}" in body
    assert r["later"].statement.meeting.slug not in body  # added since: absent
    assert f"/statements/{r['a'].statement.slug}/?as_of=" in body
    assert f"/meetings/{r['a'].statement.meeting.slug}/?as_of=" in body
    assert "1 commitment, 0 figures" in body
    assert f"/statements/{r['in_draft'].statement.slug}/" not in body  # a draft then
    today = get(client, "meetings").content.decode()
    assert "Met then, deleted since" not in today and "A draft then" in today


def test_the_commitments_list_as_of_a_moment_is_the_list_then_filtered_as_then(client, changed_record):
    r = changed_record
    response = get(client, "commitments", as_of=r["then"])
    body = response.content.decode()
    assert response.status_code == 200
    marked_past(body, "/commitments/")
    listed = re.findall(r'<li id="c-([^"]+)">', body)
    assert listed == [r["a"].slug, "lone-then", r["d"].slug, r["b"].slug, r["c"].slug]  # in meeting order then
    assert "Renamed City" not in body and "Sharing, then" in body
    assert 'href="/pledges/merged/?as_of=' in body  # its place then
    assert f'href="/commitments/{r["a"].slug}/?as_of=' in body

    # Filters read the record of then: a line, a strength, in a pledge or not, words.
    def listed_with(**filters):
        page = get(client, "commitments", as_of=r["then"], **filters).content.decode()
        return re.findall(r'<li id="c-([^"]+)">', page)

    assert listed_with(line_of_effort="borders") == ["lone-then"]
    assert listed_with(strength="soft") == [r["b"].slug]
    alone = get(client, "commitments", as_of=r["then"], has_thread="false").content.decode()
    assert re.findall(r'<li id="c-([^"]+)">', alone) == ["lone-then"]
    words = get(client, "commitments", as_of=r["then"], q="stabilisation").content.decode()
    assert re.findall(r'<li id="c-([^"]+)">', words) == ["lone-then"]
    # A meeting of then (deleted since or not) is a choice; one added since is not.
    assert get(client, "commitments", as_of=r["then"], meeting="drafted").status_code == 400
    today = get(client, "commitments").content.decode()
    assert "lone-then" not in today and "later" in today and "in-a-draft" in today


def test_the_lines_of_effort_page_as_of_a_moment_counts_the_commitments_then(client, changed_record):
    r = changed_record
    body = get(client, "lines", as_of=r["then"]).content.decode()
    marked_past(body, "/lines-of-effort/")
    assert "Sharing, then" in body and "renamed since" not in body
    assert "The figure series (people freed, members, funds) are not shown as of a past date" in body
    assert "line_of_effort=sharing&amp;as_of=" in body
    # A column per meeting of then (six, the meeting deleted since among them, not the draft of then): four
    # commitments under sharing then, one under borders (deleted since).
    table = body[body.index('id="counts-table-caption"') :]
    assert table.count('<th scope="col"><a href="/meetings/') == 6 and "/meetings/drafted/" not in table
    totals = re.findall(r"<td>(\d+)</td>\s*</tr>", table)
    assert totals == ["4", "1"]
    today = get(client, "lines").content.decode()
    assert "Sharing, renamed since" in today and "The figure series" not in today


def test_the_follow_through_page_as_of_a_moment_counts_the_verdicts_then(client, changed_record):
    r = changed_record
    body = get(client, "follow-through", as_of=r["then"]).content.decode()
    marked_past(body, "/follow-through/")
    assert "Members' scores are not shown as of a past date" in body
    assert "Sharing, then" in body and "/?line_of_effort=sharing&amp;as_of=" in body
    # No approved assessment then: every commitment not yet assessed; today one is kept.
    assert "not scored · 0 of 4 assessed" in body
    assert "100 % · 1 of 4 assessed" in get(client, "follow-through").content.decode()


def test_search_as_of_a_moment_finds_the_texts_of_then(client, changed_record):
    r = changed_record
    response = get(client, "search", as_of=r["then"], q="kept")
    body = response.content.decode()
    assert response.status_code == 200
    marked_past(body, "/search/?q=kept")
    assert re.findall(r'data-pledge="([^"]+)"', body) == ["kept"]
    assert '<mark class="match">Kept</mark>, then' in body
    assert 'href="/pledges/kept/?as_of=' in body
    renamed = get(client, "search", as_of=r["then"], q="renamed").content.decode()
    assert re.findall(r'data-pledge="([^"]+)"', renamed) == []
    # The quotes of then: a pledge deleted since is found, a commitment in no pledge then (deleted since) too.
    found = get(client, "search", as_of=r["then"], q="interpol").content.decode()
    assert re.findall(r'data-pledge="([^"]+)"', found) == ["gone", "kept", "merged"]  # by line then, title then
    assert "INTERPOL" in found
    alone = get(client, "search", as_of=r["then"], q="stabilisation").content.decode()
    assert 'data-commitment="lone-then"' in alone and 'data-commitment="later"' not in alone
    assert "members are not searched as of a date" in alone
    today = get(client, "search", q="stabilisation").content.decode()
    assert 'data-commitment="lone-then"' not in today


LIST_PAGES = ["/", "/meetings/", "/commitments/", "/lines-of-effort/", "/follow-through/", "/search/"]


@pytest.mark.parametrize("url", LIST_PAGES)
def test_a_bad_moment_on_a_list_page_is_a_400_saying_why(client, url):
    response = client.get(url, {"as_of": "the day before"})
    assert response.status_code == 400 and "is not a moment" in response.content.decode()


def _rewrite(records, times):
    for record, field in records:
        for n in range(times):
            setattr(record, field, f"{getattr(record, field).split(' (v')[0]} (v{n})")
            record.save()


@pytest.mark.parametrize("changes", [1, 12])
def test_the_past_lists_run_as_many_queries_whatever_the_historys_length(client, django_assert_num_queries, changes):
    commitments = commitments_at_meetings(2016, 2019, 2021)
    thread = thread_with(*commitments, kinds=["repeated", "repeated"], slug="much-changed", title="Much changed")
    AssessmentFactory(commitment=commitments[0], verdict="kept")
    records = [(thread, "title"), (thread.line_of_effort, "name")]
    for commitment in commitments:
        records += [(commitment, "summary"), (commitment.statement, "title"), (commitment.statement.meeting, "name")]
    _rewrite(records, changes)
    for entry in thread.entries.all():
        _rewrite([(entry, "note")], changes)
    then = timezone.now().isoformat()
    _rewrite(records, changes)
    # The lines and meetings of then, the pledges chosen, and the page's cells with their verdicts then.
    with django_assert_num_queries(4):
        body = get(client, "matrix", as_of=then).content.decode()
    assert body.count("data-pledge=") == 1 and body.count('class="kind kind-') >= 3
    # The count and the page, its statements and their commitments and figures counted.
    with django_assert_num_queries(5):
        assert get(client, "meetings", as_of=then).content.decode().count('class="meta"') == 3
    # The lines, meetings and statements, the counts per statement, the page, its places and their pledges.
    with django_assert_num_queries(7):
        assert get(client, "commitments", as_of=then, q="interpol").content.decode().count('<li id="c-') == 3
    # The lines and meetings, and the counts; the meetings, and the verdicts by line and by meeting.
    with django_assert_num_queries(3):
        assert get(client, "lines", as_of=then).status_code == 200
    with django_assert_num_queries(2):
        assert "100 % · 1 of 1 assessed" in get(client, "follow-through", as_of=then).content.decode()
    # The lines, the pledges' count and page, their entries, commitments, statements and meetings, the quotes
    # that match, the first commitments in no pledge.
    with django_assert_num_queries(9):
        assert 'data-pledge="much-changed"' in get(client, "search", as_of=then, q="interpol").content.decode()


def test_a_merged_pledges_feed_answers_the_same_permanent_redirect_as_its_page(client, admin_user):
    first, second = commitments_at_meetings(2016, 2019)
    merged = thread_with(first, slug="merged-away")
    kept = thread_with(second, slug="kept-on")
    merge_threads(thread=merged, into=kept, reason="Same pledge.", by=admin_user)
    page = client.get("/pledges/merged-away/")
    feed = client.get("/pledges/merged-away/feed/")
    assert page.status_code == 301 and page["Location"] == "/pledges/kept-on/"
    assert feed.status_code == 301 and feed["Location"] == "/pledges/kept-on/feed/"
    assert client.get("/pledges/kept-on/feed/").status_code == 200


def test_the_records_past_pages_keep_the_moment_in_their_links_to_the_lists_and_sections(client, changed_record):
    r = changed_record
    a = r["a"]
    for url in (
        "/pledges/kept/",
        f"/commitments/{a.slug}/",
        f"/meetings/{a.statement.meeting.slug}/",
        f"/statements/{a.statement.slug}/",
    ):
        response = client.get(url, {"as_of": r["then"]})
        assert response.status_code == 200, url
        marked_past(response.content.decode(), url)


def test_the_past_pages_are_paged_as_today_their_pages_keeping_the_moment(client, changed_record, monkeypatch):
    from public import matrix, views

    monkeypatch.setattr(matrix, "PLEDGES_PER_PAGE", 2)
    monkeypatch.setattr(views, "MEETINGS_PER_PAGE", 2)
    monkeypatch.setattr(views, "COMMITMENTS_PER_PAGE", 2)
    monkeypatch.setattr(views, "SEARCH_PLEDGES_PER_PAGE", 2)
    then = changed_record["then"]
    for name, params, shown in (
        ("matrix", {}, r'data-pledge="([^"]+)"'),
        ("meetings", {}, r'<li>\s*<h2><a href="/meetings/([^/]+)/'),
        ("commitments", {}, r'<li id="c-([^"]+)">'),
        ("search", {"q": "interpol"}, r'data-pledge="([^"]+)"'),
    ):
        first = get(client, name, as_of=then, **params).content.decode()
        following = re.search(r'<a href="([^"]+)" rel="next">', first)
        assert following and "as_of=" in following.group(1), name
        assert all(f"{key}={value}" in following.group(1) for key, value in params.items())
        second = client.get(following.group(1).replace("&amp;", "&")).content.decode()
        assert "A past state: as of" in second
        assert set(re.findall(shown, first)).isdisjoint(re.findall(shown, second)) and re.findall(shown, second)
    # The years offered are those of then: one whose only meeting was added since is no choice.
    assert get(client, "matrix", as_of=then, year_from=2023).status_code == 400
    assert get(client, "matrix", year_from=2023).status_code == 200
