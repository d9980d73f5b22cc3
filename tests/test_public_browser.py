"""The public pages in headless Chromium: clean loads, the matrix, filters, keyboard, axe-core, screenshots.

The pages are read from the seed; the tests know its slugs, so they touch no database while the
browser runs (see tests/browser.py).
"""

import pytest

from tests.browser import axe_violations, blocking, matrix_headers_in_view, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "matrix": "/",
    "matrix-filtered": "/?line_of_effort=stabilization&year_from=2019&year_to=2021",
    "pledge": "/pledges/stabilization-funding/",
    "pledge-close-wording": "/pledges/syria-political-settlement-2254/",
    "meetings": "/meetings/",
    "meeting": "/meetings/paris-2019-small-group/",
    "meeting-pledges-grouped": "/meetings/rome-2021-ministerial/",
    "pledge-joined-words": "/pledges/vigilance-security-vacuums/",
    "statement": "/statements/rome-2021-ministerial-statement/",
    "lines-of-effort": "/lines-of-effort/",
    "follow-through": "/follow-through/",
    "commitments": "/commitments/",
    "commitments-filtered": "/commitments/?meeting=berlin-2016-small-group&has_thread=false",
    "commitment": "/commitments/berlin-2016-condemn-atrocities/",
    "commitment-in-pledges": "/commitments/paris-2019-roadmap-observers-share-expertise/",
    # The three searches issue 21 found failing, now answered.
    "search-foreign-fighters": "/search/?q=foreign+fighters",
    "search-detainees": "/search/?q=detainees",
    "search-stabilisation": "/search/?q=stabilisation",
    "search-member": "/search/?q=DRC",
}
PARIS, COPENHAGEN, ROME = "paris-2019-small-group", "copenhagen-2020-small-group", "rome-2021-ministerial"
SCREENSHOT_FOLDER = "public"


def cell(page, pledge, meeting):
    return page.locator(f'tr[data-pledge="{pledge}"] td[data-meeting="{meeting}"]')


