"""The curator's admin in headless Chromium, on the seed: pasting quotes as they come, picking one of two
places, starting a commitment from a selection, reviewing a thread, lists that fit 1,280 px.

Database work happens before the browser starts (see tests/browser.py); what a test then checks,
it reads from the pages. Screenshots go to var/screenshots/admin/.
"""

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from commitments.models import Commitment, LineOfEffort, Thread
from meetings.models import Statement
from tests.browser import save_screenshot
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = "admin"
CHANGELISTS = [
    "meetings_meeting",
    "meetings_statement",
    "meetings_member",
    "meetings_participation",
    "meetings_figure",
    "commitments_lineofeffort",
    "commitments_thread",
    "commitments_commitment",
    "commitments_threadentry",
    "commitments_assessment",
    "ingest_suggestion",
]
ROME = "rome-2021-ministerial-statement"


@pytest.fixture
def curator_login(seeded):
    UserFactory(username="browser-curator", is_staff=True, is_superuser=True)
    return "browser-curator", "a-long-test-password"


def logged_in(browser_session, login, **options):
    page = browser_session.new_page(**options)
    page.goto(reverse("admin:login"))
    page.fill("#id_username", login[0])
    page.fill("#id_password", login[1])
    with page.expect_navigation():
        page.click("input[type=submit]")
    return page


def save(page, button="_continue"):
    """Press a save button and wait for the page the POST answers with."""
    with page.expect_navigation():
        page.click(f"input[name={button}]")


def add_commitment_url(statement):
    """The add page of a commitment quoting `statement`, filed under Coalition membership and cohesion."""
    line = LineOfEffort.objects.get(slug="coalition-cohesion")
    return reverse("admin:commitments_commitment_add") + f"?statement={statement.pk}&line_of_effort={line.pk}"


def fill_commitment(page, slug, quote=None):
    if quote is not None:
        page.fill("#id_quote", quote)
    page.fill("#id_slug", slug)
    page.fill("#id_actor", "the Ministers")
    page.select_option("#id_strength", "binding")
    page.fill("#id_summary", "Added in the browser test.")


def test_a_quote_pasted_as_a_pdf_gives_it_is_stored_with_the_texts_characters_and_offsets(
    curator_login, browser_session
):
    statement = Statement.objects.get(slug=ROME)
    passage = "the terrorist\ngroup, which remains the Coalition’s sole purpose, through a comprehensive,\ncoordinated"
    start = statement.text.index(passage)
    # As a PDF or web page gives it: no line breaks, a straight apostrophe.
    pasted = " ".join(passage.split()).replace("’", "'")
    assert statement.text.count(passage) == 1 and pasted not in statement.text
    add = add_commitment_url(statement)

    page = logged_in(browser_session, curator_login)
    page.goto(add)
    fill_commitment(page, "browser-pasted-from-pdf", pasted)
    save_screenshot(page, FOLDER, "paste-from-pdf-before-saving")
    save(page)
    assert page.locator(".errorlist").count() == 0
    assert page.locator("#id_start").input_value() == str(start)
    assert page.locator("#id_end").input_value() == str(start + len(passage))
    # The stored quote is the text's own, line breaks and curly apostrophe included.
    assert page.locator("#id_quote").input_value() == passage
    save_screenshot(page, FOLDER, "paste-from-pdf-saved")
    browser_session.assert_clean()


def test_a_curator_picks_one_of_the_two_places_of_an_ambiguous_quote(curator_login, browser_session):
    statement = Statement.objects.get(slug=ROME)
    quote = "in Iraq and Syria"
    first = statement.text.index(quote)
    second = statement.text.index(quote, first + 1)
    assert statement.text.count(quote) == 2
    add = add_commitment_url(statement)

    page = logged_in(browser_session, curator_login)
    page.goto(add)
    fill_commitment(page, "browser-ambiguous", quote)
    save(page)
    # One error, on the quote; the places are offered under Start, each in its context.
    errors = page.locator(".errorlist").all_inner_texts()
    assert len(errors) == 1 and "occurs 2 times" in errors[0]
    places = page.locator("input[name=start][type=radio]")
    assert [places.nth(i).get_attribute("value") for i in range(places.count())] == [str(first), str(second)]
    assert page.locator(f"label[for={places.nth(1).get_attribute('id')}] mark").inner_text() == quote
    save_screenshot(page, FOLDER, "ambiguous-quote-places")
    places.nth(1).check()
    save(page)
    assert page.locator(".errorlist").count() == 0
    assert page.locator("#id_start").input_value() == str(second)
    assert page.locator("#id_end").input_value() == str(second + len(quote))
    save_screenshot(page, FOLDER, "ambiguous-quote-saved-at-the-second-place")
    browser_session.assert_clean()


