"""A pledge's follow-through walked in headless Chromium (issue 18): its verdict today, its course across
cycles with the evidence in its own words, the matrix's verdicts and the follow-through page, in light and
dark, on a phone, axe-core clean. The seed's stabilization pledge holds berlin-2016-un-stabilization-facilities."""

import pytest

from tests.browser import axe_violations, blocking, save_screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLEDGE = "/pledges/stabilization-funding/"
SCREENSHOT_FOLDER = "follow-through"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_pledges_follow_through_reads_from_its_verdict_today_to_its_evidence(seeded, browser_session, scheme):
    page = browser_session.new_page(color_scheme=scheme)
    assert page.goto(PLEDGE).status == 200
    today = page.locator(".verdict-today")
    assert today.locator(".verdict-word").inner_text() == "in the works"
    assert "under way and not finished" in today.inner_text()
    # "How it got there" leads, by keyboard, to the course across cycles.
    link = today.get_by_role("link", name="How it got there")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{PLEDGE}#follow-through-heading")
    course = page.locator(".follow-through")
    cycles = course.locator("section.cycle h3").all_inner_texts()
    assert cycles[:1] == ["Berlin 2016 → Paris 2019 (final)"]
    first = course.locator("li.report").first
    assert "We urge continued support for the UN’s Funding Facility" in first.locator(".promised").inner_text()
    assert first.locator(".reported .verdict-word").inner_text() == "compromise"
    evidence = first.locator(".evidence > li").first
    assert "Coalition partners have raised $20 billion" in evidence.locator("blockquote").inner_text()
    assert evidence.locator(".self-reported").inner_text().lower() == "self-reported"
    assert evidence.locator(".relied-on").inner_text().startswith("Relied on for:")
    assert blocking(axe_violations(page, f"pledge follow-through ({scheme})")) == []
    save_screenshot(page, SCREENSHOT_FOLDER, f"pledge-{scheme}")

    assert page.goto("/follow-through/").status == 200
    assert page.locator("svg.chart[role=img]").count() == 2 and page.locator("table.verdict-counts").count() == 2
    assert blocking(axe_violations(page, f"follow-through page ({scheme})")) == []
    save_screenshot(page, SCREENSHOT_FOLDER, f"follow-through-{scheme}")

    page.goto("/")
    cell = page.locator('tr[data-pledge="stabilization-funding"] td[data-meeting="berlin-2016-small-group"]')
    assert cell.locator(".verdict .verdict-word").all_inner_texts() == ["compromise"]
    browser_session.assert_clean()


def test_the_follow_through_fits_a_phone(seeded, browser_session):
    page = browser_session.new_page(viewport={"width": 375, "height": 740})
    for name, url in (("pledge", PLEDGE), ("follow-through", "/follow-through/")):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        assert blocking(axe_violations(page, f"{name} (phone)")) == []
        save_screenshot(page, SCREENSHOT_FOLDER, f"{name}-phone")
    browser_session.assert_clean()
