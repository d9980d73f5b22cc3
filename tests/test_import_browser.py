"""The Import page in headless Chromium, on the seed: a file previewed row by row, then imported, in light
and dark. Screenshots go to var/screenshots/admin/ (import-preview-light.png, import-preview-dark.png)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.browser import axe_violations, blocking, save_screenshot
from tests.test_admin_browser import CONTRAST, FOLDER, curator_login, logged_in  # noqa: F401 - a fixture
from tests.test_import import EXPORTS, edit, exported

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_import_preview_shows_each_change_then_imports(curator_login, browser_session, tmp_path, scheme):  # noqa: F811
    reader = Client()
    reader.force_login(User.objects.get(username=curator_login[0]))
    data = exported(reader, EXPORTS["commitments"])
    path = tmp_path / "commitments.csv"
    path.write_bytes(edit(data, 0, actor="The Coalition", summary="Destroy Da'esh, together."))

    page = logged_in(browser_session, curator_login, color_scheme=scheme)
    page.click("text=Import a file (CSV or XLSX)")
    page.set_input_files("#id_file", str(path))
    with page.expect_navigation():
        page.click("input[value=Preview]")
    # One line per changed column, old beside new.
    changed = page.locator(".import-preview tbody tr.change")
    assert [changed.nth(i).locator("td.column").inner_text() for i in range(changed.count())] == ["actor", "summary"]
    assert changed.nth(0).locator("td.action").inner_text() == "change"
    assert changed.nth(0).locator("td.cell").nth(1).inner_text() == "The Coalition"
    assert "0 to create, 1 to change, 153 unchanged" in page.locator(".import-counts").inner_text()
    for cell in page.locator(".import-preview td").all():
        assert cell.evaluate(CONTRAST) >= 4.5, (cell.inner_text(), scheme)
    assert blocking(axe_violations(page, f"admin import preview ({scheme})")) == []
    save_screenshot(page, FOLDER, f"import-preview-{scheme}")

    with page.expect_navigation():
        page.click("input[type=submit][value^=Import]")
    assert page.url.endswith(reverse("admin:index"))
    assert "Imported commitments.csv: 0 created, 1 changed, 153 unchanged." in page.locator(".messagelist").inner_text()
