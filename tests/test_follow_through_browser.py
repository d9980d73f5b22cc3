"""A pledge's follow-through walked in headless Chromium (issue 18): its verdict today, its course across
cycles with the evidence in its own words, the matrix's verdicts and the follow-through page, in light and
dark, on a phone, axe-core clean. The seed's stabilization pledge holds berlin-2016-un-stabilization-facilities.
A pledge's money by stage and the members' scores (the seed has neither) are walked on data made with factories."""

import pytest

from tests.browser import axe_violations, blocking, save_screenshot
from tests.test_follow_through_members import collective_pledge

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


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_pledges_money_and_the_members_scores_read_in_light_and_dark(db, browser_session, scheme):
    """A pledge with money by stage and members scored one by one (`collective_pledge`, made with factories):
    its money chart and table, and the follow-through page's scores by member, axe-core clean."""
    slug = collective_pledge()  # database work first: Playwright's loop refuses it once a page is open
    page = browser_session.new_page(color_scheme=scheme)
    assert page.goto(f"/pledges/{slug}/").status == 200
    money = page.locator("section.money")
    assert money.locator("h2").inner_text() == "Its money, stage by stage"
    chart = money.locator("svg.chart[role=img]")
    assert chart.locator("rect.money-bar").count() == 4  # pledged; then pledged, committed and paid apart
    assert chart.locator("text.chart-value").all_text_contents()[-1] == "paid 4,500,000.50 USD"
    rows = money.locator("table.money-stages tbody tr")
    assert rows.nth(0).locator("td").all_inner_texts() == [
        "24 June 2019",
        "20,000,000",
        "not recorded",
        "not recorded",
        "USD",
    ]
    assert rows.nth(1).locator("td").all_inner_texts() == [
        "25 June 2019",
        "20,000,000",
        "12,000,000",
        "4,500,000.50",
        "USD",
    ]
    # The chart's box is a region a keyboard reaches and scrolls.
    box = money.locator(".chart-scroll")
    box.focus()
    assert page.evaluate("document.activeElement.classList.contains('chart-scroll')")
    assert "paid 20,000,000" not in page.content()  # the draft's
    assert blocking(axe_violations(page, f"pledge money ({scheme})")) == []
    save_screenshot(page, SCREENSHOT_FOLDER, f"pledge-money-{scheme}")

    assert page.goto("/follow-through/#by-member-heading").status == 200
    members = page.locator("section.by-member")
    assert members.locator("svg.chart[role=img]").count() == 1
    table = members.locator("table.member-scores")
    assert table.locator("tbody th").all_inner_texts() == ["France", "Italy", "Libya"]
    assert [cells[4] for cells in (row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all())] == [
        "100 %",
        "50 %",
        "0 %",
    ]
    assert "1 of the 3 approved assessments counted" in members.locator(".unscored").inner_text()
    assert blocking(axe_violations(page, f"follow-through by member ({scheme})")) == []
    save_screenshot(page, SCREENSHOT_FOLDER, f"follow-through-members-{scheme}")
    browser_session.assert_clean()


def test_the_money_chart_and_the_members_scores_fit_a_phone(db, browser_session):
    slug = collective_pledge()
    page = browser_session.new_page(viewport={"width": 375, "height": 740})
    for name, url in (("pledge money", f"/pledges/{slug}/"), ("follow-through by member", "/follow-through/")):
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name
        assert blocking(axe_violations(page, f"{name} (phone)")) == []
        save_screenshot(page, SCREENSHOT_FOLDER, f"{name.replace(' ', '-')}-phone")
    browser_session.assert_clean()
