"""The admin in a real browser: what a test client cannot show (a textarea's CRLF line breaks)."""

import pytest
from django.urls import reverse

from commitments.models import Commitment, Thread
from tests.browser import CHROMIUM_ARGS
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_curator_edits_a_commitment_whose_quote_spans_a_line_break(chromium, live_server, seeded):
    from playwright.sync_api import sync_playwright

    UserFactory(username="browser-curator", is_staff=True, is_superuser=True)
    commitment = Commitment.objects.get(slug="rome-2021-pledge-drive")
    assert "\n" in commitment.quote
    quote_before = commitment.quote
    change_url = live_server.url + reverse("admin:commitments_commitment_change", args=[commitment.pk])
    thread = Thread.objects.get(slug="stabilization-funding")
    thread_url = live_server.url + reverse("admin:commitments_thread_change", args=[thread.pk])

    # Database work stays outside the Playwright block: its event loop would make Django refuse it.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(live_server.url + reverse("admin:login"))
        page.fill("#id_username", "browser-curator")
        page.fill("#id_password", "a-long-test-password")
        with page.expect_navigation():
            page.click("input[type=submit]")
        page.goto(change_url)
        page.fill("#id_summary", "Noted the 2021 Pledge Drive for Stabilization.")
        # Saved or refused, the form's POST answers with a new page: wait for it.
        with page.expect_navigation():
            page.click("input[name=_save]")
        saved = page.locator(".messagelist .success").all_inner_texts()
        errors = page.locator(".errorlist").all_inner_texts()
        page.goto(thread_url)
        page.wait_for_selector(".thread-timeline")
        # Stabilization funding was rewritten from meeting to meeting: each quote beside the one before.
        side_by_side = page.locator(".thread-timeline .side-by-side").count()
        browser.close()

    assert errors == []
    assert len(saved) == 1 and "was changed successfully" in saved[0]
    commitment.refresh_from_db()
    assert commitment.summary == "Noted the 2021 Pledge Drive for Stabilization."
    assert commitment.quote == quote_before
    assert commitment.quote_matches()
    assert side_by_side == 5
