"""The public pages through the test client: what each shows, filters in the URL, links, 404s, query counts."""

import csv
import datetime
import html
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from commitments.models import Assessment, Commitment, Thread, ThreadEntry
from commitments.timeline import CLOSE_WORDING_SIMILARITY
from meetings.models import Meeting, Participation, Statement, period_label
from public.charts import counted_unit
from tests.factories import (
    AssessmentFactory,
    CommitmentFactory,
    FigureFactory,
    LineOfEffortFactory,
    MeetingFactory,
    MemberFactory,
    ParticipationFactory,
    StatementFactory,
    ThreadEntryFactory,
    ThreadFactory,
    UserFactory,
    span_of,
)

PAGES = [
    ("public:matrix", [], "Pledges across meetings"),
    ("public:pledge", ["stabilization-funding"], "Stabilization funding for liberated areas"),
    ("public:meetings", [], "Meetings"),
    ("public:meeting", ["paris-2019-small-group"], "Small Group Political Directors' meeting, Paris, June 2019"),
    ("public:statement", ["rome-2021-ministerial-statement"], "Statement of the Ministers of the Global Coalition"),
    ("public:lines", [], "Lines of effort"),
    ("public:commitments", [], "Commitments"),
    ("public:commitment", ["berlin-2016-condemn-atrocities"], "Condemn Da'esh's atrocities"),
    ("public:follow-through", [], "Follow-through"),
    ("public:search", [], "Search"),
]


@pytest.fixture(autouse=True)
def fresh_throttle():
    # The data links are followed as an anonymous client would: the API's throttle counts in the cache.
    cache.clear()


class MatrixReader(HTMLParser):
    """The matrix table as a reader sees it: {pledge slug: {meeting slug: [cell words]}} and the cells' links."""

    def __init__(self):
        super().__init__()
        self.rows, self.links = {}, {}
        self.pledge = self.meeting = None
        self.hidden = 0
        self.symbol = False
        # Each cell's verdicts, read apart from its change kinds: {(pledge, meeting): ["✓ kept", ...]}.
        self.verdicts, self.in_verdict = {}, 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.pledge = attrs.get("data-pledge")
            if self.pledge:
                self.rows[self.pledge] = {}
        elif tag == "td" and self.pledge:
            self.meeting = attrs["data-meeting"]
            self.rows[self.pledge][self.meeting] = []
        elif tag == "a" and self.meeting:
            self.links.setdefault((self.pledge, self.meeting), []).append(attrs["href"])
        elif tag == "span" and self.meeting and (self.in_verdict or "verdict" in attrs.get("class", "").split()):
            if not self.in_verdict:
                self.verdicts.setdefault((self.pledge, self.meeting), []).append("")
            self.in_verdict += 1
        elif tag == "span" and self.meeting:
            classes = attrs.get("class", "")
            if self.hidden or "visually-hidden" in classes:
                self.hidden += 1
            self.symbol = "kind-symbol" in classes

    def handle_endtag(self, tag):
        if tag == "td":
            self.meeting = None
        elif tag == "span" and self.in_verdict:
            self.in_verdict -= 1
        elif tag == "span" and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if self.in_verdict:
            said = self.verdicts[(self.pledge, self.meeting)]
            said[-1] = f"{said[-1]} {data.strip()}".strip()
            return
        if self.meeting and not self.hidden and data.strip():
            cell = self.rows[self.pledge][self.meeting]
            if self.symbol:
                cell.append(data.strip())
                self.symbol = False
            else:
                cell[-1] += " " + data.strip()


def read_matrix(response):
    reader = MatrixReader()
    reader.feed(response.content.decode())
    return reader


def text_of(fragment):
    """The text a fragment of HTML shows, tags stripped and entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


# -- every page ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args", "heading"), PAGES)
def test_every_page_answers_with_its_heading_its_data_and_a_citation(client, seeded, name, args, heading):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    page = response.content.decode()
    assert heading in text_of(re.search(r"<h1>(.*?)</h1>", page, re.S).group(1))
    assert 'href="#main"' in page and 'id="main"' in page
    assert "How to cite" in page and "Data behind this page" in page
    assert ">JSON</a>" in page and ">CSV</a>" in page
    # Nothing is loaded from another host: every stylesheet, script and image is the app's own.
    assets = re.findall(r'<(?:link|script|img)[^>]+(?:href|src)="([^"]+)"', page)
    assert all(asset.startswith(("/", "data:")) for asset in assets), assets


class HeadMeta(HTMLParser):
    """A page's <meta> tags by name or property: {"description": "...", "og:title": "...", ...}."""

    def __init__(self):
        super().__init__()
        self.meta = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        key = attrs.get("name") or attrs.get("property")
        if tag == "meta" and key:
            assert key not in self.meta, f"{key} twice"
            self.meta[key] = attrs.get("content")


def head_meta(page):
    reader = HeadMeta()
    reader.feed(page)
    return reader.meta


@pytest.mark.parametrize(("name", "args", "heading"), PAGES)
def test_every_page_carries_a_link_preview_of_its_own(client, seeded, name, args, heading):
    page = client.get(reverse(name, args=args)).content.decode()
    meta = head_meta(page)
    title = html.unescape(re.search(r"<title>(.*?) · Coalition commitment tracker</title>", page)[1])
    assert meta["og:title"] == title and heading in title
    assert meta["og:type"] in {"website", "article"}
    assert meta["og:url"] == f"http://testserver{reverse(name, args=args)}"  # absolute, from the request
    assert meta["description"] == meta["og:description"]
    assert 40 < len(meta["description"]) <= 260 and "\n" not in meta["description"]
    assert not any(key.startswith(("og:image", "twitter:image")) for key in meta)  # no image, from any host


def test_link_previews_say_what_the_page_is_about(client, seeded):
    def meta_of(name, *args, **params):
        return head_meta(client.get(reverse(name, args=args), params).content.decode())

    commitment = Commitment.objects.select_related("statement__meeting").get(slug="berlin-2016-condemn-atrocities")
    said = meta_of("public:commitment", commitment.slug)
    assert said["og:title"] == commitment.summary and said["og:type"] == "article"
    assert said["description"] == f"Berlin 2016: “{commitment.display_quote()}”"
    rome = meta_of("public:meeting", "rome-2021-ministerial")
    assert rome["description"].startswith("Ministerial meeting of the Global Coalition, Rome, June 2021 (28 June 2021)")
    pledge = Thread.objects.get(slug="africa-focus")
    assert meta_of("public:pledge", pledge.slug)["description"].startswith(pledge.description[:60])
    # The address is the page's own, its query included.
    assert meta_of("public:commitments", meeting="rome-2021-ministerial")["og:url"] == (
        "http://testserver/commitments/?meeting=rome-2021-ministerial"
    )


def test_each_quote_has_a_link_to_copy_that_needs_no_script(client, seeded):
    pledge = client.get(reverse("public:pledge", args=["africa-focus"])).content.decode()
    steps = re.findall(r'<article class="step" id="(c-[^"]+)".*?</article>', pledge, re.S)
    permalinks = re.findall(r'<a class="permalink" href="#([^"]+)" aria-label="Link to this quote">#</a>', pledge)
    assert steps and permalinks == steps  # one a quote, to the quote's own anchor
    statement = client.get(reverse("public:statement", args=["rome-2021-ministerial-statement"])).content.decode()
    anchors = re.findall(
        r'<a class="permalink" href="#(text-c-[^"]+)" aria-label="Link to this quote">#</a>', statement
    )
    quoted = Commitment.objects.filter(statement__slug="rome-2021-ministerial-statement")
    assert sorted(anchors) == sorted(f"text-c-{slug}" for slug in quoted.values_list("slug", flat=True))
    for anchor in anchors:  # each leads to the quote in the text
        assert f'<span class="anchor" id="{anchor}"></span>' in statement
    assert "<script" not in pledge and "<script" not in statement


