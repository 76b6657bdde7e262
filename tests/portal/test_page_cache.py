"""Whole public pages come from the cache for visitors without a session, and never outlive a change."""

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.synthetic import Plan, generate_synthetic_data, silent_progress
from datasets.views import _keep_if_small
from officers.models import EDITORS_GROUP
from pilots.models import Pilot
from tests.factories import UserFactory
from tests.officers.conftest import change_form_data, client_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_a_repeat_visit_is_served_with_one_read_of_the_generation(client, django_assert_num_queries):
    first = client.get("/pilots/")

    with django_assert_num_queries(1):  # core.models.PageCacheGeneration: one primary-key read
        second = client.get("/pilots/")

    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_an_edit_in_the_admin_shows_at_once(client):
    editor = UserFactory(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name=EDITORS_GROUP))
    pilot = Pilot.objects.get(slug="haringey-prevention")
    assert "Haringey: a retitled pilot" not in client.get(pilot.get_absolute_url()).content.decode()

    data = change_form_data(editor, pilot)
    data["title"] = "Haringey: a retitled pilot"
    saved = client_for(editor).post(reverse("admin:pilots_pilot_change", args=[pilot.pk]), data)
    assert saved.status_code == 302, saved.content.decode()[:2000]

    assert "Haringey: a retitled pilot" in client.get(pilot.get_absolute_url()).content.decode()


def test_synthetic_bulk_inserts_also_empty_the_cache(client):
    assert "[Synthetic]" not in client.get("/pilots/").content.decode()

    generate_synthetic_data(Plan.for_scale(0.01), progress=silent_progress)

    assert "[Synthetic]" in client.get("/pilots/").content.decode()


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    return len(queries)


def test_visitors_with_a_session_always_get_a_fresh_page(client):
    client.get("/pilots/")
    client.cookies["sessionid"] = "anything"

    assert queries_for(client, "/pilots/") > 0


@pytest.mark.parametrize("url", ["/pilots/no-such-pilot/", "/pilots/?ics=XYZ"])
def test_error_pages_are_not_stored(client, url):
    client.get(url)

    assert queries_for(client, url) > 0


def download(client, url: str) -> str:
    return b"".join(client.get(url).streaming_content).decode()


def test_a_small_download_is_kept_until_a_record_changes(client):
    pilot = Pilot.objects.get(slug="haringey-prevention")
    first = download(client, "/data/pilots.csv")
    Pilot.objects.filter(pk=pilot.pk).update(title="Retitled without signals")

    assert download(client, "/data/pilots.csv") == first

    pilot.refresh_from_db()
    pilot.save()
    assert "Retitled without signals" in download(client, "/data/pilots.csv")


def test_a_download_that_fails_part_way_is_not_kept(client):
    def failing_chunks():
        yield b"slug,title\r\n"
        raise RuntimeError("the database went away")

    stream = _keep_if_small("export-cache:test", failing_chunks())

    with pytest.raises(RuntimeError):
        list(stream)
    assert cache.get("export-cache:test") is None


def test_a_large_download_is_not_kept(client, monkeypatch):
    monkeypatch.setattr("datasets.views.STORED_EXPORT_MAX_BYTES", 10)

    assert list(_keep_if_small("export-cache:test", iter([b"12345678", b"12345678"]))) == [b"12345678"] * 2
    assert cache.get("export-cache:test") is None


def test_with_the_generation_unreadable_a_visitor_still_gets_the_page_uncached(client, settings, monkeypatch):
    """The page cache reads its generation before any replica routing; with the primary away a visitor's
    page must still be answered (from the replica, in the cluster), not turned into a 503."""
    from django.db import OperationalError

    from core.models import PageCacheGeneration

    settings.PAGE_CACHE_SECONDS = 300

    def away(self):
        raise OperationalError("the primary is shutting down")

    monkeypatch.setattr(type(PageCacheGeneration.objects.all()), "current", away)
    response = client.get("/about/")
    assert response.status_code == 200
    assert "About" in response.content.decode()