def cell_words(page, pledge, meeting):
    """What a sighted reader sees in a cell: each entry's symbol and word."""
    return cell(page, pledge, meeting).evaluate(
        """td => [...td.querySelectorAll(".kind")].map(kind => [...kind.querySelectorAll(".kind-symbol, .kind-word")]
            .map(part => part.textContent.trim()).join(" "))"""
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_loads_clean_has_no_serious_axe_violation_and_is_screenshotted(seeded, browser_session, scheme):
    page = browser_session.new_page(color_scheme=scheme)
    found = {}
    for name, url in PAGES.items():
        response = page.goto(url)
        assert response.status == 200, url
        assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
        found[name] = blocking(axe_violations(page, f"{name} ({scheme})"))
        path = save_screenshot(page, SCREENSHOT_FOLDER, f"{name}-{scheme}")
        assert path.stat().st_size > 0
    browser_session.assert_clean()
    assert found == {name: [] for name in PAGES}


def test_pages_fit_a_phone_and_are_screenshotted_there(seeded, browser_session):
    page = browser_session.new_page(viewport={"width": 375, "height": 740})
    for name, url in PAGES.items():
        page.goto(url)
        # Wide tables and charts scroll inside their own region; the page itself never scrolls sideways.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        save_screenshot(page, SCREENSHOT_FOLDER, f"{name}-phone")
    browser_session.assert_clean()


def test_the_matrix_shows_the_three_pledges_across_paris_copenhagen_and_rome(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    headers = page.locator("table.matrix thead th").all_inner_texts()
    assert [h.splitlines()[0] for h in headers[1:]] == ["Berlin 2016", "Paris 2019", "Copenhagen 2020", "Rome 2021"]
    assert cell_words(page, "stabilization-funding", PARIS) == ["▲ strengthened", "▼ weakened"]
    assert cell_words(page, "stabilization-funding", COPENHAGEN) == ["↔ widened"]
    assert cell_words(page, "stabilization-funding", ROME) == ["▼ weakened", "▼ weakened"]
    assert cell_words(page, "ftf-information-sharing", PARIS) == ["▼ weakened"]
    assert cell_words(page, "ftf-information-sharing", COPENHAGEN) == ["–"]
    assert cell_words(page, "ftf-information-sharing", ROME) == ["↔ widened"]
    assert cell_words(page, "africa-focus", PARIS) == ["+ new", "▲ strengthened"]
    assert cell_words(page, "africa-focus", COPENHAGEN) == ["▲ strengthened"]
    assert cell_words(page, "africa-focus", ROME) == ["↔ widened", "▲ strengthened", "↔ widened", "▲ strengthened"]
    # The change kind is read out as a word with its pledge and meeting, and "not made" where it is absent.
    link = cell(page, "stabilization-funding", COPENHAGEN).get_by_role("link")
    assert link.get_attribute("href").endswith("#c-copenhagen-2020-stabilization-support")
    assert "widened" in link.inner_text() and "↔" in link.inner_text()
    absent = cell(page, "ftf-information-sharing", COPENHAGEN).locator(".visually-hidden").inner_text()
    assert absent == "not made at Copenhagen 2020"
    browser_session.assert_clean()


def test_a_filter_changes_the_matrix_and_the_url(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    everything = page.locator("tr[data-pledge]").count()
    page.select_option("#id_line_of_effort", "stabilization")
    page.select_option("#id_year_from", "2020")
    with page.expect_navigation():
        page.get_by_role("button", name="Show").click()
    assert "line_of_effort=stabilization" in page.url and "year_from=2020" in page.url
    rows = page.locator("tr[data-pledge]").evaluate_all("rows => rows.map(r => r.dataset.pledge)")
    assert rows == ["stabilization-funding", "syria-stabilization"] and len(rows) < everything
    columns = page.locator("td[data-meeting]").evaluate_all("cells => [...new Set(cells.map(c => c.dataset.meeting))]")
    assert columns == [COPENHAGEN, ROME]

    # The address is the view: opened afresh, it shows the same matrix with the filters filled in.
    shared = page.url
    page.goto("/")
    page.goto(shared)
    assert page.locator("tr[data-pledge]").count() == 2
    assert page.locator("#id_line_of_effort").input_value() == "stabilization"

    page.fill("#id_q", "INTERPOL")
    page.select_option("#id_line_of_effort", "")
    page.select_option("#id_year_from", "")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert "q=INTERPOL" in page.url
    rows = page.locator("tr[data-pledge]").evaluate_all("rows => rows.map(r => r.dataset.pledge)")
    assert "ftf-information-sharing" in rows and "stabilization-funding" not in rows
    browser_session.assert_clean()


def test_a_cell_leads_to_the_quote_and_the_quote_to_its_place_in_the_statement(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    with page.expect_navigation():
        cell(page, "stabilization-funding", COPENHAGEN).get_by_role("link").click()
    assert page.url.endswith("/pledges/stabilization-funding/#c-copenhagen-2020-stabilization-support")
    target = page.locator("article:target")
    assert target.get_attribute("id") == "c-copenhagen-2020-stabilization-support"
    assert target.is_visible() and target.evaluate("el => el.getBoundingClientRect().top < window.innerHeight")
    quote = target.locator(":scope > blockquote.quote").inner_text()
    assert quote.startswith("We must continue to increase our various forms of assistance and stabilization support")
    assert "widened" in target.locator(".step-meta").inner_text()

    with page.expect_navigation():
        target.get_by_role("link", name="The quote in the statement's text").click()
    assert page.url.endswith("/statements/copenhagen-2020-statement/#text-c-copenhagen-2020-stabilization-support")
    marked = page.locator('mark:has(a[href="#c-copenhagen-2020-stabilization-support"])').first
    assert marked.inner_text().startswith("We must continue to increase")
    assert marked.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight }")
    browser_session.assert_clean()


@pytest.mark.parametrize("name", list(PAGES))
def test_the_keyboard_reaches_every_link_with_a_visible_focus(seeded, browser_session, name):
    page = browser_session.new_page()
    page.goto(PAGES[name])
    links = page.evaluate(
        """() => [...document.querySelectorAll("a[href]")].map((a, i) => { a.dataset.tabIndexForTest = i; return i })"""
    )
    focusable = page.locator("a[href], button, input, select, [tabindex='0']").count()
    reached, invisible = set(), []
    page.keyboard.press("Tab")
    first = page.evaluate("document.activeElement.textContent.trim()")
    assert first == "Skip to main content"
    for _ in range(focusable + 2):
        index, outline = page.evaluate(
            """() => {
                const el = document.activeElement, style = getComputedStyle(el);
                const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
                return [el.dataset.tabIndexForTest ?? null, outlined];
            }"""
        )
        if index is not None:
            reached.add(int(index))
        if not outline:
            invisible.append(page.evaluate("document.activeElement.outerHTML.slice(0, 120)"))
        if reached == set(links):
            break
        page.keyboard.press("Tab")
    assert set(links) - reached == set(), f"links the keyboard never reached on {name}"
    assert invisible == [], "focused without a visible outline"
    browser_session.assert_clean()


def test_the_skip_link_moves_to_the_main_content(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    assert page.evaluate("document.activeElement.id") == "main"
    browser_session.assert_clean()


def test_printing_leaves_out_navigation_and_filters(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    page.emulate_media(media="print")
    assert page.locator("form.filters").is_hidden()
    assert page.locator(".site-header nav").is_hidden()
    assert page.locator("table.matrix").is_visible()
    colour = page.evaluate("getComputedStyle(document.body).color")
    assert colour == "rgb(0, 0, 0)"
    browser_session.assert_clean()


def test_the_guard_refuses_and_reports_a_request_to_another_host(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    # Refused inside the browser before any name lookup; .invalid never resolves anyway.
    page.evaluate("fetch('http://other-host.invalid/tracker.js').catch(() => null)")
    assert browser_session.foreign_requests == ["http://other-host.invalid/tracker.js"]
    with pytest.raises(AssertionError, match="requests to other hosts"):
        browser_session.assert_clean()


def test_the_matrix_opens_on_the_newest_meeting_and_numbers_the_chips_of_a_shared_cell(seeded, browser_session):
    for viewport, fits in [({"width": 1280, "height": 900}, True), ({"width": 390, "height": 844}, False)]:
        page = browser_session.new_page(viewport=viewport)
        page.goto("/")
        shown = matrix_headers_in_view(page)
        assert shown[-1] == "Rome 2021" and (len(shown) == 4) == fits
        cue = page.locator(".scroll-cue")
        assert cue.is_visible() != fits
        if not fits:
            assert "Earlier meetings lie to the left" in cue.inner_text()
        # Two chips at one meeting say which commitment each is: its number on the pledge's page ("no." said to
        # screen readers, the number shown).
        numbered = cell(page, "stabilization-funding", PARIS).evaluate(
            """td => [...td.querySelectorAll(".kind")].map(kind => [
                kind.querySelector(".kind-word").textContent, kind.querySelector(".kind-no").textContent,
                kind.getAttribute("href").split("#")[1]])"""
        )
        assert numbered == [
            ["strengthened", "no. 2", "c-paris-2019-roadmap-increase-contributions"],
            ["weakened", "no. 3", "c-paris-2019-readout-stabilisation-support"],
        ]
        assert cell(page, "stabilization-funding", COPENHAGEN).locator(".kind-no").count() == 0  # one chip, no number
        page.context.close()
    browser_session.assert_clean()


def test_a_pledges_page_opens_with_its_course_and_each_step_leads_to_its_card(seeded, browser_session):
    for viewport in [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]:
        page = browser_session.new_page(viewport=viewport)
        page.goto("/pledges/africa-focus/")
        line = page.locator("p.trajectory")
        # The answer is on the first screen, before any card.
        assert line.evaluate("p => p.getBoundingClientRect().bottom <= innerHeight")
        assert " ".join(line.inner_text().split()).startswith("In one line: Paris 2019: first made (no. 1)")
        assert "Rome 2021: widened (nos. 4, 6), strengthened (nos. 5, 7) — latest: Rome 2021." in line.inner_text()
        with page.expect_navigation():
            line.get_by_role("link", name="6", exact=True).click()
        assert page.url.endswith("#c-rome-2021-africa-effective-engagement")
        target = page.locator("article:target")
        assert target.get_attribute("id") == "c-rome-2021-africa-effective-engagement"
        assert target.evaluate("el => el.getBoundingClientRect().top < innerHeight")
        assert "6." in target.locator("h2").inner_text() and "widened" in target.locator(".step-meta").inner_text()
        page.context.close()
    browser_session.assert_clean()


# Every SVG text of the page's charts: its words, its drawn font size (computed size × the chart's scale)
# and the height of its box on the screen, in CSS pixels.
CHART_TEXT_SIZES = """() => [...document.querySelectorAll("svg.chart text")].map(text => {
    const svg = text.ownerSVGElement;
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return [text.textContent, parseFloat(getComputedStyle(text).fontSize) * scale, text.getBoundingClientRect().height];
})"""


def test_chart_labels_are_legible_on_a_phone_and_not_oversized_on_a_desktop(seeded, browser_session):
    page = browser_session.new_page(viewport={"width": 390, "height": 844})
    page.goto("/lines-of-effort/")
    sizes = page.evaluate(CHART_TEXT_SIZES)
    # The four charts: the counts, and people freed, members and funds with their labels.
    labels = {words for words, _, _ in sizes}
    assert {"Berlin 2016", "2014 · said at Paris 2019", "more than 2.3 billion USD committed"} <= labels
    small = [(words, round(size, 1), round(height, 1)) for words, size, height in sizes if size < 11.5 or height < 11]
    assert small == []
    # The charts scroll sideways inside their own boxes; the page does not.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    scrolls = page.locator(".chart-scroll").evaluate_all("boxes => boxes.map(b => b.scrollWidth > b.clientWidth)")
    assert scrolls == [True, True, True, True]
    save_screenshot(page, SCREENSHOT_FOLDER, "lines-of-effort-charts-phone")
    page.context.close()

    page = browser_session.new_page(viewport={"width": 1280, "height": 800})
    page.goto("/lines-of-effort/")
    drawn = [size for _, size, _ in page.evaluate(CHART_TEXT_SIZES)]
    assert 11.5 <= min(drawn) and max(drawn) <= 16.5
    page.context.close()


def test_a_quotes_link_to_copy_works_without_script_and_says_what_it_is(seeded, browser_session):
    page = browser_session.new_page(javascript=False)
    page.goto("/pledges/africa-focus/")
    step = page.locator("article#c-rome-2021-africa-effective-engagement")
    link = step.get_by_role("link", name="Link to this quote")
    assert link.inner_text() == "#" and link.is_visible()
    box = link.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24  # large enough to tap
    link.click()
    assert page.url.endswith("/pledges/africa-focus/#c-rome-2021-africa-effective-engagement")  # the address to copy
    assert page.locator("article:target").get_attribute("id") == "c-rome-2021-africa-effective-engagement"

    page.goto("/statements/rome-2021-ministerial-statement/")
    item = page.locator("li#c-rome-2021-africa-effective-engagement")
    item.get_by_role("link", name="Link to this quote").click()
    assert page.url.endswith("#text-c-rome-2021-africa-effective-engagement")
    marked = page.locator('mark:has(a[href="#c-rome-2021-africa-effective-engagement"])').first
    assert marked.evaluate("el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight }")
    # A link preview of the page it leads to, read by a crawler that runs no script either.
    assert (
        page.locator('meta[property="og:url"]')
        .get_attribute("content")
        .endswith("/statements/rome-2021-ministerial-statement/")
    )


def test_a_search_from_the_navigation_shows_pledges_and_commitments_with_the_words_marked(seeded, browser_session):
    page = browser_session.new_page()
    page.goto("/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Sections").get_by_role("link", name="Search").click()
    page.fill("#id_q", "foreign fighters")
    with page.expect_navigation():
        page.press("#id_q", "Enter")
    assert "/search/?q=foreign+fighters" in page.url
    pledges = page.locator("li[data-pledge]").evaluate_all("items => items.map(i => i.dataset.pledge)")
    assert "ftf-information-sharing" in pledges
    marked = page.locator("li[data-pledge='ftf-information-sharing'] mark.match")
    assert "terrorist" in marked.all_inner_texts() and marked.first.is_visible()
    # A mark stands out from the text around it.
    assert marked.first.evaluate("m => getComputedStyle(m).backgroundColor") != page.locator("main").evaluate(
        "m => getComputedStyle(m).backgroundColor"
    )
    with page.expect_navigation():
        page.locator("li[data-commitment] .commitment-quote a").first.click()
    assert "/commitments/" in page.url and page.locator("h1").is_visible()
    browser_session.assert_clean()
