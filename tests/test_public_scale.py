"""The public pages with more meetings and pledges than a screen holds: windows, pages, years, bounded series.

The page sizes and windows are made small here (monkeypatched) so that a few dozen records cross them;
`meeting_window()` is also tested with the real sizes on the shape of a large tracker.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from commitments.models import Commitment, Thread, ThreadEntry, TimelineStep
from core.marking import segments
from core.texts import sha256_hex
from meetings.models import Meeting, Statement
from public import matrix, views
from public.highlight import Span
from public.paging import GroupedList
from tests.browser import axe_violations, blocking, matrix_headers_in_view, save_screenshot
from tests.factories import (
    STATEMENT_TEXT,
    CommitmentFactory,
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
)
from tests.test_public import QUERIES, read_matrix, text_of

PHRASES = [
    "We will continue to enhance our information sharing, including with INTERPOL.",
    "We must continue to increase our stabilization contributions.",
]


def tracker(years, per_year, pledges):
    """`per_year` meetings a year over `years`, a statement each, and `pledges` recurring pledges made at the
    first and at the last meeting; built in bulk. Returns the meetings in order."""
    line = LineOfEffortFactory(slug="stabilization", name="Stabilization")
    meetings = Meeting.objects.bulk_create(
        MeetingFactory.build(start_date=day, end_date=day)
        for day in (datetime.date(year, 1 + 3 * n, 1) for year in years for n in range(per_year))
    )
    statements = Statement.objects.bulk_create(
        StatementFactory.build(meeting=meeting, sha256=sha256_hex(STATEMENT_TEXT)) for meeting in meetings
    )
    threads = Thread.objects.bulk_create(ThreadFactory.build(line_of_effort=line) for _ in range(pledges))
    commitments = Commitment.objects.bulk_create(
        CommitmentFactory.build(statement=statement, line_of_effort=line, phrase=PHRASES[index % 2])
        for _ in threads
        for index, statement in enumerate([statements[0], statements[-1]])
    )
    ThreadEntry.objects.bulk_create(
        ThreadEntryFactory.build(
            thread=thread, commitment=commitment, position=position, change_kind="new" if position == 1 else "widened"
        )
        for index, thread in enumerate(threads)
        for position, commitment in enumerate(commitments[2 * index : 2 * index + 2], start=1)
    )
    return meetings


@pytest.fixture
def small_windows(monkeypatch):
    """A window of 4 meetings by default and 8 at most, 5 pledges and 5 meetings a page."""
    monkeypatch.setattr(matrix, "RECENT_MEETINGS", 4)
    monkeypatch.setattr(matrix, "MOST_MEETINGS", 8)
    monkeypatch.setattr(matrix, "PLEDGES_PER_PAGE", 5)
    monkeypatch.setattr(views, "MEETINGS_PER_PAGE", 5)


def columns(response):
    return re.findall(r'<th scope="col"><a href="/meetings/([^/]+)/">', response.content.decode())


def selected(response, field):
    found = re.search(rf'<select name="{field}".*?</select>', response.content.decode(), re.S)[0]
    choice = re.search(r'<option value="([^"]*)" selected>', found)
    return choice[1] if choice else None


def links(response, label):
    """The addresses of the links whose text starts with `label`."""
    page = response.content.decode()
    return [
        html.unescape(href)
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>([^<]*)', page)
        if text.startswith(label)
    ]


# -- the window of meetings ---------------------------------------------------------------------


def test_a_small_tracker_shows_every_meeting():
    per_year = [(2016, 1), (2019, 2), (2020, 1), (2021, 1)]
    window = matrix.meeting_window(per_year)
    assert (window.first, window.last, window.meetings, window.narrowed) == (2016, 2021, 5, False)
    assert (window.earlier, window.later) == (None, None)


def test_a_large_tracker_shows_the_latest_dozen_meetings_and_at_most_two_dozen_when_asked():
    per_year = [(year, 8) for year in range(1995, 2058)]  # about 100,000 commitments of the demo data
    latest = matrix.meeting_window(per_year)
    assert (latest.first, latest.last, latest.meetings, latest.narrowed) == (2056, 2057, 16, True)
    assert (latest.earlier, latest.later) == (2055, None)
    asked = matrix.meeting_window(per_year, 2000, 2010)
    assert (asked.first, asked.last, asked.meetings, asked.narrowed) == (2000, 2002, 24, True)
    assert (asked.earlier, asked.later) == (1999, 2003)
    back = matrix.meeting_window(per_year, None, 2010)
    assert (back.first, back.last, back.meetings) == (2008, 2010, 24)
    fits = matrix.meeting_window(per_year, 2020, 2021)
    assert (fits.first, fits.last, fits.meetings, fits.narrowed) == (2020, 2021, 16, False)


def test_a_year_with_more_meetings_than_a_window_holds_is_shown_whole():
    window = matrix.meeting_window([(2020, 30), (2021, 40)], 2021, 2021)
    assert (window.first, window.last, window.meetings) == (2021, 2021, 40)
    assert matrix.meeting_window([], None, None).meetings == 0


# -- the matrix at scale --------------------------------------------------------------------------


def test_the_matrix_shows_the_latest_meetings_a_page_of_pledges_and_links_to_the_rest(
    client, db, small_windows, django_assert_num_queries
):
    meetings = tracker(range(2000, 2004), per_year=4, pledges=12)
    with django_assert_num_queries(QUERIES["public:matrix"]):
        first = client.get("/")
    # The latest years holding four meetings at least; the form says which, and leads to the earlier ones.
    assert columns(first) == [meeting.slug for meeting in meetings[-4:]]
    assert selected(first, "year_from") == "2003" and selected(first, "year_to") == "2003"
    assert links(first, "earlier meetings") == ["/?year_to=2002"]
    assert "12 recurring pledges across 4 meetings. This page shows 1 to 5." in text_of(first.content.decode())
    rows = read_matrix(first).rows
    assert len(rows) == 5 and all(row[meetings[-1].slug] == ["↔ widened"] for row in rows.values())

    # Pages keep the filters; the last has what is left; a page that is not there is a 404.
    words = client.get("/", {"q": "recurring pledge"})
    assert links(words, "Next") == ["/?q=recurring+pledge&page=2"]
    with django_assert_num_queries(QUERIES["public:matrix"]):
        last = client.get("/", {"q": "recurring pledge", "page": 3})
    assert len(read_matrix(last).rows) == 2
    assert set(read_matrix(last).rows).isdisjoint(rows)
    assert client.get("/", {"page": 4}).status_code == 404
    assert client.get("/", {"page": "last"}).status_code == 404

    # Earlier meetings: back from the year before, as many whole years as a window holds.
    earlier = client.get("/?year_to=2002")
    assert "a few years at a time: 2001 to 2002." in " ".join(text_of(earlier.content.decode()).split())
    assert selected(earlier, "year_from") == "2001" and selected(earlier, "year_to") == "2002"
    assert links(earlier, "earlier meetings") == ["/?year_to=2000"]
    assert links(earlier, "later meetings") == ["/?year_from=2003"]
    assert read_matrix(earlier).rows == {}  # the pledges were made in 2000 and 2003 only
    assert "No recurring pledge matches these filters." in earlier.content.decode()


def test_the_matrix_reads_a_page_of_pledges_with_their_count_never_every_pledge(client, db, small_windows):
    """One query finds the page's pledges and counts them all (`core.pages.counted_slice`), through the
    window's entries: no list of every pledge's id, no probe of every pledge's entries."""
    tracker(range(2000, 2004), per_year=4, pledges=12)
    outside = ThreadFactory(line_of_effort=LineOfEffortFactory(slug="elsewhere"))  # none of its entries in the window
    ThreadEntryFactory(thread=outside, commitment=CommitmentFactory(statement=Statement.objects.order_by("pk")[1]))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"page": 2})
    assert "12 recurring pledges across 4 meetings. This page shows 6 to 10." in text_of(response.content.decode())
    table = connection.ops.quote_name(Thread._meta.db_table)
    [pledges] = [q["sql"] for q in queries if q["sql"].startswith(f"SELECT {table}.") and "OVER" in q["sql"]]
    assert "LIMIT 5 OFFSET 5" in pledges and "EXISTS" not in pledges.upper()
    # A page past the end, or one no database could reach, is a 404 as before.
    assert client.get("/", {"page": 4}).status_code == 404
    assert client.get("/", {"page": 10**30}).status_code == 404
    assert client.get("/", {"page": "0"}).status_code == 404