@pytest.mark.parametrize(("name", "args", "heading"), PAGES)
def test_every_data_link_answers_json_or_csv(client, seeded, name, args, heading):
    page = client.get(reverse(name, args=args)).content.decode()
    links = [html.unescape(href) for href in re.findall(r'<li>[^<]*: <a href="([^"]+)">JSON</a>', page)]
    csv_links = [html.unescape(href) for href in re.findall(r'<a href="([^"]+)">CSV</a>', page)]
    assert links and csv_links
    for url in links:
        response = client.get(url, HTTP_ACCEPT="application/json")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("application/json"), url
    for url in csv_links:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/csv"), url


@pytest.mark.parametrize(
    "url",
    [
        "/pledges/no-such-pledge/",
        "/meetings/no-such-meeting/",
        "/statements/no-such-statement/",
        "/commitments/no-such-commitment/",
        "/commitments/?page=99",
        "/no-such-page/",
    ],
)
def test_unknown_slugs_are_404s_with_a_page_that_leads_back(client, seeded, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in response.content.decode()
    assert f'href="{reverse("public:matrix")}"' in response.content.decode()


def test_the_admins_view_site_link_leads_to_the_public_pages(client, db):
    client.force_login(UserFactory(username="staff", is_staff=True, is_superuser=True))
    admin_index = client.get(reverse("admin:index")).content.decode()
    view_site = re.search(r'<a href="([^"]+)">View site</a>', admin_index)
    assert view_site is not None
    response = client.get(view_site.group(1))
    assert response.status_code == 200
    assert "Pledges across meetings" in response.content.decode()


# -- the matrix ------------------------------------------------------------------------------------


def test_the_matrix_shows_the_three_example_pledges_across_paris_copenhagen_and_rome(client, seeded):
    matrix = read_matrix(client.get("/"))
    paris, copenhagen, rome = "paris-2019-small-group", "copenhagen-2020-small-group", "rome-2021-ministerial"
    stabilization = matrix.rows["stabilization-funding"]
    # Several commitments at one meeting: each chip says which, by its number on the pledge's page.
    assert stabilization[paris] == ["▲ strengthened 2", "▼ weakened 3"]
    assert stabilization[copenhagen] == ["↔ widened"]
    assert stabilization[rome] == ["▼ weakened 5", "▼ weakened 6"]
    ftf = matrix.rows["ftf-information-sharing"]
    assert ftf[paris] == ["▼ weakened"]
    assert ftf[copenhagen] == ["–"]  # not made there: a dash, and "not made" for a screen reader
    assert ftf[rome] == ["↔ widened"]
    africa = matrix.rows["africa-focus"]
    assert africa[paris] == ["+ new 1", "▲ strengthened 2"]
    assert africa[copenhagen] == ["▲ strengthened"]
    assert africa[rome] == ["↔ widened 4", "▲ strengthened 5", "↔ widened 6", "▲ strengthened 7"]
    assert africa["berlin-2016-small-group"] == ["–"]
    assert len(matrix.rows) == Thread.objects.count()


def test_each_cell_leads_to_its_quote_on_the_pledges_page(client, seeded):
    matrix = read_matrix(client.get("/"))
    [link] = matrix.links[("stabilization-funding", "copenhagen-2020-small-group")]
    path, anchor = link.split("#")
    assert path == reverse("public:pledge", args=["stabilization-funding"])
    commitment = Commitment.objects.get(slug=anchor.removeprefix("c-"))
    page = client.get(path).content.decode()
    article = re.search(rf'<article class="step" id="{anchor}".*?</article>', page, re.S).group(0)
    assert commitment.display_quote() in text_of(article)
    assert "↔" in article and "widened" in article


def test_the_legend_gives_every_change_kind_a_symbol_and_a_word(client, seeded):
    legend = text_of(re.search(r'<section class="legend".*?</section>', client.get("/").content.decode(), re.S)[0])
    for symbol_and_word in ["+ new", "= repeated", "▲ strengthened", "▼ weakened", "↔ widened", "→← narrowed"]:
        assert symbol_and_word in " ".join(legend.split())


def test_filters_in_the_url_narrow_the_matrix(client, seeded):
    by_line = read_matrix(client.get("/", {"line_of_effort": "stabilization"})).rows
    assert set(by_line) == {"stabilization-funding", "syria-stabilization"}

    by_years = read_matrix(client.get("/", {"year_from": 2020, "year_to": 2021})).rows
    assert {meeting for row in by_years.values() for meeting in row} == {
        "copenhagen-2020-small-group",
        "rome-2021-ministerial",
    }
    assert "counter-propaganda" in by_years and "women-inclusion" not in by_years  # women: 2016 and 2019 only

    by_words = read_matrix(client.get("/", {"q": "INTERPOL"})).rows
    assert "ftf-information-sharing" in by_words and "stabilization-funding" not in by_words
    # A pledge found by its words is shown whole, in every meeting it was made at.
    assert by_words["ftf-information-sharing"]["paris-2019-small-group"] == ["▼ weakened"]

    combined = client.get("/", {"line_of_effort": "ftf-information-sharing", "year_from": 2019, "q": "INTERPOL"})
    assert set(read_matrix(combined).rows) == {"ftf-information-sharing"}
    page = combined.content.decode()
    assert '<option value="ftf-information-sharing" selected>' in page
    assert 'value="INTERPOL"' in page
    # The CSV of the commitments behind the view carries the same filters.
    csv = html.unescape(re.search(r'with these filters[^:]*: <a href="[^"]+">JSON</a> · <a href="([^"]+)"', page)[1])
    for part in [
        "format=csv",
        "has_thread=true",
        "line_of_effort=ftf-information-sharing",
        "date_after=2019-01-01",
        "q=INTERPOL",
    ]:
        assert part in csv


def test_a_filter_that_matches_nothing_says_so(client, seeded):
    response = client.get("/", {"q": "no pledge has these words zqxj"})
    assert response.status_code == 200
    assert read_matrix(response).rows == {}
    assert "No recurring pledge matches these filters." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"year_from": 2021, "year_to": 2019}, "Choose a year from 2021 on"),
        ({"year_from": "last year"}, "Select a valid choice"),
        ({"year_from": 1999}, "Select a valid choice"),
        ({"line_of_effort": "no-such-line"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_a_400_that_says_what_to_correct(client, seeded, params, message):
    response = client.get("/", params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in html.unescape(page)
    assert 'aria-invalid="true"' in page
    assert read_matrix(response).rows == {}


# -- a pledge's page ------------------------------------------------------------------------------


def test_a_pledges_page_tells_its_story_in_meeting_order(client, seeded):
    thread = Thread.objects.with_timeline().get(slug="stabilization-funding")
    page = client.get(reverse("public:pledge", args=[thread.slug])).content.decode()
    articles = re.findall(r'<article class="step" id="c-([^"]+)"', page)
    assert articles == [step.entry.commitment.slug for step in thread.timeline()]
    first = thread.timeline()[0].entry
    assert first.note in html.unescape(page)
    assert first.commitment.statement.sha256 in page
    assert "Not yet assessed" in page


def trajectory(page):
    """A pledge page's line of its course: its text, and the anchor of each link with the link's text."""
    found = re.search(r'<p class="trajectory" id="trajectory">(.*?)</p>', page, re.S)
    assert found, "no trajectory line"
    return " ".join(text_of(found[1]).split()), re.findall(r'<a href="#c-([^"]+)"[^>]*>([^<]+)</a>', found[1])


def test_a_pledges_page_opens_with_its_course_in_one_line_each_step_leading_to_its_card(client, seeded):
    funding = client.get(reverse("public:pledge", args=["stabilization-funding"])).content.decode()
    line, links = trajectory(funding)
    assert line == (
        "In one line: First made Berlin 2016 · Paris 2019: strengthened (no. 2), weakened (no. 3) · "
        "widened Copenhagen 2020 · weakened Rome 2021 (nos. 5, 6) — latest: Rome 2021."
    )
    assert links == [
        ("berlin-2016-un-stabilization-facilities", "First made Berlin 2016"),
        ("paris-2019-roadmap-increase-contributions", "2"),
        ("paris-2019-readout-stabilisation-support", "3"),
        ("copenhagen-2020-stabilization-support", "widened Copenhagen 2020"),
        ("rome-2021-stabilization-support", "5"),
        ("rome-2021-pledge-drive", "6"),
    ]
    # Every step leads to a card of the page, and the line comes before the first card.
    cards = re.findall(r'<article class="step" id="c-([^"]+)"', funding)
    assert [anchor for anchor, _ in links] == cards
    assert funding.index('class="trajectory"') < funding.index('<article class="step"')

    # Africa: strengthened and widened at one meeting, told apart by which commitment each is.
    africa = client.get(reverse("public:pledge", args=["africa-focus"])).content.decode()
    line, links = trajectory(africa)
    assert line == (
        "In one line: Paris 2019: first made (no. 1), strengthened (no. 2) · strengthened Copenhagen 2020 · "
        "Rome 2021: widened (nos. 4, 6), strengthened (nos. 5, 7) — latest: Rome 2021."
    )
    rome = {number: anchor for anchor, number in links if anchor.startswith("rome-")}
    assert rome == {
        "4": "rome-2021-africa-threat-concern",
        "6": "rome-2021-africa-effective-engagement",
        "5": "rome-2021-africa-work-with-affected-countries",
        "7": "rome-2021-working-groups-tasked",
    }
    # Each number names its commitment when pointed at.
    assert 'title="The Coalition will seek effective engagement on the African continent."' in africa


def test_close_wording_is_a_word_diff_and_rewritten_wording_two_quotes_side_by_side(client, seeded):
    steps = {
        step.entry.commitment.slug: step
        for step in Thread.objects.with_timeline().get(slug="syria-political-settlement-2254").timeline()
    }
    close = steps["copenhagen-2020-syria-settlement-2254"]
    repeated = steps["rome-2021-syria-political-settlement"]
    assert close.wording_is_close() and repeated.wording_is_close()
    page = client.get(reverse("public:pledge", args=["syria-political-settlement-2254"])).content.decode()
    article = re.search(r'<article class="step" id="c-rome-2021-syria-political-settlement".*?</article>', page, re.S)[
        0
    ]
    assert '<p class="diff">' in article and "<del>" in article and "<ins>" in article
    assert 'class="side-by-side"' not in article

    funding = client.get(reverse("public:pledge", args=["stabilization-funding"])).content.decode()
    paris = re.search(
        r'<article class="step" id="c-paris-2019-roadmap-increase-contributions".*?</article>', funding, re.S
    )[0]
    assert 'class="side-by-side"' in paris and '<p class="diff">' not in paris
    before = Commitment.objects.get(slug="berlin-2016-un-stabilization-facilities").display_quote()
    assert html.escape(before, quote=False) in paris or before in html.unescape(paris)


def test_a_word_the_rome_capture_ran_together_is_a_note_in_the_diff_not_a_change(client, seeded):
    # Rome 2021 has "continueto act"; Copenhagen 2020, the step before, has "continue to" apart.
    page = client.get(reverse("public:pledge", args=["vigilance-security-vacuums"])).content.decode()
    article = re.search(r'<article class="step" id="c-rome-2021-vigilance-security-vacuums".*?</article>', page, re.S)[
        0
    ]
    diff = re.search(r'<p class="diff">(.*?)</p>', article, re.S)[1]
    assert "continueto" not in re.sub(r'<span class="diff-joined">.*?</span>', "", diff)
    assert 'to <span class="diff-joined">(joined in the capture: “continueto”)</span>' in diff
    assert "Words the capture ran together are read as the words the other quote has apart" in article
    steps = client.get(reverse("api:thread-detail", args=["vigilance-security-vacuums"])).json()["timeline"]
    runs = next(step["diff"] for step in steps if step["commitment"] == "rome-2021-vigilance-security-vacuums")
    assert {"op": "equal", "text": "to", "joined": ["continueto"]} in runs
    assert [run for run in runs if "joined" in run] == [{"op": "equal", "text": "to", "joined": ["continueto"]}]


def test_curators_notes_read_without_the_captures_escapes(client, seeded):
    # The figure's note copies the Roadmap's "\\$20 billion"; a reader sees "$20 billion".
    page = client.get(reverse("public:statement", args=["paris-2019-readout"])).content.decode()
    assert "\\$" not in page
    assert "the Roadmap says &#34;approximately $20 billion&#34;" in page or "approximately $20 billion" in page
    pledge = client.get(reverse("public:commitment", args=["paris-2019-roadmap-increase-contributions"]))
    assert "\\$" not in pledge.content.decode() and "approximately $20 billion" in html.unescape(
        pledge.content.decode()
    )


SOURCE_ADDRESSES = {
    "berlin-2016-joint-statement": "https://theglobalcoalition.org/en/joint-statement-by-the-small-group-of-the-global-coalition/",
    "paris-2019-roadmap": "https://www.globalsecurity.org/military/library/news/2019/06/mil-190625-state01.htm",
    "paris-2019-readout": "https://theglobalcoalition.org/en/changing-coalition-changing-threat-paris-meeting",
    "copenhagen-2020-statement": "",
    "rome-2021-ministerial-statement": "https://canada.ca/en/global-affairs/news/2021/06/ministerial-meetingof-the-global-coalition-to-defeatdaeshisis.html",
}


@pytest.mark.parametrize("slug", SOURCE_ADDRESSES)
def test_each_statement_links_its_published_text_or_says_it_has_no_address(client, seeded, slug):
    statement = Statement.objects.select_related("meeting").get(slug=slug)
    assert statement.source_url == SOURCE_ADDRESSES[slug]
    pages = [
        client.get(reverse("public:statement", args=[slug])).content.decode(),
        client.get(reverse("public:meeting", args=[statement.meeting.slug])).content.decode(),
    ]
    for page in pages:
        if statement.source_url:
            assert f'<a href="{statement.source_url}" rel="external" class="source-link">' in page
        else:
            assert "No address of the published text is recorded." in page
        # A link to it, never a request for it: nothing on the page loads from its host.
        assert not re.search(r'<(img|script|link|iframe)[^>]+(src|href)="https?://', page)
    if statement.publisher:
        said = re.search(r"<dt>Published by</dt><dd>(.*?)</dd>", pages[0])[1]
        if statement.source_url:  # the publisher's name leads to the published page
            assert said == f'<a href="{statement.source_url}" rel="external">{html.escape(statement.publisher)}</a>'
        else:  # and does not pretend to be a link where there is none
            assert "<a" not in said


def test_the_close_wording_rule_is_the_share_of_words_in_common(db):
    statement = StatementFactory()
    thread = ThreadFactory()
    phrases = [
        "We will continue to enhance our information sharing, including with INTERPOL.",
        "We must continue to increase our stabilization contributions.",
    ]
    first = CommitmentFactory(statement=statement, phrase=phrases[0])
    same = CommitmentFactory(statement=statement, phrase=phrases[0])
    other = CommitmentFactory(statement=statement, phrase=phrases[1])
    for position, commitment in enumerate([first, same, other], start=1):
        ThreadEntryFactory(
            thread=thread, commitment=commitment, position=position, change_kind="new" if position == 1 else "repeated"
        )
    opening, repeated, rewritten = Thread.objects.with_timeline().get(pk=thread.pk).timeline()
    assert not opening.wording_is_close()  # nothing to compare with
    assert repeated.wording_is_close()
    assert not rewritten.wording_is_close()
    assert 0 < CLOSE_WORDING_SIMILARITY < 1


def test_a_pledges_page_shows_each_commitments_latest_assessment(client, seeded):
    commitment = Commitment.objects.get(slug="paris-2019-roadmap-increase-contributions")
    # Approved both: readers see approved assessments only (a draft waits for review).
    Assessment.objects.create(
        commitment=commitment,
        assessed_on=datetime.date(2020, 1, 1),
        status="in-progress",
        assessor="Analyst A",
        review_state="approved",
    )
    Assessment.objects.create(
        commitment=commitment,
        assessed_on=datetime.date(2022, 3, 1),
        status="stalled",
        assessor="Analyst B",
        note="No new money since 2021.",
        review_state="approved",
    )
    page = html.unescape(client.get(reverse("public:pledge", args=["stabilization-funding"])).content.decode())
    article = re.search(
        r'<article class="step" id="c-paris-2019-roadmap-increase-contributions".*?</article>', page, re.S
    )[0]
    assert (
        "Stalled" in article
        and "1 March 2022" in article
        and "Analyst B" in article
        and "No new money since 2021." in article
    )
    assert "Analyst A" not in article


# -- meetings and statements ----------------------------------------------------------------------


def test_a_meeting_page_shows_date_place_format_and_who_took_part_per_source(client, seeded):
    page = text_of(client.get(reverse("public:meeting", args=["paris-2019-small-group"])).content.decode())
    flat = " ".join(page.split())
    assert "24–25 June 2019" in flat and "Paris, France" in flat and "Small Group (Political Directors)" in flat
    for observer in ["Sri Lanka", "Mali", "Burkina Faso"]:
        assert observer in flat
    # Observers are said by both Paris documents: both sources are listed.
    assert flat.count("Sri Lanka, Mali and Burkina Faso also came to observe") == 3
    assert "We welcomed Democratic Republic of Congo into our Coalition" in flat
    assert "Sources disagree: Democratic Republic of the Congo is also welcomed as a new member at Rome 2021" in flat


def test_the_conflicting_join_is_shown_from_both_meetings(client, seeded):
    rome = " ".join(
        text_of(client.get(reverse("public:meeting", args=["rome-2021-ministerial"])).content.decode()).split()
    )
    assert "Sources disagree: Democratic Republic of the Congo is also welcomed as a new member at Paris 2019" in rome
    assert rome.count("Sources disagree") == 1  # the other three new members of 2021 joined once
    berlin = text_of(client.get(reverse("public:meeting", args=["berlin-2016-small-group"])).content.decode())
    assert "Sources disagree" not in berlin
    assert "Germany" in berlin and "Libya" in berlin and "INTERPOL" in berlin


def test_a_meeting_lists_each_pledge_once_with_its_commitments_under_it(client, seeded):
    page = client.get(reverse("public:meeting", args=["rome-2021-ministerial"])).content.decode()
    section = re.search(r'<section aria-labelledby="pledges-heading">(.*?)</section>', page, re.S)[1]
    headings = re.findall(r'<h3 class="pledge-here"><a href="/pledges/([^/"]+)/">', section)
    made_here = ThreadEntry.objects.filter(commitment__statement__meeting__slug="rome-2021-ministerial")
    assert sorted(headings) == sorted(set(made_here.values_list("thread__slug", flat=True)))  # each pledge once
    africa = re.search(r'<a href="/pledges/africa-focus/">.*?</ul>', section, re.S)[0]
    entries = made_here.filter(thread__slug="africa-focus").select_related("commitment").order_by("position")
    assert len(entries) == 4 and "4 commitments here" in africa
    items = re.findall(r"<li>(.*?)</li>", africa, re.S)
    assert len(items) == 4
    for item, entry in zip(items, entries, strict=True):
        # Each line says its change kind and the first words of its quote, and leads to it in the pledge.
        assert f'class="kind kind-{entry.change_kind}"' in item
        assert f'href="/pledges/africa-focus/#c-{entry.commitment.slug}"' in item
        words = " ".join(entry.commitment.display_quote().split()[:4])
        assert words in html.unescape(item)


def test_a_statements_page_shows_its_exact_text_with_every_quote_marked_and_linked(client, seeded):
    statement = Statement.objects.get(slug="paris-2019-roadmap")
    page = client.get(reverse("public:statement", args=[statement.slug])).content.decode()
    shown = re.search(r'<div class="statement-text">(.*?)</div>', page, re.S).group(1)
    assert text_of(shown) == statement.text  # verbatim: every character, nothing added
    for commitment in statement.commitments.all():
        assert f'id="text-c-{commitment.slug}"' in shown
        assert f'href="#c-{commitment.slug}"' in shown or any(
            # A commitment wholly covered by shorter spans links through them; its anchor still marks it.
            f'href="#f-{figure.slug}"' in shown
            for figure in statement.figures.filter(start__gte=commitment.start, end__lte=commitment.end)
        )
        assert f'<li id="c-{commitment.slug}">' in page
    for figure in statement.figures.all():
        assert f'href="#f-{figure.slug}"' in shown and f'<li id="f-{figure.slug}">' in page
    for participation in Participation.objects.filter(statement=statement):
        assert f'id="text-p-{participation.member.slug}-{participation.role}"' in shown
    assert statement.sha256 in page and "checked: the text below has this digest" in page
    cite = text_of(re.search(r'<section class="cite".*?</section>', page, re.S)[0])
    assert statement.sha256 in cite and statement.title in cite


def test_the_statement_page_marks_overlapping_spans_piece_by_piece(client, db):
    statement = StatementFactory(slug="overlaps")
    CommitmentFactory(statement=statement, slug="outer", phrase="More than 7.7 million people have been freed.")
    FigureFactory(statement=statement, slug="inner", phrase="7.7 million")
    shown = re.search(
        r'<div class="statement-text">(.*?)</div>',
        client.get(reverse("public:statement", args=["overlaps"])).content.decode(),
        re.S,
    ).group(1)
    assert (
        '<span class="anchor" id="text-c-outer"></span>'
        '<mark class="q q-commitment"><a href="#c-outer">More than </a></mark>'
        '<span class="anchor" id="text-f-inner"></span>'
        '<mark class="q q-commitment q-figure"><a href="#f-inner">7.7 million</a></mark>'
        '<mark class="q q-commitment"><a href="#c-outer"> people have been freed.</a></mark>'
    ) in shown
    assert text_of(shown) == statement.text


def test_the_meetings_page_lists_every_meeting_with_its_statements_and_counts(client, seeded):
    page = " ".join(text_of(client.get(reverse("public:meetings")).content.decode()).split())
    for meeting in Meeting.objects.all():
        assert meeting.name in page
    roadmap = Statement.objects.get(slug="paris-2019-roadmap")
    assert (
        f"{roadmap.title} (roadmap): {roadmap.commitments.count()} commitments, {roadmap.figures.count()} figures"
        in page
    )


# -- lines of effort ------------------------------------------------------------------------------


def test_the_lines_page_counts_commitments_per_line_and_meeting_in_a_chart_and_a_table(client, seeded):
    page = client.get(reverse("public:lines")).content.decode()
    assert page.count('<svg class="chart"') == 4 and page.count('role="img"') == 4
    table = re.search(r'<table class="counts">.*?</table>', page, re.S)[0]
    stabilization = text_of(
        re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/\?line_of_effort=stabilization\">.*?</tr>", table, re.S)[0]
    )
    expected = Commitment.objects.filter(line_of_effort__slug="stabilization")
    berlin = expected.filter(statement__meeting__slug="berlin-2016-small-group")
    assert (
        f"{berlin.count()} ({berlin.filter(strength='binding').count()} / {berlin.filter(strength='soft').count()})"
        in " ".join(stabilization.split())
    )
    assert stabilization.split()[-1] == str(expected.count())


def test_the_lines_page_gives_figure_series_with_their_qualifiers(client, seeded):
    page = " ".join(text_of(client.get(reverse("public:lines")).content.decode()).split())
    assert "more than 7.7 million people" in page
    assert "almost 8 million people" in page
    assert "nearly 8 million people" in page
    assert "approximately 20 billion USD" in page and "more than 2.3 billion USD" in page
    assert "68 members" in page and "80 members" in page


def series_rows(page, metric):
    """A series' table as a reader reads it: (about, said at, figure, quote) per row, in order."""
    section = re.search(rf'<section aria-labelledby="series-{metric}">.*?</section>', page, re.S)[0]
    table = re.search(r'<table class="series">.*?</table>', section, re.S)[0]
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", table, re.S)
    cells = [[" ".join(text_of(c).split()) for c in re.findall(r"<td>(.*?)</td>", row, re.S)] for row in rows]
    return [(about, said, figure, quote) for about, said, _, figure, quote in cells]


def series_labels(page, metric):
    """The chart's row labels (when, who said it) and value labels, in order."""
    section = re.search(rf'<section aria-labelledby="series-{metric}">.*?</section>', page, re.S)[0]
    svg = re.search(r"<svg.*?</svg>", section, re.S)[0]
    whens = [text_of(t) for t in re.findall(r'<text class="chart-label"[^>]*>(.*?)</text>', svg)]
    values = [text_of(t) for t in re.findall(r'<text class="chart-value"[^>]*>(.*?)</text>', svg)]
    return whens, values


def test_a_figure_stands_in_its_series_at_the_date_its_text_gives(client, seeded):
    page = client.get(reverse("public:lines")).content.decode()
    rows = series_rows(page, "members")
    # “we began as a 12-member Coalition back in 2014”, said at Paris 2019, is about 2014: it comes first,
    # before Berlin 2016's 68, and says when it is about and who said it.
    assert rows[0] == ("2014", "Paris 2019", "12 members", "“we began as a 12-member Coalition back in 2014”")
    assert [row[2] for row in rows] == ["12 members", "68 members", "80 members", "80 members", "80 members"]
    assert [row[0] for row in rows[1:]] == ["the statement's time"] * 4
    whens, values = series_labels(page, "members")
    assert whens[0] == "2014 · said at Paris 2019" and values[0] == "12 members"
    assert whens[1] == "Berlin 2016 · Joint statement"
    # The statement page dates it too.
    statement = client.get(reverse("public:statement", args=["paris-2019-readout"])).content.decode()
    item = re.search(r'<li id="f-paris-2019-readout-fig-members-2014">.*?</li>', statement, re.S)[0]
    assert "12 members (the text dates it: 2014)" in " ".join(text_of(item).split())


def test_the_funds_series_says_which_stage_each_sum_is_at(client, seeded):
    page = client.get(reverse("public:lines")).content.decode()
    rows = series_rows(page, "funds")
    assert [(about, figure) for about, _, figure, _ in rows] == [
        ("July – 28 September 2016", "more than 2.3 billion USD committed"),
        ("the statement's time", "approximately 20 billion USD raised"),
        ("the statement's time", "20 billion USD raised"),
    ]
    whens, values = series_labels(page, "funds")
    assert values == [row[2] for row in rows]
    assert whens[0] == "July – 28 September 2016 · said at Berlin 2016"
    section = re.search(r'<section aria-labelledby="series-funds">.*?</section>', page, re.S)[0]
    note = " ".join(text_of(re.search(r'<p class="note stages">(.*?)</p>', section, re.S)[1]).split())
    assert note.startswith("Not one quantity: these sums are at different stages (committed, raised)")
    # One stage only: nothing to warn of. The members series has no stages at all.
    assert (
        '<p class="note stages">'
        not in re.search(r'<section aria-labelledby="series-members">.*?</section>', page, re.S)[0]
    )


def test_a_sum_whose_stage_is_not_stated_says_so_in_the_funds_series(client, db):
    day = datetime.date(2020, 1, 1)
    exact = {"metric": "funds", "phrase": "stabilization contributions", "unit": "USD", "qualifier": "exact"}
    FigureFactory(statement__meeting__start_date=day, value=5, **exact)
    FigureFactory(statement__meeting__start_date=day.replace(year=2021), value=6, stage="disbursed", **exact)
    page = client.get(reverse("public:lines")).content.decode()
    _, values = series_labels(page, "funds")
    assert values == ["5 USD (stage not stated)", "6 USD disbursed"]
    assert "different stages (disbursed, not stated)" in " ".join(text_of(page).split())


def test_units_are_singular_for_one_and_plural_for_any_other_number(client, db):
    # An ingest records “member” (from “a 12-member Coalition”); a curator writes “members”.
    for year, value, unit in [(2020, 1, "members"), (2021, 1, "people"), (2022, 84, "member")]:
        statement = StatementFactory(meeting=MeetingFactory(start_date=datetime.date(year, 1, 1)))
        FigureFactory(
            statement=statement, metric="members", phrase="68th member", value=value, unit=unit, qualifier="exact"
        )
    page = client.get(reverse("public:lines")).content.decode()
    assert [row[2] for row in series_rows(page, "members")] == ["1 member", "1 person", "84 members"]
    assert series_labels(page, "members")[1] == ["1 member", "1 person", "84 members"]


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (1, "members", "member"),
        (2, "member", "members"),
        (84, "members", "members"),
        (1, "people", "person"),
        (3, "person", "people"),
        (1, "UN programs closed", "UN program closed"),
        (200, "UN programs closed", "UN programs closed"),
        (1, "working groups", "working group"),
        (1, "USD", "USD"),
        (1, "percent liberated", "percent liberated"),
        (0.5, "share of fighters' pay cut", "share of fighters' pay cut"),
        (None, "people", "people"),
        (2, "country", "countries"),
    ],
)
def test_a_unit_reads_as_a_reader_says_it_after_its_number(value, unit, shown):
    assert counted_unit(value, unit) == shown


