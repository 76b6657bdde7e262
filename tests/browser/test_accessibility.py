"""axe-core (npm ``axe-core``) in Debian's Chromium on every public page type, the admin sign-in page and the
admin pages that use GOV.UK Frontend (an officer's start page, the spreadsheet import, with and without errors),
at desktop width and at 320 CSS pixels: zero violations of the WCAG 2.0, 2.1 and 2.2 A and AA rules.

Each page is also checked for what axe cannot see but its results depend on: the stylesheet loaded (colour
contrast is computed from it), no Content-Security-Policy violation in the console (the page works under the
policy it is sent with: axe is injected through the DevTools protocol, not as a page script), no failed
sub-resource, and at 320 px no horizontal scrolling of the page (WCAG 1.4.10 Reflow).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page

from officers.models import EDITORS_GROUP
from officers.review import propose
from tests.browser.conftest import DESKTOP, NARROW, PASSWORD, draft_update, hackney_officer, new_context, sign_in
from tests.browser.pages import EXPECTED_STATUS, PUBLIC_PAGES, page_path
from tests.browser.reporting import report

AXE_JS = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (("desktop", DESKTOP), ("320 px", NARROW))

pytestmark = pytest.mark.browser

_totals = {"pages": 0, "admin pages": 0, "scans": 0, "violations": 0, "nodes": 0}
_widths: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def axe_summary(request):
    yield
    if _totals["scans"]:
        report(
            request.config,
            f"axe-core {_axe_version()}: {_totals['pages']} pages and {_totals['admin pages']} signed-in admin pages x "
            f"{len(set(_widths))} widths ({' and '.join(sorted(set(_widths)))}), "
            f"{_totals['scans']} scans, tags {', '.join(WCAG_TAGS)}: "
            f"{_totals['violations']} violations (rule x page x width), {_totals['nodes']} elements",
        )


def _axe_version() -> str:
    package = AXE_JS.parent / "package.json"
    return json.loads(package.read_text())["version"] if package.exists() else "?"


def _axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency in package.json).")
    return AXE_JS.read_text(encoding="utf-8")


def run_axe(page: Page) -> list[dict]:
    page.evaluate(_axe_source())
    return page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run(document, options);
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html})),
            }));
        }""",
        WCAG_TAGS,
    )


def scan(
    browser: Browser,
    viewport: dict[str, int],
    label: str,
    pages: list[tuple[str, str, int]],
    prepare: Callable[[BrowserContext], None] | None = None,
) -> list[str]:
    """Load each (name, url, expected status) at one width; a line per problem found (empty: all good).
    ``prepare`` readies the browser first (signs someone in); a page's url may be a callable that takes
    the page and brings it to the state to scan (e.g. a form submitted), returning its response."""
    problems: list[str] = []
    context = new_context(browser, viewport)
    try:
        if prepare is not None:
            prepare(context)
        for name, url, expected_status in pages:
            page = context.new_page()
            console: list[str] = []
            failed: list[str] = []
            page.on("console", lambda message, sink=console: sink.append(message.text))
            page.on("requestfailed", lambda request, sink=failed: sink.append(f"{request.url} ({request.failure})"))
            page.on(
                "response",
                lambda response, sink=failed, url=url: (
                    sink.append(f"{response.url} ({response.status})")
                    if response.status >= 400 and response.url != url
                    else None
                ),
            )
            response = url(page) if callable(url) else page.goto(url, wait_until="load")
            where = f"{name} at {label}"
            if response is None or response.status != expected_status:
                problems.append(f"{where}: HTTP {response.status if response else '-'}, expected {expected_status}")
                page.close()
                continue
            styled = page.evaluate(
                """() => [...document.styleSheets].some(
                    s => s.href && new URL(s.href).pathname.startsWith("/static/") && s.cssRules.length > 0)"""
            )
            if not styled:
                problems.append(f"{where}: no stylesheet from /static/ loaded")
            for violation in run_axe(page):
                _totals["violations"] += 1
                _totals["nodes"] += len(violation["nodes"])
                for node in violation["nodes"]:
                    problems.append(
                        f"{where}: axe {violation['id']} ({violation['impact']}): {violation['help']} — "
                        f"{node['target']}: {node['html'][:160]}"
                    )
            csp = [text for text in console if "Content Security Policy" in text or "Content-Security-Policy" in text]
            problems += [f"{where}: CSP violation: {text}" for text in csp]
            problems += [f"{where}: sub-resource failed: {entry}" for entry in failed]
            _totals["scans"] += 1
            page.close()
    finally:
        context.close()
    return problems