def test_a_passage_selected_on_the_statement_page_becomes_a_commitment_whose_span_is_then_marked(
    curator_login, browser_session
):
    statement = Statement.objects.get(slug=ROME)
    passage = "The Global\nCoalition to Defeat Daesh/ISIS has proven that it is a cohesive"
    start = statement.text.index(passage)
    assert not statement.commitments.filter(start__lt=start + len(passage), end__gt=start).exists()
    statement_page = reverse("admin:meetings_statement_change", args=[statement.pk])
    text, commitments, figures = statement.text, statement.commitments.count(), statement.figures.count()

    page = logged_in(browser_session, curator_login)
    page.goto(statement_page)
    save_screenshot(page, FOLDER, "statement-reading-view")
    # Every span is marked, in pieces where spans overlap: each commitment's and figure's anchor is there.
    assert page.locator(".reading-view span[id^=mark-commitment-]").count() == commitments
    assert page.locator(".reading-view span[id^=mark-figure-]").count() == figures
    # The text in the page is the statement's, character for character.
    assert page.locator(".reading-view").evaluate("view => view.textContent") == text
    link = page.locator("a.new-from-selection", has_text="New commitment from selection")
    assert link.is_hidden()
    select_in_reading_view(page, start, start + len(passage))
    link.wait_for(state="visible")
    assert f"Selected at offset {start}" in page.locator(".reading-hint").inner_text()
    save_screenshot(page, FOLDER, "statement-selection-offers-a-new-commitment")
    with page.expect_navigation():
        link.click()
    assert page.locator("#id_quote").input_value() == passage
    assert page.locator("#id_start").input_value() == str(start)
    fill_commitment(page, "browser-selected")
    choose_autocomplete(page, "line_of_effort", "Coalition membership")
    save(page)
    assert page.locator(".errorlist").count() == 0
    new_commitment_url = urlsplit(page.url).path
    assert page.locator("#id_start").input_value() == str(start)

    page.goto(statement_page)
    mark = page.locator(f'.reading-view a.mark-commitment[href="{new_commitment_url}"]')
    assert mark.count() >= 1
    assert "".join(mark.all_text_contents()) == passage
    mark.first.scroll_into_view_if_needed()
    save_screenshot(page, FOLDER, "statement-new-commitment-marked")
    browser_session.assert_clean()


def select_in_reading_view(page, start, end):
    """Select the reading view's characters [start, end) as a mouse would (offsets in the text)."""
    page.locator(".reading-view").evaluate(
        """(view, [start, end]) => {
            const walker = document.createTreeWalker(view, NodeFilter.SHOW_TEXT);
            let seen = 0, from = null, to = null;
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                if (!from && start < seen + node.length) from = [node, start - seen];
                if (!to && end <= seen + node.length) to = [node, end - seen];
                seen += node.length;
            }
            window.getSelection().setBaseAndExtent(from[0], from[1], to[0], to[1]);
            from[0].parentElement.scrollIntoView({block: "center"});
        }""",
        [start, end],
    )


