"""Fixtures for the real-browser tests: Debian's Chromium driven by Playwright (sync API), against
pytest-django's live server.

- Never a downloaded browser: Chromium is ``/usr/bin/chromium`` (``make browser`` installs it with apt).
- Live-server tests are transactional and the database is flushed after each one, so ``portal_url`` loads
  the shipped data again (and the two admin roles, which a migration made) at the start of every test;
  tests/conftest.py runs the tests marked ``browser`` after all the others.
- Playwright's sync API keeps an event loop running in the test thread, which Django's ORM refuses to run
  beside unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set; it is set only while the browser is up.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from boroughs.models import LocalAuthority
from core.models import PublicationStatus
from officers.services import create_officer
from pilots.models import Pilot, PilotUpdate
from portal.services import load_portal_data
from sources.models import Source
from tests.factories import PilotUpdateFactory
from tests.two_factor import authenticator, code_now

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
NARROW = {"width": 320, "height": 640}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (Debian's chromium package).")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def restore_admin_roles() -> None:
    """The "Portal editors" and "Borough officers" groups, as officers/migrations/0002_groups.py, 0005 and
    feedback/migrations/0003_triage.py make them (a flush empties auth_group; the permissions themselves come
    back with the flush's post_migrate)."""
    migration = importlib.import_module("officers.migrations.0002_groups")
    review = importlib.import_module("officers.migrations.0005_proposals_and_notifications")
    editors, _ = Group.objects.get_or_create(name=migration.EDITORS_GROUP)
    editors.permissions.add(*Permission.objects.filter(content_type__app_label__in=migration.EDITOR_APPS))
    officers, _ = Group.objects.get_or_create(name=migration.OFFICERS_GROUP)
    officers.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in [
                *migration.OFFICER_PERMISSIONS,
                *(("officers", codename) for codename in review.OFFICER_PERMISSIONS),
            ]
        ]
    )
    triage = importlib.import_module("feedback.migrations.0003_triage")
    for group, codenames in ((editors, triage.EDITOR_PERMISSIONS), (officers, triage.OFFICER_PERMISSIONS)):
        group.permissions.add(*Permission.objects.filter(content_type__app_label="feedback", codename__in=codenames))


@pytest.fixture
def portal_url(browser: Browser, transactional_db, live_server) -> str:
    """The live server's address, with the shipped data loaded and the cache (rate limits, pages) empty."""
    restore_admin_roles()
    load_portal_data()
    cache.clear()
    return live_server.url


def new_context(browser: Browser, viewport: dict[str, int] = DESKTOP, **kwargs) -> BrowserContext:
    context = browser.new_context(viewport=viewport, locale="en-GB", timezone_id="Europe/London", **kwargs)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def record_csp_violations(page: Page) -> list[str]:
    """A list that fills with the console's Content-Security-Policy reports for ``page``."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations


# --- staff in the browser ----------------------------------------------------------------------------

PASSWORD = "journey-test-password-4821"
HACKNEY_PILOT = "hackney-health-and-social-care-integration"


def hackney_officer(username: str):
    return create_officer(
        username=username,
        email=f"{username}@hackney.example",
        authorities=[LocalAuthority.objects.get(slug="hackney")],
        password=PASSWORD,
    )


def sign_in(page: Page, portal_url: str, username: str) -> None:
    """With the password, then the code the officer's authenticator app shows."""
    device = authenticator(get_user_model().objects.get(username=username))
    page.goto(portal_url + reverse("admin:login"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"log in|sign in", re.I)).click()
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{username} could not sign in: {page.locator('.errornote').all_inner_texts()}"
    page.get_by_label("Security code").fill(code_now(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    assert "/second-factor/" not in page.url, f"{username}: {page.locator('.errornote').all_inner_texts()}"


def draft_update(title: str) -> PilotUpdate:
    """A draft update of Hackney's pilot that cites a published shipped source."""
    return PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT),
        slug="journey-update",
        title=title,
        body="Drafted for the browser journey.",
        publication_status=PublicationStatus.DRAFT,
        sources=[Source.objects.public().order_by("slug").first()],
    )


def change_url(portal_url: str, record: PilotUpdate) -> str:
    return portal_url + reverse("admin:pilots_pilotupdate_change", args=[record.pk])
