"""Residents on phones: in Chromium at 375 px and at 1280 px, no page of any list or detail type scrolls
sideways and no table is wider than its box (the pilots table at 1280 px shows "Announced" in full);
the borough finder takes a resident to their borough in one step, without JavaScript too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from tests.browser.conftest import DESKTOP, new_context
from tests.browser.pages import PUBLIC_PAGES, page_path
from tests.browser.reporting import report

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
WIDTHS = (("375 px", PHONE), ("1280 px", DESKTOP))

OVERFLOW = """() => {
    const page = document.documentElement.scrollWidth - window.innerWidth;
    const tables = [...document.querySelectorAll("main table")]
        .map((table) => ({id: table.id, over: table.scrollWidth - table.parentElement.clientWidth}))
        .filter((table) => table.over > 0);
    // A visually hidden header row (the cards below tablet) is not cut text.
    const shown = (cell) => cell.clientWidth > 1
        && getComputedStyle(cell.closest("thead") || cell).position !== "absolute";
    const cut = [...document.querySelectorAll("main th, main td")]
        .filter((cell) => shown(cell) && cell.scrollWidth > cell.clientWidth + 1)
        .map((cell) => cell.textContent.trim().slice(0, 40));
    return {page, tables, cut};
}"""


@pytest.mark.parametrize(("label", "viewport"), WIDTHS, ids=["375px", "1280px"])
def test_no_page_scrolls_sideways_and_no_table_is_wider_than_its_box(
    browser: Browser, portal_url, request, label, viewport
):
    context = new_context(browser, viewport)
    problems = []
    try:
        page = context.new_page()
        for name in PUBLIC_PAGES:
            page.goto(portal_url + page_path(name), wait_until="load")
            found = page.evaluate(OVERFLOW)
            if found["page"] > 0:
                problems.append(f"{name}: the page scrolls sideways by {found['page']} px")
            for table in found["tables"]:
                problems.append(f"{name}: table #{table['id']} is {table['over']} px wider than its box")
            for text in found["cut"]:
                problems.append(f"{name}: a cell's text is cut: {text!r}")
    finally:
        context.close()
    report(
        request.config,
        f"layout at {label}: {len(problems)} problems on {len(PUBLIC_PAGES)} page types (sideways scroll, wide tables)",
    )
    assert not problems, "\n".join(problems)


def test_the_pilots_table_shows_announced_in_full_at_1280px(browser: Browser, portal_url):
    context = new_context(browser, DESKTOP)
    try:
        page = context.new_page()
        page.goto(portal_url + "/pilots/", wait_until="load")
        header = page.locator("#pilot-table thead th", has_text="Announced")
        box = header.bounding_box()
        wrapper = page.locator("#pilot-table").locator("xpath=..").bounding_box()
        assert box["x"] + box["width"] <= wrapper["x"] + wrapper["width"] + 1
        assert header.evaluate("el => el.scrollWidth <= el.clientWidth")
    finally:
        context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_from_the_home_page_a_resident_finds_their_borough_in_one_step_on_a_phone(
    browser: Browser, portal_url, javascript
):
    context = new_context(browser, PHONE, java_script_enabled=javascript)
    try:
        page = context.new_page()
        page.goto(portal_url + "/", wait_until="load")
        page.get_by_label("Find your borough").fill("lewisam")
        page.get_by_role("button", name="Find").click()
        page.wait_for_url("**/boroughs/lewisham/")
        assert page.locator("h1").inner_text() == "Lewisham"
        assert page.get_by_role("heading", name="What this means for Lewisham").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    finally:
        context.close()


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ("Hackney", "/boroughs/hackney/"),
        ("City of London", "/boroughs/city-of-london/"),
        ("E09000003", "/boroughs/barnet/"),
    ],
)
def test_the_finder_redirects_in_the_browser(browser: Browser, portal_url, query, path):
    context = new_context(browser, PHONE)
    try:
        page = context.new_page()
        response = page.goto(f"{portal_url}/boroughs/find/?q={query}", wait_until="load")
        assert response.url == portal_url + path
        nonsense = page.goto(f"{portal_url}/boroughs/find/?q=zzqqxx", wait_until="load")
        assert nonsense.status == 200
        assert "No London borough matches" in page.locator("main").inner_text()
    finally:
        context.close()