def test_an_asked_range_of_years_is_cut_to_what_a_window_holds(client, db, small_windows):
    meetings = tracker(range(2000, 2004), per_year=4, pledges=3)
    response = client.get("/", {"year_from": 2000, "year_to": 2003, "line_of_effort": "stabilization"})
    assert response.status_code == 200
    assert columns(response) == [meeting.slug for meeting in meetings[:8]]
    assert selected(response, "year_from") == "2000" and selected(response, "year_to") == "2001"
    assert selected(response, "line_of_effort") == "stabilization"
    assert links(response, "later meetings") == ["/?line_of_effort=stabilization&year_from=2002"]
    assert "a few years at a time: 2000 to 2001" in " ".join(text_of(response.content.decode()).split())
    assert {row[meetings[0].slug][0] for row in read_matrix(response).rows.values()} == {"+ new"}
    # The commitments behind the view are those of the years shown.
    csv = re.search(r'with these filters[^:]*: <a href="[^"]+">JSON</a> · <a href="([^"]+)"', response.content.decode())
    assert "date_after=2000-01-01" in html.unescape(csv[1]) and "date_before=2001-12-31" in html.unescape(csv[1])


# -- meetings, lines of effort --------------------------------------------------------------------


def test_the_meetings_list_is_paged(client, db, small_windows, django_assert_num_queries):
    meetings = tracker(range(2000, 2003), per_year=4, pledges=1)
    with django_assert_num_queries(QUERIES["public:meetings"]):
        second = client.get("/meetings/", {"page": 2})
    page = second.content.decode()
    assert re.findall(r'<h2><a href="/meetings/([^/]+)/">', page) == [meeting.slug for meeting in meetings[5:10]]
    assert '<ol class="meeting-list" start="6">' in page
    assert "Page 2 of 3: meetings 6–10 of 12." in text_of(page)
    assert links(second, "‹ Previous") == ["/meetings/"] and links(second, "Next") == ["/meetings/?page=3"]
    assert client.get("/meetings/", {"page": 4}).status_code == 404


