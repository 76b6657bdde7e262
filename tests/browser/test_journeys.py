"""The portal's main journeys, in Debian's Chromium against the live server.

1. A resident, keyboard only: home, the map square for Hackney, the borough page, its pilot, a source.
2. A resident filters the pilots by ICS, downloads the CSV and the file holds exactly the listed pilots.
3. A borough officer signs in, edits an update of their own borough's pilot, publishes it and sees it on the
   public page; another borough's record is refused.
4. Two officers in two browser contexts save the same record: the second is told of the conflict and
   nothing is overwritten.
5. An officer imports updates from a spreadsheet: downloads the template from the start page's way in,
   uploads a file with one bad row and is told which, uploads the fixed file, confirms and sees the drafts.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from core.models import PublicationStatus
from pilots.models import Pilot, PilotParticipant, PilotUpdate
from sources.models import Source
from tests.browser.conftest import (
    HACKNEY_PILOT,
    change_url,
    draft_update,
    hackney_officer,
    new_context,
    record_csp_violations,
    sign_in,
)
from tests.browser.reporting import report

pytestmark = pytest.mark.browser

MAX_TABS = 250

_journeys: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def journeys_summary(request):
    yield
    if _journeys:
        report(request.config, f"browser journeys passed: {len(_journeys)} ({'; '.join(_journeys)})")


# --- helpers ---------------------------------------------------------------------------------------


def tab_to(page: Page, selector: str, what: str) -> int:
    """Press Tab until the focused element matches ``selector``; it must show a visible focus state."""
    for presses in range(1, MAX_TABS + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => !!document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate("() => document.activeElement.matches(':focus-visible')"), f"{what}: focus not visible"
            return presses
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 200)")
    pytest.fail(f"{MAX_TABS} presses of Tab never reached {what} ({selector}); focus ended on {focused}")


# --- 1. keyboard only ------------------------------------------------------------------------------


def test_a_resident_goes_from_the_map_to_a_source_with_the_keyboard_only(page: Page, portal_url: str):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    csp = record_csp_violations(page)
    page.goto(portal_url + reverse("portal:home"))

    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Skip to main content"
    presses = 1 + tab_to(page, 'a.app-london-map__link[href$="/boroughs/hackney/"]', "the map square for Hackney")
    assert "Hackney" in page.evaluate("() => document.activeElement.getAttribute('aria-label')")
    page.keyboard.press("Enter")
    page.wait_for_url("**/boroughs/hackney/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hackney")

    presses += tab_to(page, f'main a[href="{pilot.get_absolute_url()}"]', "Hackney's pilot")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{pilot.get_absolute_url()}")
    expect(page.get_by_role("heading", level=1)).to_have_text(pilot.title)

    presses += tab_to(page, '#sources a[href^="/sources/"]', "a source of the pilot")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    source = Source.objects.get(slug=href.strip("/").split("/")[-1])
    expect(page.get_by_role("heading", level=1)).to_have_text(source.title)
    assert not csp, csp
    _journeys.append(f"keyboard: home to a source in {presses} Tab presses")


# --- 2. filter and download ------------------------------------------------------------------------


def test_a_resident_filters_the_pilots_by_ics_and_downloads_what_they_see(page: Page, portal_url: str):
    expected = set(
        PilotParticipant.objects.filter(authority__ics__code="NEL", pilot__publication_status="published")
        .values_list("pilot__slug", flat=True)
        .distinct()
    )
    assert expected and len(expected) < Pilot.objects.public().count(), "the filter must leave some pilots out"
    csp = record_csp_violations(page)
    page.goto(portal_url + reverse("pilots:list"))

    # The filters sit behind the "Filter" control, then the chosen one shows as a tag that removes it.
    page.get_by_text("Filter", exact=True).click()
    select = page.get_by_label("Integrated care system")
    value = select.locator("option", has_text="North East London").first.get_attribute("value")
    select.select_option(value)
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_url(re.compile(r"[?&]ics="))

    shown = {
        href.strip("/").split("/")[-1]
        for href in page.locator("table.app-pilot-table tbody th a").evaluate_all("links => links.map(a => a.pathname)")
    }
    assert shown == expected
    tag = page.get_by_role("link", name="Remove filter Integrated care system: North East London")
    assert tag.get_attribute("href") == reverse("pilots:list")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this list (CSV)").click()
    download = download_info.value
    assert "ics=" in download.url, f"the download link lost the filter: {download.url}"
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    assert {row["slug"] for row in rows} == expected
    assert not csp, csp
    _journeys.append(f"filter by ICS and download: {len(rows)} CSV rows match the {len(shown)} pilots listed")


# --- 3. an officer edits, publishes and is refused elsewhere --------------------------------------


def test_an_officer_publishes_an_update_of_their_borough_and_is_refused_another_boroughs(page: Page, portal_url: str):
    hackney_officer("hackney-officer")
    update = draft_update("Draft written before the journey")
    other = PilotUpdate.objects.filter(pilot__slug="haringey-prevention").first()
    assert other is not None
    public_page = portal_url + reverse("pilots:detail", kwargs={"slug": HACKNEY_PILOT})
    new_title = "Hackney's integrated commissioning board met (journey test)"

    csp = record_csp_violations(page)
    sign_in(page, portal_url, "hackney-officer")
    page.goto(change_url(portal_url, update))
    page.locator("#id_title").fill(new_title)
    page.locator("#id_body").fill("The board met and agreed its first joint budget. Written in the browser.")
    page.locator("#id_publication_status").select_option("published")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".messagelist .success")).to_be_visible()
    errors = page.locator(".errornote, .errorlist").all_inner_texts()
    assert not errors, errors

    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.PUBLISHED
    assert update.published_by.username == "hackney-officer"

    visitor = new_context(page.context.browser)
    try:
        public = visitor.new_page()
        public.goto(public_page)
        expect(public.get_by_text(new_title)).to_be_visible()
    finally:
        visitor.close()

    before = (other.title, other.body, other.version)
    response = page.goto(change_url(portal_url, other))
    assert response is not None and response.status in {403, 404}, f"another borough's record: HTTP {response.status}"
    expect(page.get_by_text(other.title, exact=True)).to_have_count(0)
    page.goto(portal_url + reverse("admin:pilots_pilotupdate_changelist"))
    expect(page.get_by_role("link", name=new_title)).to_be_visible()
    expect(page.get_by_role("link", name=other.title, exact=True)).to_have_count(0)
    other.refresh_from_db()
    assert (other.title, other.body, other.version) == before
    assert not csp, f"the admin broke its Content-Security-Policy: {csp}"
    _journeys.append(f"officer: published an update, refused another borough's (HTTP {response.status})")


# --- 4. two officers, one record -------------------------------------------------------------------


def test_the_second_of_two_officers_saving_the_same_record_is_told_of_the_conflict(browser: Browser, portal_url: str):
    hackney_officer("officer-one")
    hackney_officer("officer-two")
    update = draft_update("An update two officers open at once")
    first_context, second_context = new_context(browser), new_context(browser)
    try:
        first, second = first_context.new_page(), second_context.new_page()
        csp = [record_csp_violations(first), record_csp_violations(second)]
        sign_in(first, portal_url, "officer-one")
        sign_in(second, portal_url, "officer-two")
        first.goto(change_url(portal_url, update))
        second.goto(change_url(portal_url, update))

        first.locator("#id_body").fill("Officer one's wording.")
        first.get_by_role("button", name="Save", exact=True).click()
        first.wait_for_load_state()
        expect(first.locator(".messagelist .success")).to_be_visible()

        second.locator("#id_body").fill("Officer two's wording.")
        second.get_by_role("button", name="Save", exact=True).click()
        second.wait_for_load_state()
        expect(second.get_by_text("Someone else saved this record after you opened it").first).to_be_visible()
        expect(second.locator("#id_body")).to_have_value("Officer two's wording.")
        assert csp == [[], []], f"the admin broke its Content-Security-Policy: {csp}"
    finally:
        first_context.close()
        second_context.close()

    update.refresh_from_db()
    assert update.body == "Officer one's wording."
    _journeys.append("conflict: the second save was refused with the conflict message, nothing overwritten")


# --- 5. an officer imports a spreadsheet of updates ---------------------------------------------------


def test_an_officer_imports_a_spreadsheet_fixing_its_bad_row_first(page: Page, portal_url: str, tmp_path):
    officer = hackney_officer("import-officer")
    source = Source.objects.public().order_by("slug").first()
    lewisham_pilot = "lewisham-physical-and-mental-health-integration"
    titles = ["Budget agreed (import journey)", "Board met (import journey)"]
    before = PilotUpdate.objects.count()
    csp = record_csp_violations(page)

    sign_in(page, portal_url, "import-officer")
    page.get_by_role("link", name="Pilot updates", exact=True).first.click()
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import updates from a spreadsheet")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="download it as CSV").click()
    with open(download_info.value.path(), encoding="utf-8-sig", newline="") as file:
        header = next(csv.reader(file))

    def spreadsheet(name: str, second_pilot: str) -> str:
        rows = [
            {"pilot": HACKNEY_PILOT, "title": titles[0], "happened_on": "2025-03-01", "happened_on_precision": "month"},
            {"pilot": second_pilot, "title": titles[1]},
        ]
        path = tmp_path / name
        with open(path, "w", encoding="utf-8", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=header)
            writer.writeheader()
            for row in rows:
                writer.writerow({"body": "Written in a spreadsheet.", "sources": source.slug, **row})
        return str(path)

    page.get_by_label("Upload a spreadsheet of updates").set_input_files(spreadsheet("bad.csv", lewisham_pilot))
    page.get_by_role("button", name="Check the file").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Row 3: pilot:")
    expect(summary).to_contain_text("another borough's pilot")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    assert PilotUpdate.objects.count() == before

    page.get_by_label("Upload a spreadsheet of updates").set_input_files(spreadsheet("fixed.csv", HACKNEY_PILOT))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Every row can be imported")).to_be_visible()
    page.get_by_role("button", name="Import 2 updates as drafts").click()
    page.wait_for_url(re.compile(r"publication_status__exact=draft"))
    expect(page.locator(".messagelist .success")).to_contain_text("Imported 2 updates as drafts")
    for title in titles:
        expect(page.get_by_role("link", name=title)).to_be_visible()

    imported = PilotUpdate.objects.filter(title__in=titles)
    assert PilotUpdate.objects.count() == before + 2
    assert {update.publication_status for update in imported} == {PublicationStatus.DRAFT}
    assert {update.history.earliest().history_user_id for update in imported} == {officer.pk}
    assert not csp, f"the import broke its Content-Security-Policy: {csp}"
    _journeys.append("import: a bad row was named and nothing imported; the fixed file came in as 2 drafts")