def test_a_period_reads_as_precisely_as_it_was_recorded():
    day = datetime.date
    assert period_label(day(2014, 1, 1), day(2014, 12, 31)) == "2014"
    assert period_label(day(2014, 1, 1), day(2019, 12, 31)) == "2014–2019"
    assert period_label(day(2016, 7, 1), day(2016, 9, 30)) == "July–September 2016"
    assert period_label(day(2016, 7, 1), day(2016, 7, 31)) == "July 2016"
    assert period_label(day(2016, 7, 1), day(2016, 9, 28)) == "July – 28 September 2016"
    assert period_label(day(2016, 8, 1), None) == "since August 2016"
    assert period_label(None, day(2019, 3, 23)) == "up to 23 March 2019"
    assert period_label(day(2019, 3, 23), day(2019, 3, 23)) == "23 March 2019"
    assert period_label(None, None) == ""


# -- the domain reads the pages use -----------------------------------------------------------------


def test_meeting_dates_read_as_precisely_as_the_sources_give_them(db):
    day = MeetingFactory.build(start_date=datetime.date(2021, 6, 28), end_date=datetime.date(2021, 6, 28))
    days = MeetingFactory.build(
        start_date=datetime.date(2019, 6, 24), end_date=datetime.date(2019, 6, 25), date_precision="range"
    )
    across = MeetingFactory.build(
        start_date=datetime.date(2019, 6, 30), end_date=datetime.date(2019, 7, 1), date_precision="range"
    )
    month = MeetingFactory.build(
        start_date=datetime.date(2016, 11, 1), end_date=datetime.date(2016, 11, 30), date_precision="month"
    )
    year = MeetingFactory.build(
        start_date=datetime.date(2016, 1, 1), end_date=datetime.date(2016, 12, 31), date_precision="year"
    )
    assert [m.date_label() for m in (day, days, across, month, year)] == [
        "28 June 2021",
        "24–25 June 2019",
        "30 June – 1 July 2019",
        "November 2016",
        "2016",
    ]