def test_the_commitments_list_is_paged_in_the_same_queries_with_its_filters_kept(
    client, db, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(views, "COMMITMENTS_PER_PAGE", 4)
    tracker(range(2000, 2003), per_year=2, pledges=5)
    alone = CommitmentFactory.create_batch(3, statement=Statement.objects.order_by("pk").last())
    everything = list(Commitment.objects.listed_rows().values_list("slug", flat=True))
    assert len(everything) == 13
    with django_assert_num_queries(QUERIES["public:commitments"]):
        second = client.get("/commitments/", {"page": 2})
    page = second.content.decode()
    assert re.findall(r'class="commitment-quote"><a href="/commitments/([^/]+)/">', page) == everything[4:8]
    assert '<ol class="commitment-list" start="5">' in page
    assert "Page 2 of 4: commitments 5–8 of 13." in text_of(page)
    with django_assert_num_queries(QUERIES["public:commitments"]):
        filtered = client.get("/commitments/", {"has_thread": "false", "strength": "binding"})
    shown = re.findall(r'class="commitment-quote"><a href="/commitments/([^/]+)/">', filtered.content.decode())
    assert shown == [c.slug for c in alone if c.strength == "binding"]
    assert client.get("/commitments/", {"page": 5}).status_code == 404


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=5), max_size=8),
    start=st.integers(min_value=0, max_value=30),
    length=st.integers(min_value=0, max_value=10),
)
def test_a_list_read_through_its_groups_slices_as_the_whole_list_would(sizes, start, length):
    whole = [(group, index) for group, size in enumerate(sizes) for index in range(size)]
    reads = []

    def read(keys, skip, limit):
        reads.append(keys)
        return [item for item in whole if item[0] in keys][skip : skip + limit]

    grouped = GroupedList(list(enumerate(sizes)), read)
    assert len(grouped) == len(whole)
    assert list(grouped[start : start + length]) == whole[start : start + length]
    # Only the groups the slice spans are read.
    assert all(sizes[key] for keys in reads for key in keys)
    assert sum(len(keys) for keys in reads) <= len({group for group, _ in whole[start : start + length]})


