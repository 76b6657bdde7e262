"""The cache or the database cannot be reached: the site says so plainly and comes back by itself.

- Redis away (``REDIS_URL`` pointing at a closed port): every public page, robots.txt, the feeds and the
  exports still answer 200, uncached, with one warning in the log; admin saves, lock-outs and export
  rate limits keep working (they live in the database).
- The database away (a connection pointing at a closed port, or for SQLite at a file that cannot be
  opened): the 503 page with ``Retry-After``, no stack trace; the first request after it is back is
  answered normally, without a restart; a download never answers 200 with a broken file.
"""

import contextlib
import io
import logging
import socket
import zipfile

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.db import OperationalError, connections
from django.test import Client, override_settings
from django.urls import reverse

from core import caching
from devolution_portal.settings.base import cache_settings
from officers.models import EDITORS_GROUP
from pilots.models import Pilot
from tests.browser.pages import PUBLIC_PAGES
from tests.factories import UserFactory
from tests.officers.conftest import PASSWORD, change_form_data, client_for, hackney_officer  # noqa: F401

pytestmark = pytest.mark.django_db

OTHER_URLS = ["/robots.txt", "/pilots/updates.atom", "/boroughs/hackney/updates.atom", "/data/pilots.csv"]


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def expected_status(name: str) -> int:
    return 404 if "404" in name else 400 if "invalid" in name else 200


def public_urls() -> list[tuple[str, str, int]]:
    pilot_feed = Pilot.objects.public().first().get_absolute_url() + "updates.atom"
    pages = [(name, path(), expected_status(name)) for name, path in PUBLIC_PAGES.items()]
    return pages + [(url, url, 200) for url in [*OTHER_URLS, pilot_feed, "/data/sources.json", "/data/all.zip"]]


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- Redis away ----------------------------------------------------------------------------------


@pytest.fixture
def redis_away(caplog):
    caching._RedisState.retry_at = 0.0
    caching._RedisState.warned_at = float("-inf")
    with override_settings(CACHES=cache_settings(f"redis://127.0.0.1:{closed_port()}/3"), PAGE_CACHE_SECONDS=300):
        caplog.set_level(logging.WARNING, logger="core.caching")
        yield caplog
    caching._RedisState.retry_at = 0.0


def cache_warnings(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "core.caching"]


def test_with_redis_away_every_public_page_feed_and_export_still_answers(client, redis_away):
    for name, url, status in public_urls() * 2:  # twice: nothing was stored the first time
        assert client.get(url).status_code == status, name

    warnings = cache_warnings(redis_away)
    assert len(warnings) == 1  # once, not on every request
    assert "cannot be reached" in warnings[0]


def test_with_redis_away_pages_are_fresh_after_an_edit(client, redis_away):
    pilot = Pilot.objects.get(slug="haringey-prevention")
    client.get(pilot.get_absolute_url())
    pilot.title = "Haringey: retitled while Redis was away"
    pilot.save()

    assert "retitled while Redis was away" in client.get(pilot.get_absolute_url()).content.decode()


def test_with_redis_away_an_admin_save_works(redis_away):
    editor = UserFactory(is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    pilot = Pilot.objects.get(slug="haringey-prevention")
    data = change_form_data(editor, pilot)
    data["title"] = "Haringey: saved while Redis was away"

    response = client_for(editor).post(reverse("admin:pilots_pilot_change", args=[pilot.pk]), data)

    assert response.status_code == 302
    pilot.refresh_from_db()
    assert pilot.title == "Haringey: saved while Redis was away"


@pytest.mark.usefixtures("hackney_officer")
def test_with_redis_away_sign_in_lockouts_still_work(client, redis_away):
    form = {"username": "officer-hackney", "password": "wrong-password", "next": reverse("admin:index")}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("admin:login"), form)

    assert client.post(reverse("admin:login"), {**form, "password": PASSWORD}).status_code == 429