def test_latest_of_gives_each_commitments_newest_assessment(db):
    first, second, unassessed = CommitmentFactory(), CommitmentFactory(), CommitmentFactory()
    AssessmentFactory(commitment=first, assessed_on=datetime.date(2022, 1, 1), status="in-progress")
    newest = AssessmentFactory(commitment=first, assessed_on=datetime.date(2023, 1, 1), status="kept")
    only = AssessmentFactory(commitment=second, assessed_on=datetime.date(2021, 1, 1), status="broken")
    latest = Assessment.objects.latest_of([first.pk, second.pk, unassessed.pk])
    assert latest == {first.pk: newest, second.pk: only}


def test_thread_entry_filters_for_the_matrix(db):
    line, other_line = LineOfEffortFactory(), LineOfEffortFactory()
    early = StatementFactory(meeting=MeetingFactory(start_date=datetime.date(2016, 5, 1)))
    late = StatementFactory(meeting=MeetingFactory(start_date=datetime.date(2021, 5, 1)))
    interpol = ThreadFactory(line_of_effort=line, title="Information sharing")
    funding = ThreadFactory(line_of_effort=other_line, title="Funding")
    ThreadEntryFactory(thread=interpol, commitment=CommitmentFactory(statement=early), position=1)
    ThreadEntryFactory(
        thread=interpol,
        commitment=CommitmentFactory(statement=late, phrase="We welcome the progress."),
        position=2,
        change_kind="repeated",
    )
    ThreadEntryFactory(
        thread=funding,
        commitment=CommitmentFactory(
            statement=late,
            phrase="We must continue to increase our stabilization contributions.",
            summary="More money for stabilization.",
        ),
    )
    entries = ThreadEntry.objects
    assert set(entries.in_line_of_effort(line.slug).values_list("thread__slug", flat=True)) == {interpol.slug}
    assert entries.in_years(2020, None).count() == 2 and entries.in_years(None, 2016).count() == 1
    assert entries.in_years(2017, 2020).count() == 0
    # Found by one quote's words, a pledge keeps all its entries; by its title too.
    assert set(entries.of_threads_matching("interpol").values_list("thread__slug", flat=True)) == {interpol.slug}
    assert entries.of_threads_matching("interpol").count() == 2
    assert set(entries.of_threads_matching("funding").values_list("thread__slug", flat=True)) == {funding.slug}
    assert entries.of_threads_matching("  ").count() == 3