def pages_to_scan(portal_url: str) -> list[tuple[str, str, int]]:
    pages = [(name, portal_url + page_path(name), EXPECTED_STATUS.get(name, 200)) for name in PUBLIC_PAGES]
    pages.append(("admin sign-in", portal_url + reverse("admin:login"), 200))
    return pages


@pytest.mark.parametrize(("label", "viewport"), WIDTHS, ids=["desktop", "320px"])
def test_every_public_page_type_and_the_admin_sign_in_pass_axe(label, viewport, browser, portal_url):
    pages = pages_to_scan(portal_url)
    _totals["pages"] = len(pages)
    _widths.append(label)
    problems = scan(browser, viewport, label, pages)
    failing = sorted({line.split(" at ")[0] for line in problems})
    heading = f"{len(problems)} problems on {len(failing)} of {len(pages)} pages ({', '.join(failing)}):"
    assert not problems, "\n".join([heading, *problems])


def test_no_public_page_scrolls_sideways_at_320px(browser, portal_url, request):
    """WCAG 1.4.10 Reflow, which axe does not test: at 320 CSS pixels the page itself never scrolls sideways
    (a wide table may scroll inside its own container)."""
    context = new_context(browser, NARROW)
    problems = []
    try:
        page = context.new_page()
        pages = pages_to_scan(portal_url)
        checked = len(pages)
        for name, url, _ in pages:
            page.goto(url, wait_until="load")
            overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:
                culprits = page.evaluate(
                    """() => {
                        const out = (el) => el.getBoundingClientRect().right > window.innerWidth + 1;
                        const name = (el) => el.tagName.toLowerCase() + (el.classList[0] ? "." + el.classList[0] : "");
                        return [...document.querySelectorAll("body *")]
                            .filter((el) => out(el) && el.parentElement && !out(el.parentElement))
                            .slice(0, 3).map(name).join(", ");
                    }"""
                )
                problems.append(f"{name}: the page scrolls sideways by {overflow} px (too wide: {culprits})")
    finally:
        context.close()
    report(request.config, f"reflow at 320 px: {len(problems)} of {checked} pages scroll the page sideways")
    assert not problems, "WCAG 1.4.10 Reflow at 320 px:\n" + "\n".join(problems)


def _upload_a_bad_file(portal_url: str, tmp_path: Path) -> Callable[[Page], object]:
    def go(page: Page):
        page.goto(portal_url + reverse("admin:pilots_pilotupdate_import"))
        bad = tmp_path / "bad.csv"
        bad.write_text("pilot,title,body,sources\nno-such-pilot,A title,A body,no-such-source\n", encoding="utf-8")
        page.get_by_label("Upload a spreadsheet of updates").set_input_files(str(bad))
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Check the file").click()
        return navigation.value

    return go


def _scan_signed_in(browser, viewport, label: str, portal_url: str, username: str, pages: list) -> None:
    """axe on admin ``pages`` as ``username``, signed in with both factors in each scan's browser context."""

    def signed_in(context: BrowserContext) -> None:
        page = context.new_page()
        sign_in(page, portal_url, username)
        page.close()

    _totals["admin pages"] += len(pages) if label == WIDTHS[0][0] else 0
    _widths.append(label)
    problems = scan(browser, viewport, label, pages, prepare=signed_in)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(("label", "viewport"), WIDTHS, ids=["desktop", "320px"])
def test_an_officers_start_page_and_the_import_pass_axe(label, viewport, browser, portal_url, tmp_path):
    hackney_officer("axe-officer")
    pages = [
        ("admin start page", portal_url + reverse("admin:index"), 200),
        ("admin import", portal_url + reverse("admin:pilots_pilotupdate_import"), 200),
        ("admin import with errors", _upload_a_bad_file(portal_url, tmp_path), 200),
    ]
    _scan_signed_in(browser, viewport, label, portal_url, "axe-officer", pages)


@pytest.mark.parametrize(("label", "viewport"), WIDTHS, ids=["desktop", "320px"])
def test_an_editors_start_page_and_the_review_queue_pass_axe(label, viewport, browser, portal_url):
    editor = get_user_model().objects.create_user("axe-editor", "axe-editor@example.org", PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    proposal = propose(record=draft_update("Sent for the axe scan"), by=hackney_officer("axe-proposer"))
    pages = [
        ("admin start page (editor)", portal_url + reverse("admin:index"), 200),
        ("review queue", portal_url + reverse("admin:officers_proposal_changelist"), 200),
        ("return a proposal", portal_url + reverse("admin:officers_proposal_return", args=[proposal.pk]), 200),
    ]
    _scan_signed_in(browser, viewport, label, portal_url, "axe-editor", pages)
