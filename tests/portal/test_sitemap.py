"""sitemap.xml lists every public detail page and no draft; robots.txt points to it."""

import xml.etree.ElementTree as ET

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from pilots.models import Pilot
from portal.sitemaps import STATIC_PAGES
from sources.models import Source
from tests.factories import PilotFactory, SourceFactory, grow_data

pytestmark = pytest.mark.django_db

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_entries(client) -> dict[str, dict[str, str]]:
    response = client.get(reverse("portal:sitemap"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    entries = {}
    for url in root.findall("sm:url", NS):
        loc = url.find("sm:loc", NS).text
        entries[loc] = {child.tag.split("}")[1]: child.text for child in url}
    return entries


def paths(entries) -> set[str]:
    return {loc.removeprefix("http://testserver") for loc in entries}


def test_sitemap_lists_every_published_detail_page_and_the_lists(client):
    listed = paths(sitemap_entries(client))
    expected = set()
    for queryset in (
        Pilot.objects.public(),
        Source.objects.public(),
        LocalAuthority.objects.all(),
        IntegratedCareSystem.objects.all(),
        PlacePartnership.objects.all(),
    ):
        expected |= {record.get_absolute_url() for record in queryset}
    expected |= {reverse(name) for name, _, _ in STATIC_PAGES}
    assert expected <= listed
    assert listed == expected
    assert len([path for path in listed if path.startswith("/boroughs/") and path != "/boroughs/"]) == 33
    assert "/ics/ncl/" in listed


def test_sitemap_leaves_out_drafts_and_withdrawn_records(client):
    draft_pilot = PilotFactory(publication_status=PublicationStatus.DRAFT)
    withdrawn_source = SourceFactory(publication_status=PublicationStatus.WITHDRAWN)
    Pilot.objects.filter(slug="haringey-prevention").update(publication_status=PublicationStatus.WITHDRAWN)
    listed = paths(sitemap_entries(client))
    assert draft_pilot.get_absolute_url() not in listed
    assert withdrawn_source.get_absolute_url() not in listed
    assert reverse("pilots:detail", kwargs={"slug": "haringey-prevention"}) not in listed
    assert reverse("pilots:detail", kwargs={"slug": "hackney-health-and-social-care-integration"}) in listed


def test_sitemap_urls_are_absolute_and_carry_lastmod_from_history(client):
    entries = sitemap_entries(client)
    assert all(loc.startswith("http://testserver/") for loc in entries)
    pilot_path = reverse("pilots:detail", kwargs={"slug": "hackney-health-and-social-care-integration"})
    pilot_url = f"http://testserver{pilot_path}"
    assert entries[pilot_url].get("lastmod")


def test_every_sitemap_page_answers_200(client):
    for path in sorted(paths(sitemap_entries(client))):
        assert client.get(path).status_code == 200, path


def test_sitemap_query_count_does_not_grow_with_the_data(client):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("portal:sitemap"))
        return len(queries)

    before = count()
    grow_data(times=5)
    assert count() == before


def test_robots_txt_allows_all_and_points_to_the_sitemap(client, settings):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert "User-agent: *" in body
    assert "Allow: /" in body
    assert "Sitemap: http://testserver/sitemap.xml" in body.splitlines()
    assert "Disallow" not in body
    assert settings.ADMIN_PATH.strip("/") not in body