def test_conflicting_joins_are_every_join_of_members_welcomed_twice(db):
    twice, once = MemberFactory(name="Twice"), MemberFactory(name="Once")
    first, second, third = MeetingFactory(), MeetingFactory(), MeetingFactory()
    joins = [ParticipationFactory(meeting=first, member=twice), ParticipationFactory(meeting=second, member=twice)]
    ParticipationFactory(meeting=second, member=once)
    assert list(Participation.objects.conflicting_joins()) == joins
    assert list(Participation.objects.conflicting_joins(meeting=second)) == joins
    assert list(Participation.objects.conflicting_joins(meeting=third)) == []


# -- a fixed number of queries at any data size ---------------------------------------------------


def populate(size):
    """`size` meetings with a statement each, `size` pledges made at every meeting, assessed twice, figures, joins."""
    line = LineOfEffortFactory()
    member = MemberFactory()
    statements = []
    for index in range(size):
        statement = StatementFactory(meeting=MeetingFactory(start_date=datetime.date(2010 + index, 3, 1)))
        statements.append(statement)
        start, end = span_of("We welcome Libya as the 68th member.")
        ParticipationFactory(
            meeting=statement.meeting,
            member=member,
            statement=statement,
            start=start,
            end=end,
            quote=statement.text[start:end],
        )
        ParticipationFactory(meeting=statement.meeting, role="observer", note="Press release.")
        FigureFactory(statement=statement)
        FigureFactory(
            statement=statement, metric="members", phrase="68th member", value=68, unit="members", qualifier="exact"
        )
        FigureFactory(statement=statement, metric="funds", phrase="stabilization contributions", value=None, unit="USD")
    for _ in range(size):
        thread = ThreadFactory(line_of_effort=line)
        for position, statement in enumerate(statements, start=1):
            commitment = CommitmentFactory(statement=statement, line_of_effort=line)
            ThreadEntryFactory(
                thread=thread,
                commitment=commitment,
                position=position,
                change_kind="new" if position == 1 else "widened",
            )
            AssessmentFactory(commitment=commitment)
            AssessmentFactory(commitment=commitment)
    first_thread = Thread.objects.order_by("pk").first()
    first_commitment = Commitment.objects.order_by("pk").first()
    return {
        "public:commitments": [],
        "public:commitment": [first_commitment.slug],
        "public:matrix": [],
        "public:pledge": [first_thread.slug],
        "public:meetings": [],
        "public:meeting": [statements[0].meeting.slug],
        "public:statement": [statements[0].slug],
        "public:lines": [],
        "public:follow-through": [],
        "public:search": [],
    }