def choose_autocomplete(page, field, text):
    """Pick an option of an admin autocomplete (select2) by typing part of its name."""
    page.locator(f".field-{field} .select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


CONTRAST = """el => {
    const rgb = value => value.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
        const channel = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    };
    let node = el, background = null;
    while (node && !background) {
        const colour = getComputedStyle(node).backgroundColor;
        if (colour && colour !== "transparent" && rgb(colour)[3] !== 0) background = rgb(colour);
        node = node.parentElement;
    }
    const [lighter, darker] = [luminance(rgb(getComputedStyle(el).color)), luminance(background)].sort((a, b) => b - a);
    return (lighter + 0.05) / (darker + 0.05);
}"""


@pytest.mark.parametrize("theme", ["light system", "dark system", "dark toggle"])
def test_a_threads_review_flags_kinds_that_differ_and_reads_at_4_5_to_1_in_light_and_dark(
    curator_login, browser_session, theme
):
    stabilization = Thread.objects.get(slug="stabilization-funding")
    syria = Thread.objects.get(slug="syria-political-settlement-2254")
    comprehensive = Thread.objects.get(slug="comprehensive-effort")
    rome = Statement.objects.get(slug=ROME)
    scheme = "dark" if theme == "dark system" else "light"

    page = logged_in(browser_session, curator_login, color_scheme=scheme)
    if theme == "dark toggle":
        # The admin's theme toggle keeps its choice in localStorage and sets html[data-theme].
        page.evaluate("localStorage.setItem('theme', 'dark')")
    page.goto(reverse("admin:commitments_thread_change", args=[stabilization.pk]))
    if theme == "dark toggle":
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    rows = page.locator(".thread-timeline tbody tr")
    flagged = [i + 1 for i in range(rows.count()) if "kind-mismatch" in rows.nth(i).get_attribute("class")]
    # Rows 3, 4 and 6 differ from the suggestion without contradicting the quotes: not flagged.
    assert flagged == []
    # Rewritten wording: two quotes side by side.
    assert rows.nth(5).locator(".side-by-side blockquote").count() == 2
    slug = theme.replace(" ", "-")
    page.locator(".thread-timeline").scroll_into_view_if_needed()
    save_screenshot(page, FOLDER, f"thread-stabilization-{slug}")

    page.goto(reverse("admin:commitments_thread_change", args=[comprehensive.pk]))
    rows = page.locator(".thread-timeline tbody tr")
    flagged = [i + 1 for i in range(rows.count()) if "kind-mismatch" in rows.nth(i).get_attribute("class")]
    assert flagged == [5, 6]  # marked repeated where the strength went soft → binding, then binding → soft
    assert "⚠ Contradicts the quotes" in rows.nth(4).inner_text()
    assert "the strength went soft → binding" in rows.nth(4).inner_text()

    page.goto(reverse("admin:commitments_thread_change", args=[syria.pk]))
    assert page.locator(".thread-timeline del .visually-hidden").first.text_content() == "removed: "
    assert page.locator(".thread-timeline ins .visually-hidden").first.text_content() == "added: "
    for selector in [
        "del.diff-delete",
        "ins.diff-insert",
        ".kind-flag",
        ".thread-timeline blockquote",
        ".timeline-legend",
    ]:
        for element in page.locator(selector).all():
            assert element.evaluate(CONTRAST) >= 4.5, (selector, theme)
    page.locator(".thread-timeline").scroll_into_view_if_needed()
    save_screenshot(page, FOLDER, f"thread-close-wording-{slug}")

    page.goto(reverse("admin:meetings_statement_change", args=[rome.pk]))
    for selector in [".reading-view a.mark-commitment", ".reading-view a.mark-figure", ".reading-view"]:
        assert page.locator(selector).first.evaluate(CONTRAST) >= 4.5, (selector, theme)
    browser_session.assert_clean()


def test_the_entries_filter_finds_every_entry_whose_kind_contradicts_the_quotes(curator_login, browser_session):
    page = logged_in(browser_session, curator_login)
    page.goto(reverse("admin:commitments_threadentry_changelist"))
    page.get_by_role("link", name="Contradicts the quotes").click()
    page.wait_for_load_state()
    assert "suggestion=differs" in page.url
    flags = page.locator("#result_list td.field-suggestion .kind-flag")
    assert flags.count() == page.locator("#result_list tbody tr").count() > 0
    save_screenshot(page, FOLDER, "entries-differing-from-the-suggestion")
    browser_session.assert_clean()


def test_no_changelist_scrolls_sideways_at_1280_px(curator_login, browser_session):
    assert Commitment.objects.count() > 100
    page = logged_in(browser_session, curator_login, viewport={"width": 1280, "height": 900})
    widths = {}
    for name in CHANGELISTS:
        page.goto(reverse(f"admin:{name}_changelist"))
        widths[name] = page.evaluate(
            """() => {
                const results = document.querySelector(".results");
                return {
                    page: document.documentElement.scrollWidth,
                    table: results ? results.scrollWidth - results.clientWidth : 0,
                    filters: document.querySelector("#changelist-filter") !== null,
                    search: document.querySelector("#searchbar") !== null,
                };
            }"""
        )
        save_screenshot(page, FOLDER, f"changelist-{name}")
    # Nothing wider than the window, and no table scrolling inside its box; filters and search kept.
    assert {name: w["page"] for name, w in widths.items()} == dict.fromkeys(CHANGELISTS, 1280)
    assert {name: w["table"] for name, w in widths.items()} == dict.fromkeys(CHANGELISTS, 0)
    assert all(w["search"] for w in widths.values())
    assert all(w["filters"] for name, w in widths.items() if name != "commitments_lineofeffort")
    browser_session.assert_clean()


def test_a_seeded_record_shows_its_first_history_entry(browser_session):
    from django.core.management import call_command

    call_command("load_seed", verbosity=0)
    UserFactory(username="browser-curator", is_staff=True, is_superuser=True)
    commitment = Commitment.objects.get(slug="rome-2021-pledge-drive")
    page = logged_in(browser_session, ("browser-curator", "a-long-test-password"))
    page.goto(reverse("admin:commitments_commitment_history", args=[commitment.pk]))
    row = page.locator("#change-history tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[2:5] == ["Created", "—", "Loaded from the seed fixture"]
    save_screenshot(page, FOLDER, "history-of-a-seeded-commitment")
    browser_session.assert_clean()