def test_with_many_meetings_the_lines_page_counts_per_year_and_shows_the_latest_figures(
    client, db, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(views, "SERIES_LENGTH", 2)
    meetings = tracker([2000, 2003], per_year=4, pledges=3)
    for meeting in meetings[:3]:
        FigureFactory(statement=meeting.statements.get())
    with django_assert_num_queries(QUERIES["public:lines"]):
        response = client.get(reverse("public:lines"))
    page = response.content.decode()
    assert "Commitments per line of effort and year" in page
    table = re.search(r'<table class="counts">.*?</table>', page, re.S)[0]
    by_year = {
        cells[0]: cells[1:]
        for cells in (
            [text_of(cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
        )
    }
    # Every year from the first to the last, a year without a meeting included; the first meeting of
    # 2000 and the last of 2003 hold all the commitments.
    assert list(by_year) == ["2000", "2001", "2002", "2003"]
    assert by_year["2000"] == ["3 (3 / 0)", "3"] and by_year["2001"] == ["0", "0"] and by_year["2003"][-1] == "3"
    assert "The latest 2 of 3 figures" in page
    assert page.count("More than 7.7 million people”") == 2


# -- one segmentation, one matching per step -------------------------------------------------------


def naive_segments(text, marks):
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    for start, end in zip(cuts, cuts[1:], strict=False):
        yield start, end, [m for m in marks if m.start <= start and end <= m.end]


spans = st.lists(st.tuples(st.integers(0, 59), st.integers(1, 30)), max_size=12).map(
    lambda pairs: [Span(start, min(60, start + length), "commitment", f"c-{start}") for start, length in pairs]
)


@given(spans)
def test_segments_are_the_pieces_between_every_start_and_end_with_the_marks_covering_each(marks):
    text = "x" * 60
    assert list(segments(text, marks)) == list(naive_segments(text, marks))


def test_a_timeline_step_matches_the_two_quotes_once(db, monkeypatch):
    import commitments.timeline

    calls = []
    compare = commitments.timeline.compare
    monkeypatch.setattr(commitments.timeline, "compare", lambda old, new: calls.append(1) or compare(old, new))
    first, second = CommitmentFactory(phrase=PHRASES[0]), CommitmentFactory(phrase=PHRASES[1])
    thread = ThreadFactory()
    ThreadEntryFactory(thread=thread, commitment=first, position=1)
    ThreadEntryFactory(thread=thread, commitment=second, position=2, change_kind="repeated")
    _, step = Thread.objects.with_timeline().get(pk=thread.pk).timeline()
    assert isinstance(step, TimelineStep)
    step.diff, step.similarity(), step.wording_is_close(), step.suggested_change_kind(), step.diff
    assert len(calls) == 1


# -- in the browser ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_windowed_and_paged_pages_load_clean_with_no_serious_axe_violation(browser_session, small_windows, scheme):
    tracker(range(2000, 2004), per_year=4, pledges=12)  # the database's work first: then the browser
    pages = {
        "matrix": "/",
        "matrix-last-page": "/?page=3",
        "matrix-asked-years-cut": "/?year_from=2000&year_to=2003",
        "meetings-page-2": "/meetings/?page=2",
        "lines-of-effort-by-year": "/lines-of-effort/",
    }
    page = browser_session.new_page(color_scheme=scheme)
    found = {}
    for name, url in pages.items():
        assert page.goto(url).status == 200, url
        if name == "matrix-last-page":
            assert page.locator("nav.pager a[aria-current=page]").text_content() == "Page 3"
        found[name] = blocking(axe_violations(page, f"{name} at scale ({scheme})"))
        save_screenshot(page, "public-at-scale", f"{name}-{scheme}")
    browser_session.assert_clean()
    assert found == {name: [] for name in pages}


# -- the matrix fits any number of meetings -----------------------------------------------------------

CITIES = ["Copenhagen", "Marrakesh", "Washington", "Rome", "Paris", "Brussels"]
KINDS = ["widened", "strengthened", "repeated", "weakened", "narrowed"]


def pledges_at_every_meeting(meetings, pledges):
    """`meetings` meetings, two a year from 2000, in cities of long and short names, a statement each, and
    `pledges` recurring pledges (long titles, two lines of effort) made at every meeting; the last pledge
    twice at the newest meeting, strengthened and weakened. Built in bulk; returns the meetings in order."""
    lines = [
        LineOfEffortFactory(slug="ftf", name="Foreign terrorist fighters and information sharing"),
        LineOfEffortFactory(slug="stabilization", name="Stabilization"),
    ]
    meetings = Meeting.objects.bulk_create(
        MeetingFactory.build(
            city=CITIES[n % len(CITIES)],
            format="ministerial" if n % 3 == 0 else "small-group",
            start_date=datetime.date(2000 + n // 2, 3 + 6 * (n % 2), 1),
            end_date=datetime.date(2000 + n // 2, 3 + 6 * (n % 2), 1),
        )
        for n in range(meetings)
    )
    statements = Statement.objects.bulk_create(
        StatementFactory.build(meeting=meeting, sha256=sha256_hex(STATEMENT_TEXT)) for meeting in meetings
    )
    threads = Thread.objects.bulk_create(
        ThreadFactory.build(line_of_effort=lines[n * 2 // pledges], title=f"Pledge {n}: support for liberated areas")
        for n in range(pledges)
    )
    made = [(thread, statement) for thread in threads for statement in statements]
    made.append((threads[-1], statements[-1]))
    commitments = Commitment.objects.bulk_create(
        CommitmentFactory.build(statement=statement, line_of_effort=thread.line_of_effort, phrase=PHRASES[n % 2])
        for n, (thread, statement) in enumerate(made)
    )
    positions = {}
    entries = []
    for (thread, _), commitment in zip(made, commitments, strict=True):
        position = positions[thread.pk] = positions.get(thread.pk, 0) + 1
        kind = "new" if position == 1 else KINDS[position % len(KINDS)]
        entries.append(
            ThreadEntryFactory.build(thread=thread, commitment=commitment, position=position, change_kind=kind)
        )
    entries[-2].change_kind, entries[-1].change_kind = "strengthened", "weakened"
    ThreadEntry.objects.bulk_create(entries)
    return meetings


# Where each column header is, seen from inside the matrix's box: scrolled so that the header sits just
# right of the stuck pledge names, is it whole inside the box's visible part, and what is on top at its
# middle? Then the box is put back where it was.
HEADER_PLACES = """() => {
    const box = document.querySelector(".matrix-scroll"), corner = box.querySelector("thead th:first-child");
    const start = [box.scrollLeft, box.scrollTop];
    box.scrollIntoView({block: "start"});
    const seen = [...box.querySelectorAll("thead th:not(:first-child)")].map(th => {
        box.scrollLeft += th.getBoundingClientRect().left - corner.getBoundingClientRect().right;
        const b = box.getBoundingClientRect(), r = th.getBoundingClientRect();
        const right = b.left + box.clientLeft + box.clientWidth;
        const top = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
        return {
            name: th.querySelector("a").textContent,
            whole: r.left >= corner.getBoundingClientRect().right - 1 && r.right <= right + 1,
            onTop: th.contains(top),
        };
    });
    [box.scrollLeft, box.scrollTop] = start;
    return seen;
}"""

# Scrolled to either end: at the box's bottom, are the meeting headers at its top and the pledge names at its
# left; at its top, is every line of effort's name whole in view and the first one uncovered?
STUCK = """() => {
    const box = document.querySelector(".matrix-scroll"), b = box.getBoundingClientRect();
    const header = box.querySelector("thead th:last-child"), corner = box.querySelector("thead th:first-child");
    const name = [...box.querySelectorAll("th[scope=row]")].at(-1), bar = box.querySelector(".line-row .stuck");
    const found = [];
    box.scrollIntoView({block: "start"});
    for (const end of [-box.scrollWidth, box.scrollWidth]) {
        box.scrollLeft = end;
        box.scrollTop = box.scrollHeight;
        const h = header.getBoundingClientRect(), n = name.getBoundingClientRect();
        const placed = {
            headerAtTop: Math.abs(corner.getBoundingClientRect().top - (b.top + box.clientTop)) <= 1
                && Math.abs(h.top - (b.top + box.clientTop)) <= 1,
            nameAtLeft: Math.abs(n.left - (b.left + box.clientLeft)) <= 1,
        };
        box.scrollTop = 0;
        const l = bar.getBoundingClientRect();
        placed.barAtLeft = [...box.querySelectorAll(".line-row .stuck")].every(stuck => {
            const r = stuck.getBoundingClientRect();
            return r.left >= b.left + box.clientLeft - 1 && r.right <= b.left + box.clientLeft + box.clientWidth + 1;
        });
        placed.barOnTop = bar.contains(document.elementFromPoint(l.left + 4, (l.top + l.bottom) / 2));
        found.push(placed);
    }
    return found;
}"""


def matrix_box(page):
    return page.evaluate(
        """() => { const box = document.querySelector(".matrix-scroll"), cue = document.querySelector(".scroll-cue");
            return {scrollWidth: box.scrollWidth, clientWidth: box.clientWidth, scrollHeight: box.scrollHeight,
                    clientHeight: box.clientHeight, cue: getComputedStyle(cue).visibility === "visible",
                    pageFits: document.documentElement.scrollWidth <= innerWidth}; }"""
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("count", [4, 6, 24])
def test_the_matrix_keeps_every_meeting_reachable_the_newest_in_view_and_its_headers_stuck(browser_session, count):
    meetings = pledges_at_every_meeting(count, pledges=30)  # the database's work first: then the browser
    names = [meeting.short_name() for meeting in meetings]
    url = "/?year_from=2000"  # every meeting: 24 are as many as an asked range shows
    found = {}
    for viewport, label in [({"width": 1280, "height": 900}, "1280"), ({"width": 390, "height": 844}, "phone")]:
        for scheme in ["light", "dark"]:
            page = browser_session.new_page(color_scheme=scheme, viewport=viewport)
            assert page.goto(url).status == 200
            box = matrix_box(page)
            assert box["pageFits"], label  # the box scrolls, never the page
            assert box["scrollHeight"] > box["clientHeight"], label  # tall enough for the headers to have to stick
            # No column is clipped: each header can be scrolled whole into view, nothing lying over it.
            places = page.evaluate(HEADER_PLACES)
            assert [place["name"] for place in places] == names
            assert [place for place in places if not (place["whole"] and place["onTop"])] == [], label
            # The page opens on the newest meetings; the cue says there is more exactly when there is.
            in_view = matrix_headers_in_view(page)
            assert in_view and in_view == names[-len(in_view) :], label
            assert box["cue"] == (box["scrollWidth"] > box["clientWidth"]) == (len(in_view) < count), label
            if label == "1280":
                assert (len(in_view) == count) == (count <= 6)  # six compact columns fit beside the names
            # Scrolled down and to either end, the meetings stay named on top, the pledges and lines on the left.
            stuck = {"headerAtTop": True, "nameAtLeft": True, "barAtLeft": True, "barOnTop": True}
            assert page.evaluate(STUCK) == [stuck, stuck], label
            found[f"{label} {scheme}"] = blocking(axe_violations(page, f"matrix, {count} meetings, {label} ({scheme})"))
            if count == 6 and scheme == "light":
                page.goto(url)
                save_screenshot(page, "public", f"matrix-6-meetings-{label}")
            page.context.close()
    browser_session.assert_clean()
    assert found == {key: [] for key in found}