# Matrix: lines of effort and meetings per year (the filters' choices), the meetings of the window of
# years shown (its columns), the pledges made at them (what it pages through), the page's entries; two
# more than before it was paged and windowed, whatever the number of pledges and meetings.
# A pledge: the thread, its entries with commitment, statement and meeting, their approved assessments
# with cycles, the evidence of those (one more since issue 18: its verdict today and its course across
# cycles; the newest of each commitment is found among them), their money stages (one more: its money,
# stage by stage, for all its commitments at once); its one-line course is written from the entries: no
# query of its own. One more since issue 23: its links to other pledges (merged into, split from...), which
# also tell whether it redirects.
# Meetings: their count and a page of them (paged, one more than before), their statements with counts.
# Meeting: the meeting, its statements with counts, conflicting joins, participation, pledges made there.
# Statement: the statement, its commitments, their places in recurring pledges, figures, participation quotes.
# Lines: lines, meetings (one more than a chart holds), the data's version and, read for the first time since
# the data changed, the counts (per meeting or per year; kept in the cache after, see test_aggregates.py),
# one figure series each for people freed, members and funds (its latest figures, counted in the same query).
# Commitments: lines, meetings with their statements (choices, order), the count per statement, a page, their places.
# A commitment: it with its statement, meeting and line of effort, its places in pledges, its newest assessment.
# A pledge, a meeting, a statement and a commitment run one more where curators' notes name records by slug
# (the records, all kinds in one query; see NOTED below); these pages have no such notes.
QUERIES = {
    "public:commitments": 5,
    "public:commitment": 3,
    "public:matrix": 5,
    "public:pledge": 6,
    "public:meetings": 3,
    "public:meeting": 5,
    "public:statement": 5,
    "public:lines": 7,
    # Follow-through: commitments by line and verdict, the latest meetings, their commitments by meeting and verdict,
    # members' scores, and how many assessments score no member.
    "public:follow-through": 5,
    # The search page without words reads nothing; with words, see SEARCH_QUERIES.
    "public:search": 0,
}


@pytest.mark.parametrize("size", [2, 5])
@pytest.mark.parametrize("name", list(QUERIES))
def test_each_page_runs_a_fixed_number_of_queries_at_any_size(client, db, django_assert_num_queries, name, size):
    args = populate(size)[name]
    with django_assert_num_queries(QUERIES[name]):
        response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    if name == "public:pledge":
        page = response.content.decode()
        assert page.count('<article class="step"') == size
        # The line of its course, one step a meeting, costs no query of its own.
        line, links = trajectory(page)
        assert len(links) == size and line.startswith("In one line: First made")


# Pages with curators' notes: one query more, for every record the notes name by slug (a union of kinds).
NOTED = ["public:pledge", "public:commitment", "public:statement", "public:meeting"]


@pytest.mark.parametrize("size", [2, 5])
@pytest.mark.parametrize("name", NOTED)
def test_records_named_in_notes_cost_one_query_whatever_their_number(client, db, django_assert_num_queries, name, size):
    args = populate(size)[name]
    thread, commitment = Thread.objects.order_by("pk")[0], Commitment.objects.order_by("pk")[0]
    naming = f"Compare {commitment.slug} in {thread.slug}, as post-territorial readers do."
    Commitment.objects.update(note=naming)
    ThreadEntry.objects.update(note=naming)
    Statement.objects.update(note=naming)
    Meeting.objects.update(provenance_note=naming)
    Participation.objects.update(note=naming)
    with django_assert_num_queries(QUERIES[name] + 1):
        response = client.get(reverse(name, args=args))
    page = response.content.decode()
    assert f'<a href="/commitments/{commitment.slug}/">{html.escape(commitment.summary)}</a>' in page
    assert f'in <a href="/pledges/{thread.slug}/">{html.escape(thread.title)}</a>, as post-territorial' in page


