"""A pledge made hundreds of times, paged on its public page and in its API answer (issue 25).

A page of its timeline costs the same queries whatever the pledge's length; a pledge of one page
(the seed's 2 to 7 commitments) is shown and answered whole, as before (tests/test_public.py,
tests/test_api_seed.py hold that shape); its CSV stays whole.
"""

import csv
import datetime
import html
import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from commitments.models import Assessment, Commitment, Thread, ThreadEntry
from commitments.timeline import TIMELINE_PAGE_SIZE
from core.texts import sha256_hex
from meetings.models import Meeting, Statement
from tests.browser import axe_violations, blocking, save_screenshot
from tests.factories import (
    STATEMENT_TEXT,
    AssessmentFactory,
    CommitmentFactory,
    LineOfEffortFactory,
    MeetingFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
)
from tests.test_public import QUERIES

pytestmark = pytest.mark.django_db

PHRASES = [
    "We will continue to enhance our information sharing, including with INTERPOL.",
    "We must continue to increase our stabilization contributions.",
]


def _bulk(model, objects):
    """Insert in bulk with each record's first history row, as `generate_demo` does (a past page reads it)."""
    rows = model.objects.bulk_create(objects)
    model.history.bulk_history_create(rows)
    return rows


def long_pledge(entries, slug="long-pledge"):
    """A published pledge of `entries` commitments, two at each meeting (a statement each), a fortnight apart."""
    line = _bulk(type(LineOfEffortFactory.build()), [LineOfEffortFactory.build()])[0]
    days = [datetime.date(1990, 1, 1) + datetime.timedelta(days=14 * n) for n in range(-(-entries // 2))]
    meetings = _bulk(Meeting, [MeetingFactory.build(start_date=day, end_date=day) for day in days])
    statements = _bulk(
        Statement,
        [StatementFactory.build(meeting=meeting, sha256=sha256_hex(STATEMENT_TEXT)) for meeting in meetings],
    )
    commitments = _bulk(
        Commitment,
        [
            CommitmentFactory.build(statement=statements[n // 2], line_of_effort=line, phrase=PHRASES[n % 2])
            for n in range(entries)
        ],
    )
    thread = _bulk(Thread, [ThreadFactory.build(slug=slug, line_of_effort=line)])[0]
    _bulk(
        ThreadEntry,
        [
            ThreadEntryFactory.build(
                thread=thread, commitment=commitment, position=n, change_kind="new" if n == 1 else "widened"
            )
            for n, commitment in enumerate(commitments, start=1)
        ],
    )
    return thread, commitments, meetings


def positions(page):
    return [int(n) for n in re.findall(r'<span class="position">(\d+)\.</span>', page)]


def pager_links(page):
    nav = re.search(r'<nav class="pager".*?</nav>', page, re.S)
    return nav and {text: html.unescape(href) for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav[0])}


# -- the public page ------------------------------------------------------------------------------


def test_a_long_pledge_s_page_shows_a_page_of_its_steps_in_meeting_order_with_a_pager(client):
    thread, commitments, meetings = long_pledge(120)
    first = client.get(reverse("public:pledge", args=[thread.slug])).content.decode()
    assert positions(first) == list(range(1, 51))
    assert "Page 1 of 3: its commitments 1–50 of 120." in first
    links = pager_links(first)
    assert links['Next<span class="visually-hidden"> page</span> ›'] == f"/pledges/{thread.slug}/?page=2"
    assert links['<span class="visually-hidden">Page </span>3'] == f"/pledges/{thread.slug}/?page=3"
    assert 'rel="prev"' not in first
    # The whole pledge in numbers; the meetings listed are those of the page.
    lede = re.search(r'<p class="lede">(.*?)</p>', first, re.S)[1]
    assert "made 120 times at 60 meetings" in lede and "nos. 1 to 50" in lede
    assert len(re.findall(r'<a href="/meetings/', lede)) == 25
    assert '"trajectory-label">Nos. 1–50 in one line:</strong>' in first

    second = client.get(reverse("public:pledge", args=[thread.slug]), {"page": 2}).content.decode()
    assert positions(second) == list(range(51, 101))
    assert "Page 2 of 3: its commitments 51–100 of 120." in second
    links = pager_links(second)
    # The first page's address is the pledge's own.
    assert links['‹ Previous<span class="visually-hidden"> page</span>'] == f"/pledges/{thread.slug}/"
    assert '<a href="?page=2" aria-current="page">' in second.replace(f"/pledges/{thread.slug}/", "")
    # Its first step's wording is against no. 50, on the page before: linked to that commitment's own page.
    step = second[second.index('id="c-' + commitments[50].slug) :]
    assert "Wording against no. 50, the previous commitment" in step[: step.index("</article>")]
    assert f'Before: <a href="/commitments/{commitments[49].slug}/">' in step[: step.index("</article>")]
    # Not "first made" where the page does not open the pledge, nor "latest" where it does not close it.
    line = re.search(r'<p class="trajectory".*?</p>', second, re.S)[0]
    assert "irst made" not in line and "latest:" not in line and "Nos. 51–100 in one line" in line

    last = client.get(reverse("public:pledge", args=[thread.slug]), {"page": 3}).content.decode()
    assert positions(last) == list(range(101, 121))
    assert 'rel="next"' not in last and f"latest: {html.escape(meetings[-1].short_name())}" in last


@pytest.mark.parametrize("page", ["4", "0", "-1", "two", "99999999999999999999"])
def test_a_page_a_long_pledge_does_not_have_is_a_404(client, page):
    thread, _, _ = long_pledge(60)
    assert client.get(reverse("public:pledge", args=[thread.slug]), {"page": page}).status_code == 404


def test_a_pledge_of_one_page_shows_every_step_and_no_pager(client):
    thread, _, _ = long_pledge(TIMELINE_PAGE_SIZE)
    page = client.get(reverse("public:pledge", args=[thread.slug])).content.decode()
    assert positions(page) == list(range(1, TIMELINE_PAGE_SIZE + 1))
    assert 'class="pager"' not in page and '"trajectory-label">In one line:</strong>' in page
    assert "first made" in re.search(r'<p class="trajectory".*?</p>', page, re.S)[0]
    assert f"made {TIMELINE_PAGE_SIZE} times at 25 meetings:" in page
    assert client.get(reverse("public:pledge", args=[thread.slug]), {"page": 2}).status_code == 404


def test_a_long_pledge_s_verdict_today_is_its_newest_whatever_the_page(client):
    thread, commitments, _ = long_pledge(120)
    AssessmentFactory(commitment=commitments[3], assessed_on=datetime.date(2020, 1, 1), status="in-progress")
    AssessmentFactory(commitment=commitments[110], assessed_on=datetime.date(2021, 1, 1), status="completed")
    page = client.get(reverse("public:pledge", args=[thread.slug])).content.decode()
    today = re.search(r'<section class="verdict-today".*?</section>', page, re.S)[0]
    assert "1 January 2021" in today
    # Its commitment is on page 3: linked to its own page.
    assert f'<a href="/commitments/{commitments[110].slug}/">' in today
    # The page's course across cycles holds the page's assessments only.
    assert page.count('<li class="report') == 1
    last = client.get(reverse("public:pledge", args=[thread.slug]), {"page": 3}).content.decode()
    today = re.search(r'<section class="verdict-today".*?</section>', last, re.S)[0]
    assert f'<a href="#c-{commitments[110].slug}">' in today


@pytest.mark.parametrize("entries", [60, 300])
def test_a_page_of_a_long_pledge_runs_the_same_queries_whatever_its_length(client, django_assert_num_queries, entries):
    thread, commitments, _ = long_pledge(entries)
    AssessmentFactory(commitment=commitments[-1])
    # A pledge's queries (tests/test_public.py) and one more: its verdict today among all its commitments.
    for number in (1, 2):
        with django_assert_num_queries(QUERIES["public:pledge"] + 1):
            response = client.get(reverse("public:pledge", args=[thread.slug]), {"page": number})
        assert response.status_code == 200
        assert len(positions(response.content.decode())) == min(TIMELINE_PAGE_SIZE, entries - 50 * (number - 1))


def test_a_long_pledge_as_it_stood_then_is_paged_and_its_pages_keep_the_moment(client):
    thread, _, _ = long_pledge(120)
    then = timezone.now()
    stamp = then.isoformat()
    response = client.get(reverse("public:pledge", args=[thread.slug]), {"as_of": stamp, "page": 2})
    page = response.content.decode()
    assert response.status_code == 200 and positions(page) == list(range(51, 101))
    links = pager_links(page)
    assert all("as_of=" in href for href in links.values())
    assert "page=3" in links['Next<span class="visually-hidden"> page</span> ›']
    assert "page=" not in links['‹ Previous<span class="visually-hidden"> page</span>']
    assert client.get(reverse("public:pledge", args=[thread.slug]), {"as_of": stamp, "page": 4}).status_code == 404


@pytest.mark.parametrize("entries", [60, 300])
def test_a_page_of_a_long_pledge_as_of_a_date_runs_the_same_queries(client, django_assert_num_queries, entries):
    thread, _, _ = long_pledge(entries)
    then = timezone.now().isoformat()
    # The past page's eight (tests/test_as_of_pages.py), whatever the pledge's length.
    with django_assert_num_queries(8):
        response = client.get(reverse("public:pledge", args=[thread.slug]), {"as_of": then, "page": 2})
    assert len(positions(response.content.decode())) == min(TIMELINE_PAGE_SIZE, entries - TIMELINE_PAGE_SIZE)


def test_links_to_a_commitment_of_a_long_pledge_lead_to_its_page_of_the_pledge(client):
    thread, commitments, meetings = long_pledge(120)
    late = commitments[110]  # no. 111, on page 3
    card = f"/pledges/{thread.slug}/?page=3#c-{late.slug}"
    assert f'href="{card}"' in client.get(reverse("public:commitment", args=[late.slug])).content.decode()
    assert f'href="{card}"' in client.get(reverse("public:meeting", args=[meetings[55].slug])).content.decode()
    assert f'href="{card}"' in client.get(reverse("public:statement", args=[late.statement.slug])).content.decode()
    assert f'href="{card}"' in client.get(reverse("public:commitments"), {"page": 3}).content.decode()
    assert f'href="{card}"' in client.get(reverse("public:matrix")).content.decode()
    assert f"http://testserver{card}" in client.get(reverse("public:pledge-feed", args=[thread.slug])).content.decode()
    # On page 1 a card has no page in its address; as of a date, the page follows the moment.
    first = client.get(reverse("public:commitment", args=[commitments[0].slug])).content.decode()
    assert f'href="/pledges/{thread.slug}/#c-{commitments[0].slug}"' in first
    then = timezone.now().isoformat()
    past = client.get(reverse("public:commitment", args=[late.slug]), {"as_of": then}).content.decode()
    assert re.search(rf'href="/pledges/{thread.slug}/\?as_of=[^"&]+&amp;page=3#c-{late.slug}"', past)
    feed = client.get(reverse("public:pledge-feed", args=[thread.slug]), {"as_of": then}).content.decode()
    assert re.search(rf'href="http://testserver/pledges/{thread.slug}/\?as_of=[^"&]+&amp;page=3#c-{late.slug}"', feed)


# -- the API --------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fresh_throttle():
    cache.clear()


def detail(slug, **params):
    return APIClient().get(reverse("api:thread-detail", args=[slug]), params)


def test_a_long_pledge_s_answer_is_a_page_of_its_timeline_with_links_to_the_others():
    thread, commitments, meetings = long_pledge(120)
    first = detail(thread.slug).json()
    assert [step["position"] for step in first["timeline"]] == list(range(1, 51))
    # Its counts and meetings are the whole pledge's.
    assert first["commitment_count"] == first["timeline_count"] == 120
    assert first["meetings"] == [meeting.slug for meeting in meetings]
    assert (first["timeline_page"], first["timeline_pages"], first["timeline_previous"]) == (1, 3, None)
    assert first["timeline_next"] == f"http://testserver/api/v1/threads/{thread.slug}/?timeline_page=2"

    # Following the links reads every step once, in order; a page's first step is compared with the one before.
    steps, url = [], f"/api/v1/threads/{thread.slug}/"
    while url:
        page = APIClient().get(url).json()
        steps += page["timeline"]
        url = page["timeline_next"]
    assert [step["position"] for step in steps] == list(range(1, 121))
    assert steps[50]["diff"] and steps[50]["suggested_change_kind"] != "new"
    assert page["timeline_previous"] == f"http://testserver/api/v1/threads/{thread.slug}/?timeline_page=2"
    second = detail(thread.slug, timeline_page=2).json()
    assert second["timeline_previous"] == f"http://testserver/api/v1/threads/{thread.slug}/"
    # The same steps as the whole timeline's CSV, which an export keeps whole.
    rows = list(csv.DictReader(io.StringIO(detail(thread.slug, format="csv").content.decode())))
    assert [row["commitment"] for row in rows] == [step["commitment"] for step in steps]


@pytest.mark.parametrize("page", ["4", "0", "x"])
def test_a_timeline_page_a_pledge_does_not_have_is_a_404(page):
    thread, _, _ = long_pledge(120)
    assert detail(thread.slug, timeline_page=page).status_code == 404


def test_a_pledge_of_one_page_answers_as_before():
    thread, _, _ = long_pledge(TIMELINE_PAGE_SIZE)
    answer = detail(thread.slug).json()
    assert len(answer["timeline"]) == answer["commitment_count"] == TIMELINE_PAGE_SIZE
    assert not [name for name in answer if name.startswith("timeline_")]
    assert detail(thread.slug, timeline_page=1).json() == answer
    assert detail(thread.slug, timeline_page=2).status_code == 404


@pytest.mark.parametrize("entries", [60, 300])
def test_a_page_of_a_long_pledge_s_answer_runs_the_same_queries(django_assert_num_queries, entries):
    thread, _, _ = long_pledge(entries)
    detail(thread.slug)  # the throttle's counter, in the cache
    # The pledge with its counts, its links, its version (the ETag), the page's steps, its meetings.
    for number in (1, 2):
        with django_assert_num_queries(5):
            answer = detail(thread.slug, timeline_page=number).json()
        assert answer["timeline_count"] == entries and len(answer["timeline"]) == min(50, entries - 50 * (number - 1))


def test_a_long_pledge_s_answer_as_of_a_date_is_paged_and_its_links_keep_the_moment():
    thread, _, _ = long_pledge(120)
    then = timezone.now().isoformat()
    answer = detail(thread.slug, as_of=then, timeline_page=2).json()
    assert [step["position"] for step in answer["timeline"]] == list(range(51, 101))
    assert answer["timeline_count"] == 120 and len(answer["meetings"]) == 60
    for link in (answer["timeline_next"], answer["timeline_previous"]):
        assert "as_of=" in link
    assert detail(thread.slug, as_of=then, timeline_page=4).status_code == 404


def test_the_list_gives_each_pledge_s_count_and_meetings_whatever_their_length():
    thread, _, meetings = long_pledge(120)
    (row,) = APIClient().get(reverse("api:thread-list")).json()["results"]
    assert row["commitment_count"] == 120 and row["meetings"] == [meeting.slug for meeting in meetings]


def test_the_schema_documents_the_timeline_s_pages():
    schema = APIClient().get("/api/v1/schema/", {"format": "json"}).json()
    get = schema["paths"]["/api/v1/threads/{slug}/"]["get"]
    assert "timeline_page" in [parameter["name"] for parameter in get["parameters"]]
    component = schema["components"]["schemas"]["ThreadTimelinePage"]
    assert {"timeline_count", "timeline_next", "timeline_previous"} <= set(component["properties"])
    assert "timeline" in component["required"] and "timeline_next" not in component["required"]


def test_a_long_pledge_s_assessments_are_read_for_its_page(client):
    thread, commitments, _ = long_pledge(120)
    for commitment in commitments:
        AssessmentFactory(commitment=commitment)
    assert Assessment.objects.count() == 120
    page = client.get(reverse("public:pledge", args=[thread.slug]), {"page": 3}).content.decode()
    assert page.count('<li class="report') == 20


# -- in the browser ---------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_long_pledge_s_pages_load_clean_with_no_serious_axe_violation(browser_session, scheme):
    thread, commitments, _ = long_pledge(120)  # the database's work first: then the browser
    AssessmentFactory(commitment=commitments[110], status="completed")
    then = timezone.now().isoformat()
    pages = {
        "first": f"/pledges/{thread.slug}/",
        "middle": f"/pledges/{thread.slug}/?page=2",
        "last": f"/pledges/{thread.slug}/?page=3",
        "middle-as-of": f"/pledges/{thread.slug}/?page=2&as_of={then.replace('+', '%2B')}",
    }
    page = browser_session.new_page(color_scheme=scheme)
    found = {}
    for name, url in pages.items():
        assert page.goto(url).status == 200, url
        current = page.locator("nav.pager a[aria-current=page]").text_content()
        assert current == {"first": "Page 1", "last": "Page 3"}.get(name, "Page 2")
        found[name] = blocking(axe_violations(page, f"a long pledge, {name} ({scheme})"))
        save_screenshot(page, "long-pledge", f"{name}-{scheme}")
    # The pager's links lead through the pages, keeping the moment on a past page.
    page.get_by_role("link", name="Next page").click()
    assert "page=3" in page.url and "as_of=" in page.url
    assert page.locator(".step").first.get_attribute("id") == f"c-{commitments[100].slug}"
    browser_session.assert_clean()
    assert found == {name: [] for name in pages}
