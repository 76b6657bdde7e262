"""The review queue in Debian's Chromium: a Hackney officer sends a draft to an editor from its page; the
editor returns it from the queue (a reason is required), the officer reads the reason in the banner on the
record's page, edits and sends it again, and the editor publishes it. The queue, the return page (with its
error) and the banner pass axe's WCAG 2.2 A and AA rules, with no Content-Security-Policy violation."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from core.models import PublicationStatus
from officers.models import EDITORS_GROUP, Proposal
from tests.browser.conftest import (
    PASSWORD,
    change_url,
    draft_update,
    hackney_officer,
    new_context,
    record_csp_violations,
    sign_in,
)
from tests.browser.test_accessibility import WCAG_TAGS, _axe_source

pytestmark = pytest.mark.browser

REASON = "Cite the board's minutes for this, not the press release."
# What the review queue adds to the admin's pages; the rest is Django's own admin.
OURS = [".proposal", ".govuk-notification-banner", ".proposal-send", "#content-main > .errornote"]


def axe_problems(page: Page, where: str, csp: list[str]) -> list[str]:
    """axe's findings on what the review queue adds to ``page``. axe's own checks insert styles, which the
    page's policy blocks as it should: those reports (added to ``csp`` while axe runs) are not the page's."""
    reported = len(csp)
    page.evaluate(_axe_source())
    violations = page.evaluate(
        """async ([tags, selectors]) => {
            const include = selectors.filter(s => document.querySelector(s)).map(s => [s]);
            if (!include.length) return [{id: "nothing-to-scan", help: "none of our elements on the page", nodes: []}];
            const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
            const results = await axe.run({include}, options);
            return results.violations.map(v => ({id: v.id, help: v.help, nodes: v.nodes.map(n => n.html)}));
        }""",
        [WCAG_TAGS, OURS],
    )
    page.wait_for_timeout(200)  # the console's reports of axe's styles arrive after it returns
    del csp[reported:]
    return [f"{where}: axe {v['id']}: {v['help']} {v['nodes'][:2]}" for v in violations]


def test_an_officer_sends_a_draft_an_editor_returns_it_and_then_publishes_it(browser: Browser, portal_url: str):
    hackney_officer("hackney-officer")
    editor = get_user_model().objects.create_user("queue-editor", "editor@example.org", PASSWORD, is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    update = draft_update("Joint budget agreed (review journey)")
    queue = portal_url + reverse("admin:officers_proposal_changelist")
    problems: list[str] = []

    officer_context, editor_context = new_context(browser), new_context(browser)
    try:
        officer, editors = officer_context.new_page(), editor_context.new_page()
        officer_csp, editor_csp = record_csp_violations(officer), record_csp_violations(editors)
        sign_in(officer, portal_url, "hackney-officer")
        sign_in(editors, portal_url, "queue-editor")

        officer.goto(change_url(portal_url, update))
        officer.get_by_role("button", name="Send to an editor for publication").click()
        expect(officer.get_by_role("region", name="With an editor")).to_be_visible()

        editors.goto(queue)
        expect(editors.get_by_role("heading", name=update.title)).to_be_visible()
        problems += axe_problems(editors, "the queue", editor_csp)
        editors.get_by_role("link", name=re.compile(r"^Return with a reason")).click()
        editors.get_by_role("button", name="Return it to hackney-officer").click()
        expect(editors.get_by_role("alert")).to_contain_text("Say why you are returning it")
        problems += axe_problems(editors, "the return page with its error", editor_csp)
        editors.get_by_label("Why are you returning it?").fill(REASON)
        editors.get_by_role("button", name="Return it to hackney-officer").click()
        expect(editors.locator(".messagelist .success")).to_be_visible()

        officer.reload()
        banner = officer.get_by_role("region", name="Returned for changes")
        expect(banner).to_contain_text(REASON)
        problems += axe_problems(officer, "the record's page with the banner", officer_csp)
        officer.locator("#id_body").fill("The board agreed its first joint budget, as its minutes record.")
        officer.get_by_role("button", name="Save and continue editing").click()
        officer.get_by_role("button", name="Send to an editor for publication").click()
        expect(officer.get_by_role("region", name="With an editor")).to_be_visible()

        editors.goto(queue)
        expect(editors.get_by_text("as its minutes record.")).to_be_visible()
        editors.get_by_role("link", name=re.compile(r"^Publish ")).click()
        editors.get_by_role("button", name="Publish it").click()
        expect(editors.locator(".messagelist .success")).to_be_visible()
        expect(editors.get_by_text("No proposals here")).to_be_visible()
    finally:
        officer_context.close()
        editor_context.close()

    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.PUBLISHED
    assert list(Proposal.objects.order_by("pk").values_list("state", flat=True)) == ["returned", "published"]
    assert officer_csp == editor_csp == [], f"the review queue broke the policy: {officer_csp + editor_csp}"
    assert not problems, "\n".join(problems)