def test_notes_name_records_by_their_names_with_links_not_by_internal_slugs(client, seeded):
    statement = client.get(reverse("public:statement", args=["rome-2021-ministerial-statement"])).content.decode()
    note = re.search(r"<dt>Note</dt><dd>(.*?)</dd>", statement, re.S)[1]
    observers = Commitment.objects.get(slug="rome-2021-african-observers-welcome")
    assert f'(see <a href="/commitments/{observers.slug}/">{html.escape(observers.summary)}</a>)' in note
    # On a pledge's page, no note shows the slug of a record as a bare word.
    known = {*Commitment.objects.values_list("slug", flat=True), *Thread.objects.values_list("slug", flat=True)}
    page = client.get(reverse("public:pledge", args=["global-branches-networks"])).content.decode()
    notes = re.findall(r"<dt>(?:What changed|Why it opens|Curator's note)[^<]*</dt><dd>(.*?)</dd>", page, re.S)
    shown = " ".join(text_of(re.sub(r"<a [^>]*>.*?</a>", "", n)) for n in notes)
    assert notes and not [word for word in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", shown) if word in known]
    assert (
        '<a href="/pledges/international-law-civilians/">International law and the protection of civilians</a>' in page
    )


def test_the_filtered_matrix_runs_the_same_queries(client, db, django_assert_num_queries):
    populate(3)
    with django_assert_num_queries(QUERIES["public:matrix"]):
        response = client.get("/", {"year_from": 2011, "year_to": 2012, "q": "information sharing INTERPOL"})
    assert response.status_code == 200
    assert len(read_matrix(response).rows) == 3


def test_the_filtered_commitments_list_runs_the_same_queries(client, db, django_assert_num_queries):
    line = populate(3) and Commitment.objects.order_by("pk").first().line_of_effort
    filters = {"meeting": Meeting.objects.in_order().first().slug, "line_of_effort": line.slug}
    with django_assert_num_queries(QUERIES["public:commitments"]):
        response = client.get("/commitments/", {**filters, "strength": "binding", "has_thread": "true"})
    assert response.status_code == 200
    assert len(commitment_links(response)) == 3


# -- commitments ---------------------------------------------------------------------------------


def commitment_links(response):
    """The commitments a page of the list leads to, by slug, in its order."""
    return re.findall(r'<p class="commitment-quote"><a href="/commitments/([^/"]+)/">', response.content.decode())


def listed(client, params=None):
    """Every commitment the list shows with these filters, following its pages as a reader would."""
    response = client.get("/commitments/", params or {})
    assert response.status_code == 200
    slugs = commitment_links(response)
    while next_page := re.search(r'<a href="([^"]+)" rel="next">', response.content.decode()):
        response = client.get(html.unescape(next_page.group(1)))
        assert response.status_code == 200
        page = commitment_links(response)
        assert 0 < len(page) <= 50
        slugs += page
    return slugs


def test_every_commitment_of_the_seed_is_reachable_from_the_commitments_pages(client, seeded):
    slugs = listed(client)
    assert len(slugs) == len(set(slugs)) == Commitment.objects.count() == 154
    assert set(slugs) == set(Commitment.objects.values_list("slug", flat=True))
    # In meeting order, then the statement's and the text's: Berlin's first, Rome's last.
    assert slugs[0].startswith("berlin-2016-") and slugs[-1].startswith("rome-2021-")
    assert slugs == [row["slug"] for row in Commitment.objects.listed_rows()]
    page = client.get("/commitments/").content.decode()
    assert "Page 1 of 4: commitments 1–50 of 154." in text_of(page)
    for slug in slugs[:3]:
        assert client.get(f"/commitments/{slug}/").status_code == 200


def test_the_navigation_leads_to_the_commitments(client, seeded):
    page = client.get("/").content.decode()
    assert '<a href="/commitments/">Commitments</a>' in page
    page = client.get("/commitments/").content.decode()
    assert '<a href="/commitments/" aria-current="page">Commitments</a>' in page


def test_has_thread_false_lists_exactly_the_commitments_in_no_pledge(client, seeded):
    in_none = set(Commitment.objects.exclude(thread_entries__isnull=False).values_list("slug", flat=True))
    assert len(in_none) == 64
    alone = listed(client, {"has_thread": "false"})
    assert sorted(alone) == sorted(in_none)
    in_some = listed(client, {"has_thread": "true"})
    assert len(in_some) == 90 and not set(in_some) & in_none
    page = client.get("/commitments/", {"has_thread": "false"}).content.decode()
    assert "64 commitments, filtered." in text_of(page)
    assert page.count('<p class="meta">In no recurring pledge</p>') == 50
    # Its data: the API's list with the same filter, as JSON and CSV.
    assert 'href="/api/v1/commitments/?has_thread=false"' in page
    assert 'href="/api/v1/commitments/?format=csv&amp;page_size=500&amp;has_thread=false"' in page
    response = client.get("/api/v1/commitments/", {"format": "csv", "page_size": 500, "has_thread": "false"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert sorted(row["slug"] for row in rows) == sorted(in_none)


def test_the_commitments_filters_narrow_the_list(client, seeded):
    berlin = listed(client, {"meeting": "berlin-2016-small-group"})
    assert len(berlin) == 60 and all(slug.startswith("berlin-2016-") for slug in berlin)
    expected = Commitment.objects.filter(line_of_effort__slug="stabilization", strength="binding")
    both = listed(client, {"line_of_effort": "stabilization", "strength": "binding"})
    assert sorted(both) == sorted(expected.values_list("slug", flat=True)) and both
    soft = listed(client, {"strength": "soft"})
    assert sorted(soft) == sorted(Commitment.objects.filter(strength="soft").values_list("slug", flat=True))
    # The pages keep the filters: page 2 of Berlin's commitments is still Berlin's.
    page = client.get("/commitments/", {"meeting": "berlin-2016-small-group"}).content.decode()
    assert 'href="/commitments/?meeting=berlin-2016-small-group&amp;page=2"' in page
    # Every commitment of Copenhagen 2020 is in a recurring pledge.
    nothing = client.get("/commitments/", {"meeting": "copenhagen-2020-small-group", "has_thread": "false"})
    assert nothing.status_code == 200
    assert "0 commitments, filtered." in text_of(nothing.content.decode())
    assert "No commitment matches these filters." in nothing.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"meeting": "no-such-meeting"}, "There is no meeting “no-such-meeting”"),
        ({"line_of_effort": "nowhere"}, "There is no line of effort “nowhere”"),
        ({"strength": "firm"}, "There is no strength “firm”"),
        ({"has_thread": "maybe"}, "“maybe” is neither true nor false"),
    ],
)
def test_an_unknown_commitments_filter_is_a_400_that_says_which(client, seeded, params, message):
    response = client.get("/commitments/", params)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in html.unescape(page)
    assert "These filters cannot be applied" in page
    assert commitment_links(response) == []


def test_a_commitment_in_no_pledge_has_its_own_page(client, seeded):
    commitment = Commitment.objects.select_related("statement").get(slug="berlin-2016-condemn-atrocities")
    statement = commitment.statement
    page = client.get("/commitments/berlin-2016-condemn-atrocities/").content.decode()
    shown = text_of(page)
    # The quote, marked among the sentences around it, exactly as the text has them.
    marked = re.findall(r'<mark class="q q-commitment">(.*?)</mark>', page, re.S)
    assert [html.unescape(piece) for piece in marked] == [commitment.quote]
    passage = text_of(re.search(r'<div class="statement-text passage">(.*?)</div>', page, re.S).group(1))
    before, after = statement.text[: commitment.start].rstrip(), statement.text[commitment.end :].lstrip()
    assert len(passage) > len(commitment.quote) + 40
    assert before[-30:] in passage and after[:30] in passage
    assert f'href="/statements/{statement.slug}/#text-c-{commitment.slug}"' in page
    assert statement.sha256 in page
    assert 'href="/meetings/berlin-2016-small-group/"' in page
    assert "Berlin 2016" in shown and commitment.actor in shown
    assert commitment.note in html.unescape(page) or not commitment.note
    assert "In no recurring pledge" in shown
    assert "Not yet assessed" in shown
    assert 'href="/api/v1/commitments/berlin-2016-condemn-atrocities/"' in page


