"""Whole public pages come from the cache for visitors without a session, and never outlive a change."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilots.models import Pilot
from portal.synthetic import Plan, generate_synthetic_data, silent_progress

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_a_repeat_visit_is_served_without_touching_the_database(client, django_assert_num_queries):
    first = client.get("/pilots/")

    with django_assert_num_queries(0):
        second = client.get("/pilots/")

    assert second.status_code == 200
    assert second.content == first.content
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]


def test_an_edit_in_the_admin_shows_at_once(client):
    pilot = Pilot.objects.get(slug="haringey-prevention")
    client.get(pilot.get_absolute_url())

    pilot.title = "Haringey: a retitled pilot"
    pilot.save()

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


def test_downloads_are_not_stored(client):
    """A change that sends no signal (a bulk update) still shows in the next download."""
    client.get("/data/pilots.csv")
    Pilot.objects.filter(slug="haringey-prevention").update(title="Retitled without signals")

    response = client.get("/data/pilots.csv")

    assert "Retitled without signals" in b"".join(response.streaming_content).decode()