@override_settings(EXPORT_RATE_LIMIT=2, EXPORT_RATE_WINDOW=60)
def test_with_redis_away_export_rate_limits_are_counted_in_the_database(client, redis_away):
    statuses = [client.get("/data/sources.json", REMOTE_ADDR="203.0.113.40").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]


# --- The database away ---------------------------------------------------------------------------


@contextlib.contextmanager
def database_away():
    """Requests use a connection to a database that cannot be reached (the test's own connection,
    with its transaction, is left alone); ``back()`` points that same connection at the database again."""
    working = connections["default"]
    unreachable = dict(working.settings_dict)
    if working.vendor == "sqlite":
        unreachable["NAME"] = "/nonexistent-directory/portal.sqlite3"
    else:
        unreachable.update(HOST="127.0.0.1", PORT=str(closed_port()))
    broken = type(working)(unreachable, alias="default")

    def back() -> None:
        broken.close()
        broken.settings_dict = dict(working.settings_dict)

    connections._connections.default = broken
    try:
        yield back
    finally:
        broken.close()
        connections._connections.default = working


@pytest.fixture
def visitor():
    """A browser's view: the server's answer, never the test client's re-raised exception."""
    return Client(raise_request_exception=False)


def assert_unavailable(response) -> None:
    assert response.status_code == 503
    assert response["Retry-After"].isdigit()
    page = body(response).decode()
    assert "Sorry, the service is unavailable" in page
    assert "Traceback" not in page
    assert "OperationalError" not in page


@override_settings(PAGE_CACHE_SECONDS=300)
def test_with_the_database_away_every_page_is_a_503_with_retry_after(visitor):
    """Every page that reads the database is a 503; one that needs none (robots.txt, the static pages)
    is still answered, uncached (the page cache's generation cannot be read either)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = public_urls()
    needs_database, status_when_up = {}, {}
    for _name, url, _status in urls:
        with override_settings(PAGE_CACHE_SECONDS=0), CaptureQueriesContext(connection) as queries:
            status_when_up[url] = visitor.get(url).status_code
        needs_database[url] = bool(queries.captured_queries)
    assert sum(needs_database.values()) > len(urls) / 2
    with database_away():
        for _name, url, _status in urls:
            response = visitor.get(url)
            if needs_database[url]:
                assert_unavailable(response)
            else:
                assert response.status_code == status_when_up[url], url


def test_with_the_database_away_signing_in_is_a_503(visitor):
    with database_away():
        response = visitor.post(reverse("admin:login"), {"username": "someone", "password": "something-long"})

    assert_unavailable(response)


@override_settings(EXPORT_RATE_LIMIT=0, PAGE_CACHE_SECONDS=0)
@pytest.mark.parametrize("url", ["/data/all.zip", "/data/pilots.csv"])
def test_with_the_database_away_a_download_is_a_503_not_a_broken_file(visitor, url):
    """Nothing but the download itself reads the database here (no rate limit, no page cache)."""
    with database_away():
        assert_unavailable(visitor.get(url))


def test_when_the_database_comes_back_pages_are_served_again_without_a_restart(visitor):
    with database_away() as back:
        assert_unavailable(visitor.get("/pilots/"))
        back()

        assert visitor.get("/pilots/").status_code == 200


def test_a_zip_whose_database_fails_part_way_breaks_off_instead_of_completing(client, monkeypatch):
    import datasets.package

    calls = []
    real_build_export = datasets.package.build_export

    def failing_on_the_third(dataset, params, as_of):
        calls.append(dataset.name)
        if len(calls) == 3:
            raise OperationalError("server closed the connection unexpectedly")
        return real_build_export(dataset, params, as_of)

    monkeypatch.setattr(datasets.package, "build_export", failing_on_the_third)
    response = client.get("/data/all.zip")
    assert response.status_code == 200  # the first bytes had gone when the database failed
    received = io.BytesIO()

    with pytest.raises(OperationalError):
        for chunk in response.streaming_content:
            received.write(chunk)

    assert received.tell() > 0
    with pytest.raises(zipfile.BadZipFile):
        zipfile.ZipFile(received)
