"""The API's documentation pages (Redoc, Swagger UI, the schema, the browsable API) load nothing from another host.

In Chromium, with tests/browser.py's guard refusing and recording every request that leaves the
live server; and as plain HTML, which must name no other host to load anything from.
"""

import gzip
import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client

pytestmark = pytest.mark.django_db

# Every documentation page, and what shows it has finished drawing.
PAGES = {
    "redoc": ("/api/v1/redoc/", "text=API docs by Redocly"),
    "swagger": ("/api/v1/docs/", ".swagger-ui .info .title"),
    "schema": ("/api/v1/schema/?format=json", "text=openapi"),
    "browsable root": ("/api/v1/", "text=Api Root"),
    "browsable list": ("/api/v1/meetings/", "text=Meeting List"),
}
URL = re.compile(r"""(?:https?:)?//[^\s"'<>()\\]+""")


@pytest.fixture(autouse=True)
def fresh_throttle():
    # The pages are read as an anonymous client: the API's throttle counts in the cache.
    cache.clear()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_every_documentation_page_draws_without_a_request_to_another_host(seeded, browser_session):
    page = browser_session.new_page()
    drawn = {}
    for name, (url, drawn_when) in PAGES.items():
        response = page.goto(url)
        assert response.status == 200, name
        page.wait_for_selector(drawn_when, timeout=20_000)
        page.wait_for_load_state("networkidle")
        drawn[name] = page.locator(drawn_when).count() > 0
    assert drawn == dict.fromkeys(PAGES, True)
    # Redoc drew its sidebar without the remote logo; the text link to redocly.com is a link, not a request.
    page.goto(PAGES["redoc"][0])
    page.wait_for_selector(PAGES["redoc"][1])
    page.wait_for_load_state("networkidle")
    assert page.locator("img[alt='redocly logo']").count() == 0
    assert page.evaluate("getComputedStyle(document.querySelector('h1')).fontFamily").startswith("system-ui")
    browser_session.assert_clean()


def other_hosts(text):
    """Every http(s) or protocol-relative address in `text` whose host is not the test server's."""
    return sorted({match for match in URL.findall(text) if urlsplit(match).hostname not in (None, "testserver")})


@pytest.mark.parametrize("name", [name for name in PAGES if name != "schema"])
def test_the_served_html_names_no_other_host(seeded, name):
    # (The schema is JSON, not a page: its examples name example.org, which nothing loads.)
    response = Client().get(PAGES[name][0], headers={"Accept": "text/html"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert other_hosts(response.content.decode()) == []


def test_the_redoc_bundle_is_served_without_its_remote_logo_and_swagger_without_the_validator():
    client = Client()
    page = client.get("/api/v1/redoc/").content.decode()
    bundle_url = re.search(r'<script src="([^"]+)"', page).group(1)
    assert bundle_url == "/api/v1/redoc/redoc.standalone.js"
    bundle = client.get(bundle_url)
    assert bundle.status_code == 200 and bundle["Content-Type"].startswith("text/javascript")
    body = b"".join(bundle.streaming_content) if bundle.streaming else bundle.content
    assert b"Redoc" in body and len(body) > 500_000
    assert b"cdn.redoc.ly" not in body and b"fonts.googleapis" not in body
    assert b"sourceMappingURL=redoc.standalone.js.map" not in body  # a map this address does not serve
    assert client.get(bundle_url, headers={"If-None-Match": bundle["ETag"]}).status_code == 304
    compressed = client.get(bundle_url, headers={"Accept-Encoding": "gzip, br"})
    assert compressed["Content-Encoding"] == "gzip" and gzip.decompress(compressed.content) == body
    # Swagger UI shows a badge from swagger.io's online validator unless validatorUrl is null.
    assert '"validatorUrl": null' in client.get("/api/v1/docs/").content.decode()


def test_the_check_finds_another_host():
    page = '<link href="https://fonts.googleapis.com/css2?family=Roboto"><img src="//cdn.redoc.ly/logo.svg">'
    page += '<a href="http://testserver/api/v1/">root</a>'
    assert other_hosts(page) == ["//cdn.redoc.ly/logo.svg", "https://fonts.googleapis.com/css2?family=Roboto"]
