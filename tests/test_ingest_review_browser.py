"""The review of a statement's suggestions in headless Chromium: readable and axe-core clean in light and dark
(the system's scheme and the admin's theme toggle), usable at phone width, a bulk reject that asks first,
a rejection reopened, the intake and decision forms as the admin draws its own (issue 19).

Database work happens before the browser starts (see tests/browser.py). Screenshots go to
var/screenshots/ingest-review/.
"""

import pytest
from django.urls import reverse

from ingest.models import SuggestionKind
from ingest.services import ingest_statement, reject_suggestion
from meetings.models import Meeting
from tests.browser import axe_violations, blocking, save_screenshot
from tests.factories import UserFactory
from tests.test_admin_browser import CONTRAST, logged_in
from tests.test_ingest_review import STATEMENT, TEXT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOLDER = "ingest-review"
THEMES = ["light system", "dark system", "dark toggle"]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def login(seeded):
    """A curator's username and password (UserFactory's)."""
    UserFactory(username="review-curator", is_staff=True, is_superuser=True)
    return "review-curator", "a-long-test-password"


@pytest.fixture
def review_url(login):
    """The review of a short statement not in the seed: its suggestions to review, one already rejected."""
    meeting = Meeting.objects.get(slug="rome-2021-ministerial")
    statement = ingest_statement(text=TEXT, meeting=meeting, **STATEMENT).statement
    handbook = statement.suggestions.get(kind=SuggestionKind.COMMITMENT, quote__contains="handbook")
    reject_suggestion(suggestion=handbook, by=None, note="A publication, not a pledge.")
    return reverse("admin:ingest_suggestion_review", args=[statement.pk])


def themed_page(browser_session, login, theme, **options):
    """A signed-in page in the theme: the system's scheme, or the admin's toggle (kept in localStorage)."""
    page = logged_in(browser_session, login, color_scheme="dark" if theme == "dark system" else "light", **options)
    if theme == "dark toggle":
        page.evaluate("localStorage.setItem('theme', 'dark')")
    return page


@pytest.mark.parametrize("theme", THEMES)
def test_the_review_reads_at_4_5_to_1_and_is_axe_clean_in_light_and_dark(login, review_url, browser_session, theme):
    page = themed_page(browser_session, login, theme)
    page.goto(review_url)
    if theme == "dark toggle":
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
    assert dark == theme.startswith("dark")
    assert blocking(axe_violations(page, f"ingest review, {theme}")) == []
    for selector in [
        ".statement-text .kind-commitment.status-pending",
        ".statement-text .kind-figure",
        ".statement-text .status-rejected",
        ".review-legend .status-accepted",
        ".suggestion .as-proposed",
        ".suggestion .as-proposed.no-pledge",
        ".suggestion .decided",
        ".review-actions .help",
    ]:
        elements = page.locator(selector).all()
        assert elements, selector
        for element in elements:
            assert element.evaluate(CONTRAST) >= 4.5, (selector, theme)
    save_screenshot(page, FOLDER, f"review-{theme.replace(' ', '-')}")
    browser_session.assert_clean()


@pytest.mark.parametrize("theme", ["light system", "dark system"])
def test_at_phone_width_the_text_and_the_suggestions_stack_and_stay_readable(login, review_url, browser_session, theme):
    page = themed_page(browser_session, login, theme, viewport=PHONE)
    page.goto(review_url)
    text = page.locator(".statement-text").bounding_box()
    suggestions = page.locator(".suggestions").bounding_box()
    assert text["width"] >= 250 and suggestions["width"] >= 250
    assert suggestions["y"] >= text["y"] + text["height"]  # stacked, the text first
    # Nothing is wider than the phone: the page does not scroll sideways.
    wide = page.evaluate(
        """width => [...document.querySelectorAll("#content *")]
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .map(el => el.tagName + "." + el.className)""",
        PHONE["width"],
    )
    assert wide == []
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert blocking(axe_violations(page, f"ingest review at 375 px, {theme}")) == []
    save_screenshot(page, FOLDER, f"review-phone-{theme.replace(' ', '-')}")
    browser_session.assert_clean()


def test_a_bulk_reject_asks_first_and_a_rejection_is_reopened(login, review_url, browser_session):
    page = logged_in(browser_session, login)
    page.goto(review_url)
    boxes = page.locator("input[name=selected]")
    pending = boxes.count()
    assert page.locator("button[name=_reopen]").count() == 1
    boxes.nth(0).check()
    boxes.nth(1).check()
    with page.expect_navigation():
        page.click("input[name=_reject_selected]")
    assert page.title().startswith("Reject 2 suggestions?")
    assert (
        page.locator("#content-main p")
        .first.inner_text()
        .startswith("Are you sure you want to reject these 2 suggestions?")
    )
    assert page.locator(".reject-list li").count() == 2
    assert blocking(axe_violations(page, "ingest bulk reject confirmation")) == []
    save_screenshot(page, FOLDER, "bulk-reject-confirmation")
    page.fill("#id_decision_note", "Not pledges.")
    with page.expect_navigation():
        page.click("input[name=_reject_confirmed]")
    assert "Rejected 2 suggestions." in page.locator(".messagelist").inner_text()
    assert page.locator("input[name=selected]").count() == pending - 2
    assert page.locator("button[name=_reopen]").count() == 3
    assert page.locator(".suggestion .decided", has_text="Not pledges.").count() == 2

    reopened = page.locator("button[name=_reopen]").first
    target = reopened.get_attribute("value")
    with page.expect_navigation():
        reopened.click()
    assert "Reopened 1 suggestion: it is to review again." in page.locator(".messagelist").inner_text()
    assert page.locator(f"#select-{target}").count() == 1  # to review again: selectable
    assert page.locator("button[name=_reopen]").count() == 2
    save_screenshot(page, FOLDER, "after-reopening")
    browser_session.assert_clean()


@pytest.mark.parametrize("theme", ["light system", "dark system"])
def test_the_intake_and_decision_forms_are_the_admins_and_an_upload_is_kept(login, review_url, browser_session, theme):
    page = themed_page(browser_session, login, theme)
    page.goto(reverse("admin:ingest_suggestion_intake"))
    page.set_input_files(
        "#id_text_file", files=[{"name": "new.txt", "mimeType": "text/plain", "buffer": b"We will.\n"}]
    )
    page.select_option("#id_meeting", label=page.locator("#id_meeting option").nth(1).inner_text())
    page.fill("#id_slug", "a-new-statement")
    with page.expect_navigation():
        page.click("#intake_form input[type=submit]")
    assert page.locator(".errornote").inner_text() == "Please correct the errors below."
    assert "Kept from your upload: “new.txt”" in page.locator(".field-text_file .help").inner_text()
    assert page.locator("fieldset.module.aligned h2").all_inner_texts() == ["Text", "Meeting", "Statement"]
    assert blocking(axe_violations(page, f"ingest intake with errors, {theme}")) == []
    save_screenshot(page, FOLDER, f"intake-errors-{theme.replace(' ', '-')}")

    page.goto(review_url)
    with page.expect_navigation():
        page.locator(".suggestion a", has_text="review and accept with edits").first.click()
    assert "Accept as a commitment" in page.locator("fieldset.module.aligned h2").all_inner_texts()
    assert page.locator(".as-proposed").inner_text().startswith("Creates a commitment")
    assert blocking(axe_violations(page, f"ingest decision form, {theme}")) == []
    save_screenshot(page, FOLDER, f"decision-form-{theme.replace(' ', '-')}")
    browser_session.assert_clean()
