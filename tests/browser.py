"""What every browser test needs: the system Chromium, pages confined to the live server, console errors
collected, axe-core injected, screenshots saved.

Playwright's sync API runs an event loop in the test's thread, and Django refuses database work while
one runs: do database work first, then open pages. A `BrowserSession` starts Chromium only at its
first `new_page()` for that reason, and the `browser_session` fixture closes it before the database
fixtures are torn down.
"""

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
# No downloads, no background traffic: the machine has no network beyond loopback.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Installed from the npm registry by `make test` (npm ci, pinned by package-lock.json).
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
BLOCKING_IMPACTS = ("serious", "critical")

# Every screenshot and axe result this run saved, for the summary at the end of the test output.
saved_screenshots = []
axe_results = []


@pytest.fixture
def chromium():
    """The system Chromium's path; skips without it, unless REQUIRE_BROWSER is set (as in CI)."""
    if CHROMIUM.exists():
        return str(CHROMIUM)
    message = "Chromium is not installed (apt-get install chromium)."
    if os.environ.get("REQUIRE_BROWSER"):
        pytest.fail(message + " REQUIRE_BROWSER is set, as in CI.")
    pytest.skip(message)


class BrowserSession:
    """Chromium whose pages may reach the live server and nothing else.

    Every request to another host is refused and recorded, as is every console error and
    uncaught page error; `assert_clean()` fails the test on any of them.
    """

    def __init__(self, executable, base_url):
        self.executable = executable
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc
        self.foreign_requests = []
        self.console_errors = []
        self._playwright = self._browser = None

    def new_page(self, color_scheme="light", viewport=None, javascript=True):
        """A page in a fresh context with the given colour scheme, guarded and listened to (its own scripts
        turned off with `javascript=False`, as a reader or a link-preview crawler may have them)."""
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(executable_path=self.executable, args=CHROMIUM_ARGS)
        context = self._browser.new_context(
            color_scheme=color_scheme,
            viewport=viewport or {"width": 1280, "height": 900},
            base_url=self.base_url,
            java_script_enabled=javascript,
        )
        context.route("**/*", self._only_the_live_server)
        page = context.new_page()
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: uncaught {error}"))
        return page

    def _only_the_live_server(self, route):
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.netloc == self.host:
            route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            route.abort("blockedbyclient")

    def _console(self, page, message):
        if message.type == "error":
            self.console_errors.append(f"{page.url}: {message.text}")

    def assert_clean(self):
        assert self.foreign_requests == [], f"requests to other hosts: {self.foreign_requests}"
        assert self.console_errors == [], f"console errors: {self.console_errors}"

    def close(self):
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
            self._browser = self._playwright = None


@pytest.fixture
def browser_session(chromium, live_server):
    """A `BrowserSession` against the live server; Chromium starts at the first page and closes after the test."""
    session = BrowserSession(chromium, live_server.url)
    yield session
    session.close()


def axe_violations(page, label):
    """Run axe-core on the page; return its violations (id, impact, help, targets) and keep them for the summary."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run `npm ci` (make test does).")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" "))
        }))"""
    )
    axe_results.append({"page": label, "violations": violations})
    return violations


def blocking(violations):
    """The violations that fail a test: serious and critical ones."""
    return [v for v in violations if v["impact"] in BLOCKING_IMPACTS]


def save_screenshot(page, folder, name):
    """A full-page screenshot at var/screenshots/<folder>/<name>.png; returns its path."""
    path = SCREENSHOTS / folder / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    saved_screenshots.append(path)
    return path


def matrix_headers_in_view(page):
    """The meetings whose column headers are whole in view in the matrix's box, right of the stuck pledge names."""
    return page.evaluate(
        """() => {
            const box = document.querySelector(".matrix-scroll"), corner = box.querySelector("thead th:first-child");
            const right = box.getBoundingClientRect().left + box.clientLeft + box.clientWidth;
            return [...box.querySelectorAll("thead th:not(:first-child)")].filter(th => {
                const r = th.getBoundingClientRect();
                return r.left >= corner.getBoundingClientRect().right - 1 && r.right <= right + 1;
            }).map(th => th.querySelector("a").textContent);
        }"""
    )


def report(terminalreporter):
    """The end of the test output: where the screenshots are, and axe's findings by impact."""
    if not saved_screenshots and not axe_results:
        return
    terminalreporter.section("browser artefacts")
    folders = sorted({path.parent for path in saved_screenshots})
    for folder in folders:
        count = sum(1 for path in saved_screenshots if path.parent == folder)
        terminalreporter.write_line(f"{count} screenshots saved under {folder}")
    if axe_results:
        impacts = {}
        for result in axe_results:
            for violation in result["violations"]:
                impacts[violation["impact"]] = impacts.get(violation["impact"], 0) + 1
        found = ", ".join(f"{impact}: {count}" for impact, count in sorted(impacts.items())) or "none"
        path = SCREENSHOTS / "axe-results.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(axe_results, indent=2) + "\n")
        terminalreporter.write_line(f"axe-core on {len(axe_results)} page views; violations by impact: {found}")
        terminalreporter.write_line(f"axe-core's findings, page by page: {path}")