def test_a_commitments_page_gives_its_pledges_and_its_latest_assessment(client, seeded):
    slug = "paris-2019-roadmap-observers-share-expertise"
    places = ThreadEntry.objects.filter(commitment__slug=slug).select_related("thread")
    assert places.count() == 2
    AssessmentFactory(commitment=Commitment.objects.get(slug=slug), status="in-progress", assessor="A reviewer")
    page = client.get(f"/commitments/{slug}/").content.decode()
    for place in places:
        assert f'<a href="/pledges/{place.thread.slug}/#c-{slug}">{html.escape(place.thread.title)}</a>' in page
        assert f"no. {place.position}: " in text_of(page)
    assert "In no recurring pledge" not in page
    assert "assessed by A reviewer" in text_of(page) and "Not yet assessed" not in page
    # The pledge's page has the anchor the link goes to.
    thread = places[0].thread.slug
    assert f'id="c-{slug}"' in client.get(f"/pledges/{thread}/").content.decode()


def test_the_meeting_and_statement_pages_lead_to_the_commitments(client, seeded):
    meeting = client.get("/meetings/berlin-2016-small-group/").content.decode()
    assert 'href="/commitments/?meeting=berlin-2016-small-group"' in meeting
    statement = client.get("/statements/berlin-2016-joint-statement/").content.decode()
    assert 'href="/commitments/berlin-2016-condemn-atrocities/"' in statement
    assert 'href="/commitments/?meeting=berlin-2016-small-group"' in statement


def test_a_quote_in_context_runs_from_the_sentence_before_to_the_sentence_after(db):
    from public.highlight import quote_in_context

    text = (
        "A first sentence far away from it. The sentence just before it. We will fund the "
        "work in Mosul. The sentence just after it. A last sentence far away too."
    )
    start = text.index("fund the")
    end = text.index(" in Mosul")
    passage = quote_in_context(text, start, end)
    assert (
        text_of(str(passage.html))
        == "The sentence just before it. We will fund the work in Mosul. The sentence just after it."
    )
    assert '<mark class="q q-commitment">fund the work</mark>' in str(passage.html)
    assert passage.more_before and passage.more_after
    whole = quote_in_context(text, 0, len(text))
    assert text_of(str(whole.html)) == text and not whole.more_before and not whole.more_after


# -- search ----------------------------------------------------------------------------------------


def search_results(client, q, **params):
    """(pledge slugs, commitment slugs, the marked words) the search page shows for the words."""
    response = client.get("/search/", {"q": q, **params})
    assert response.status_code == 200
    page = response.content.decode()
    return (
        re.findall(r'<li data-pledge="([^"]+)">', page),
        re.findall(r'<li data-commitment="([^"]+)">', page),
        [text_of(m) for m in re.findall(r'<mark class="match">(.*?)</mark>', page)],
    )


def test_search_finds_foreign_fighters_in_pledges_and_commitments_with_the_words_marked(client, seeded):
    pledges, commitments, marked = search_results(client, "foreign fighters")
    assert "ftf-information-sharing" in pledges
    assert {"foreign", "terrorist", "fighters", "FTFs"} <= set(marked)
    # The commitments in no pledge that the search finds, each leading to its own page.
    expected = Commitment.objects.search("foreign fighters").in_any_thread(False)
    assert commitments == [row["slug"] for row in expected.listed_rows()]
    for slug in commitments:
        assert client.get(f"/commitments/{slug}/").status_code == 200
    assert search_results(client, "FTF")[:2] == (pledges, commitments)


def test_search_finds_a_line_of_effort_by_its_name(client, seeded):
    pledges, commitments, marked = search_results(client, "detainees")
    line = Thread.objects.filter(line_of_effort__slug="detainees-justice").values_list("slug", flat=True)
    assert line and set(line) <= set(pledges)
    filed = Commitment.objects.filter(line_of_effort__slug="detainees-justice").in_any_thread(False)
    assert filed and set(filed.values_list("slug", flat=True)) <= set(commitments)
    # The line's name is shown with the word marked: it is why they were found.
    assert "Detainees" in marked


def test_search_finds_the_same_in_either_spelling(client, seeded):
    british, american = search_results(client, "stabilisation"), search_results(client, "stabilization")
    assert british[:2] == american[:2]
    assert {"stabilization-funding", "syria-stabilization"} <= set(british[0])
    assert {"stabilisation", "stabilization"} <= {word.lower() for word in british[2]}


def test_search_says_what_it_looked_for_and_when_nothing_holds_the_words(client, seeded):
    page = client.get("/search/", {"q": "the Da'esh zqxjv"}).content.decode()
    assert "Looked for: Da'esh, zqxjv." in text_of(page)
    assert "No recurring pledge holds these words." in page
    assert "No commitment outside the recurring pledges holds these words." in page
    assert client.get("/search/", {"q": "x" * 201}).status_code == 400


def test_a_member_s_name_shows_the_meetings_it_took_part_in_under_any_of_its_names(client, seeded):
    page = client.get("/search/", {"q": "DRC"}).content.decode()
    members = " ".join(text_of(re.search(r'<ul class="members-found">(.*?)</ul>', page, re.S)[1]).split())
    assert members == "Democratic Republic of the Congo: Paris 2019 (new member), Rome 2021 (new member)"
    # The quotes that name it are found too, under either name.
    assert search_results(client, "DRC")[:2] == search_results(client, "Democratic Republic of the Congo")[:2]
    assert search_results(client, "Türkiye")[:2] == search_results(client, "Turkey")[:2] != ([], [])
    assert "Members (" not in client.get("/search/", {"q": "stabilisation"}).content.decode()


def test_the_matrix_filtered_by_words_leads_to_the_search_results(client, seeded):
    page = client.get("/", {"q": "foreign fighters"}).content.decode()
    assert set(read_matrix(client.get("/", {"q": "foreign fighters"})).rows) == set(
        search_results(client, "foreign fighters")[0]
    )
    assert 'href="/search/?q=foreign+fighters"' in page
    assert set(read_matrix(client.get("/", {"q": "stabilisation"})).rows) == set(
        read_matrix(client.get("/", {"q": "stabilization"})).rows
    )


def test_the_commitments_list_takes_the_same_words(client, seeded):
    found = listed(client, {"q": "foreign fighters", "has_thread": "false"})
    assert found == search_results(client, "foreign fighters")[1]
    assert listed(client, {"q": "stabilisation"}) == listed(client, {"q": "stabilization"})


# Search: the pledges found (count, page), their entries that hold the words, the members the words name
# with the meetings they took part in, the first commitments in no pledge that hold them; whatever the
# number of pledges, entries, members, meetings and commitments.
SEARCH_QUERIES = 5


@pytest.mark.parametrize("size", [2, 5])
def test_the_search_page_runs_a_fixed_number_of_queries_at_any_size(client, db, django_assert_num_queries, size):
    populate(size)
    CommitmentFactory.create_batch(size, statement=Statement.objects.first())  # in no pledge
    interpol = MemberFactory(name="INTERPOL")
    for meeting in Meeting.objects.all():
        ParticipationFactory(meeting=meeting, member=interpol, role="observer")
    with django_assert_num_queries(SEARCH_QUERIES):
        response = client.get("/search/", {"q": "sharing INTERPOL"})
    assert response.status_code == 200
    pledges, commitments, _ = search_results(client, "sharing INTERPOL")
    assert len(pledges) == size and len(commitments) == size
    members = re.search(r'<ul class="members-found">(.*?)</ul>', response.content.decode(), re.S)[1]
    assert members.count("(observer)") == size


def test_the_matrix_searches_once_per_view(client, seeded):
    """The pledges found are what the page goes through; their cells are read by id, not searched again."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/", {"q": "reaffirm"})
    assert response.status_code == 200 and read_matrix(response).rows
    look_up = "to_tsquery" if connection.vendor == "postgresql" else "_fts MATCH"
    # One word: a look-up in the pledges' index and one in the commitments', in one query.
    searching = [query["sql"] for query in queries.captured_queries if look_up in query["sql"]]
    assert len(searching) == 1 and searching[0].count(look_up) == 2
