"""The publish action in the admin, in headless Chromium, light and dark: the page listing what is
missing, the confirmation listing what will be published, and the publishing; axe-core on both pages.

Database work happens before the browser starts (see tests/browser.py). Screenshots go to
var/screenshots/admin/.
"""

import datetime

import pytest
from django.urls import reverse

from commitments.models import Commitment, LineOfEffort
from meetings.models import Meeting, Statement
from tests.browser import axe_violations, blocking, save_screenshot
from tests.factories import UserFactory
from tests.test_publish import DRAFT_TEXT, make_draft, span

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def complete(seeded):
    """tests/test_publish.py's draft meeting: complete, ready to publish."""
    return make_draft()


@pytest.fixture
def incomplete(seeded):
    """A second draft meeting whose commitment has no summary, and its quote's offsets those of the first
    text, one character off in this one ("Draftburg" is shorter): saved past the forms' checks."""
    meeting = Meeting.objects.create(
        slug="draftburg-2024", name="Draftburg Ministerial", format="ministerial", city="Draftburg",
        country="Nowhere", start_date=datetime.date(2024, 3, 1), end_date=datetime.date(2024, 3, 1), draft=True,
    )  # fmt: skip
    statement = Statement.objects.create(
        slug="draftburg-2024-statement", meeting=meeting, kind="statement", title="Draftburg statement",
        issuer="Ministers", text=DRAFT_TEXT.replace("Draftville", "Draftburg"), draft=True,
    )  # fmt: skip
    Commitment.objects.create(
        slug="draftburg-pledge", statement=statement, line_of_effort=LineOfEffort.objects.first(), actor="Ministers",
        strength="binding", summary="", **span(DRAFT_TEXT.splitlines()[1]),
    )  # fmt: skip
    return meeting


def choose_publish(page, meeting):
    page.goto(reverse("admin:meetings_meeting_changelist"))
    page.check(f"input[name=_selected_action][value='{meeting.pk}']")
    page.select_option("select[name=action]", "publish_selected")
    with page.expect_navigation():
        page.click("button[name=index]")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_publish_action_names_what_is_missing_then_confirms_what_it_publishes(
    browser_session, complete, incomplete, scheme
):
    UserFactory(username="browser-curator", is_staff=True, is_superuser=True)
    page = browser_session.new_page(color_scheme=scheme)
    page.goto(reverse("admin:login"))
    page.fill("#id_username", "browser-curator")
    page.fill("#id_password", "a-long-test-password")
    with page.expect_navigation():
        page.click("input[type=submit]")

    choose_publish(page, incomplete)
    assert page.locator("h1").inner_text() == "Cannot publish yet"
    problems = page.locator(".publish-confirmation .errorlist li").all_inner_texts()
    assert problems == [
        "Commitment “draftburg-pledge” (summary): This field cannot be blank.",
        "Commitment “draftburg-pledge” (quote): The quote is not the text at offsets 38-108 of “Draftburg statement”.",
    ]
    assert page.locator("input[value='Yes, publish']").count() == 0
    assert blocking(axe_violations(page, f"publish refused ({scheme})")) == []
    save_screenshot(page, "admin", f"publish-refused-{scheme}")

    choose_publish(page, complete)
    assert page.locator("h1").inner_text() == "Publish these drafts?"
    summary = page.locator(".publish-summary li").all_inner_texts()
    assert summary[:3] == ["1 statement", "2 commitments", "2 places in recurring pledges"]
    assert blocking(axe_violations(page, f"publish confirmation ({scheme})")) == []
    save_screenshot(page, "admin", f"publish-confirmation-{scheme}")
    with page.expect_navigation():
        page.click("input[value='Yes, publish']")
    assert "Published “Draftville Ministerial”: 1 statement, 2 commitments" in page.locator(".messagelist").inner_text()
    # Readers see the one published, not the other (read through the pages: the browser holds the thread).
    assert page.goto(reverse("public:meeting", args=[complete.slug])).status == 200
    assert page.goto(reverse("public:meeting", args=[incomplete.slug])).status == 404
