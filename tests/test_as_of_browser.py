"""A pledge's page and the matrix as of a date in headless Chromium, light and dark: the past state marked,
axe-core clean."""

import datetime

import pytest
from django.apps import apps

from tests.browser import axe_violations, blocking, save_screenshot
from tests.factories import commitments_at_meetings, thread_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CITED_ON = datetime.datetime(2025, 3, 3, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def pledge_renamed_since_3_march_2025():
    """A pledge of two commitments whose every version dates from 3 March 2025, renamed and extended today."""
    first, second = commitments_at_meetings(2016, 2019)
    thread = thread_with(first, second, kinds=["repeated"], slug="cited-pledge", title="The pledge as cited")
    for model in apps.get_models():
        if model.__name__.startswith("Historical"):
            model.objects.update(history_date=CITED_ON)
    thread.title = "The pledge as renamed since"
    thread.save()
    return thread, first


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_pledge_page_as_of_a_date_shows_the_past_state_marked(
    pledge_renamed_since_3_march_2025, browser_session, scheme
):
    page = browser_session.new_page(color_scheme=scheme)
    response = page.goto("/pledges/cited-pledge/?as_of=2025-03-03")
    assert response.status == 200
    banner = page.locator("aside.past-state")
    assert banner.is_visible()
    assert "A past state: as of 3 March 2025" in banner.inner_text()
    assert page.locator("h1").inner_text() == "The pledge as cited"
    assert page.locator("article.step").count() == 2
    assert blocking(axe_violations(page, f"pledge as of a date ({scheme})")) == []
    save_screenshot(page, "public", f"pledge-as-of-{scheme}")
    # The banner's link leads to today's page, which offers the dated link to cite.
    banner.get_by_role("link", name="Today's page").click()
    page.wait_for_url("**/pledges/cited-pledge/")
    assert page.locator("h1").inner_text() == "The pledge as renamed since"
    assert page.locator("aside.past-state").count() == 0
    assert "as_of=" in page.locator("p.dated-link a").get_attribute("href")
    assert blocking(axe_violations(page, f"pledge with its dated link ({scheme})")) == []
    # The pledge's commitment and its meeting as of the same date: marked, and as clean.
    _, commitment = pledge_renamed_since_3_march_2025
    for name, url in (
        ("commitment", f"/commitments/{commitment.slug}/?as_of=2025-03-03"),
        ("meeting", f"/meetings/{commitment.statement.meeting.slug}/?as_of=2025-03-03"),
    ):
        assert page.goto(url).status == 200
        assert "A past state: as of 3 March 2025" in page.locator("aside.past-state").inner_text()
        assert blocking(axe_violations(page, f"{name} as of a date ({scheme})")) == []
    browser_session.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_matrix_as_of_a_date_shows_the_pledges_then_marked_and_keeps_the_date(
    pledge_renamed_since_3_march_2025, browser_session, scheme
):
    page = browser_session.new_page(color_scheme=scheme)
    response = page.goto("/?as_of=2025-03-03")
    assert response.status == 200
    banner = page.locator("aside.past-state")
    assert banner.is_visible()
    assert "A past state: as of 3 March 2025" in banner.inner_text()
    pledge = page.locator('tr[data-pledge="cited-pledge"] th a')
    assert pledge.inner_text() == "The pledge as cited"
    assert "as_of=2025-03-03T23" in pledge.get_attribute("href")
    assert page.locator('tr[data-pledge="cited-pledge"] a.kind').count() == 2
    assert blocking(axe_violations(page, f"matrix as of a date ({scheme})")) == []
    save_screenshot(page, "public", f"matrix-as-of-{scheme}")
    # A pledge of the past matrix opens as of the same date.
    pledge.click()
    page.wait_for_url("**/pledges/cited-pledge/?as_of=*")
    assert page.locator("h1").inner_text() == "The pledge as cited"
    assert "A past state: as of 3 March 2025" in page.locator("aside.past-state").inner_text()
    # The banner's link leads to today's matrix, under today's title.
    assert page.goto("/?as_of=2025-03-03").status == 200
    page.locator("aside.past-state").get_by_role("link", name="Today's page").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(browser_session.host))
    assert page.locator('tr[data-pledge="cited-pledge"] th a').inner_text() == "The pledge as renamed since"
    assert page.locator("aside.past-state").count() == 0
    browser_session.assert_clean()
