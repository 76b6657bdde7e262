"""Atom feeds of pilot updates: valid Atom, published updates only, newest first, at most 50."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from tests.factories import PilotFactory, PilotParticipantFactory, PilotUpdateFactory, grow_data

pytestmark = pytest.mark.django_db

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
NCL = "north-central-london-estates"
HARINGEY = "haringey-prevention"


def get_feed(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    return root


def entries(feed: ET.Element) -> list[dict]:
    return [
        {
            "id": entry.findtext("atom:id", namespaces=ATOM),
            "title": entry.findtext("atom:title", namespaces=ATOM),
            "link": entry.find("atom:link", ATOM).get("href"),
            "updated": datetime.datetime.fromisoformat(entry.findtext("atom:updated", namespaces=ATOM)),
            "summary": entry.findtext("atom:summary", namespaces=ATOM),
        }
        for entry in feed.findall("atom:entry", ATOM)
    ]


def published_count(**filters) -> int:
    return PilotUpdate.objects.public().filter(pilot__publication_status="published", **filters).count()


def test_the_all_updates_feed_is_atom_with_every_published_update_newest_first(client):
    feed = get_feed(client, "/pilots/updates.atom")
    items = entries(feed)

    assert feed.findtext("atom:title", namespaces=ATOM).startswith("Devolution pilot updates")
    assert feed.findtext("atom:id", namespaces=ATOM)
    assert feed.findtext("atom:updated", namespaces=ATOM)
    self_link = [link.get("href") for link in feed.findall("atom:link", ATOM) if link.get("rel") == "self"]
    assert self_link == ["http://testserver/pilots/updates.atom"]
    assert len(items) == published_count()
    assert len({item["id"] for item in items}) == len(items)
    moments = [item["updated"] for item in items]
    assert moments == sorted(moments, reverse=True)
    assert all(item["id"] and item["title"] and item["summary"] for item in items)


def test_entries_link_to_the_update_on_its_pilot_page_and_date_it_by_when_it_happened(client):
    items = entries(get_feed(client, f"/pilots/{NCL}/updates.atom"))
    by_link = {item["link"]: item for item in items}

    announced = by_link[f"http://testserver/pilots/{NCL}/#update-announced"]
    assert announced["updated"] == datetime.datetime(2015, 12, 15, tzinfo=datetime.UTC)
    assert (
        announced["title"]
        == "North Central London: making better use of NHS estate: Estates pilot announced for five boroughs"
    )
    assert "Simon Stevens" in announced["summary"]
    assert "<p>" in announced["summary"]  # type="html", escaped once in the XML
    undated = by_link[f"http://testserver/pilots/{NCL}/#update-london-wide-gp-estate"]
    published_at = PilotUpdate.objects.get(pilot__slug=NCL, slug="london-wide-gp-estate").published_at
    assert undated["updated"] == published_at
    assert set(by_link) == {
        f"http://testserver{update.get_absolute_url()}"
        for update in PilotUpdate.objects.public().filter(pilot__slug=NCL)
    }


def test_the_pilot_feed_holds_only_that_pilots_updates(client):
    feed = get_feed(client, f"/pilots/{NCL}/updates.atom")

    assert "North Central London" in feed.findtext("atom:title", namespaces=ATOM)
    assert len(entries(feed)) == published_count(pilot__slug=NCL) == 4
    assert all(f"/pilots/{NCL}/#update-" in item["link"] for item in entries(feed))


def test_the_borough_feed_holds_the_updates_of_the_pilots_the_borough_takes_part_in(client):
    feed = get_feed(client, "/boroughs/haringey/updates.atom")
    links = [item["link"] for item in entries(feed)]

    assert "Haringey" in feed.findtext("atom:title", namespaces=ATOM)
    assert len(links) == published_count(pilot__slug__in=[NCL, HARINGEY]) == 7
    assert all(f"/pilots/{NCL}/" in link or f"/pilots/{HARINGEY}/" in link for link in links)
    assert entries(get_feed(client, "/boroughs/westminster/updates.atom")) == []


@pytest.mark.parametrize(
    "url",
    [
        "/pilots/no-such-pilot/updates.atom",
        "/boroughs/nowhere/updates.atom",
        "/pilots/%00/updates.atom",
        "/boroughs/" + "x" * 5000 + "/updates.atom",
    ],
)
def test_unknown_slugs_are_a_404(client, url):
    assert client.get(url).status_code == 404


def test_draft_updates_and_pilots_are_in_no_feed(client):
    ncl = Pilot.objects.get(slug=NCL)
    PilotUpdateFactory(pilot=ncl, title="Hushhush draft update", publication_status=PublicationStatus.DRAFT)
    PilotUpdateFactory(pilot=ncl, title="Hushhush withdrawn update", publication_status=PublicationStatus.WITHDRAWN)
    draft = PilotFactory(slug="hushhush-pilot", title="Hushhush pilot", publication_status=PublicationStatus.DRAFT)
    PilotParticipantFactory(pilot=draft, authority=ncl.authorities.get(slug="haringey"))
    PilotUpdateFactory(pilot=draft, title="Published update of a hushhush pilot")

    for url in ["/pilots/updates.atom", f"/pilots/{NCL}/updates.atom", "/boroughs/haringey/updates.atom"]:
        content = client.get(url).content.decode()
        assert "hushhush" not in content.lower(), url
    assert client.get("/pilots/hushhush-pilot/updates.atom").status_code == 404


def test_feeds_hold_at_most_50_entries_newest_first(client):
    grow_data(times=20)
    items = entries(get_feed(client, "/pilots/updates.atom"))

    assert len(items) == 50
    assert [item["updated"] for item in items] == sorted((item["updated"] for item in items), reverse=True)
    newest = max(
        update.happened_on or update.published_at.date()
        for update in PilotUpdate.objects.public().filter(pilot__publication_status="published")
    )
    assert abs(items[0]["updated"].date() - newest) <= datetime.timedelta(days=1)  # UTC vs London date


FEEDS = ["/pilots/updates.atom", f"/pilots/{NCL}/updates.atom", "/boroughs/haringey/updates.atom"]


def test_feed_query_counts_do_not_grow_with_the_data(client, capsys):
    def count(url: str) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = {url: count(url) for url in FEEDS}
    grow_data(times=20)
    # More updates for the shipped pilot and borough too, so their feeds grow as well.
    ncl = Pilot.objects.get(slug=NCL)
    PilotUpdateFactory.create_batch(60, pilot=ncl)
    after = {url: count(url) for url in FEEDS}

    with capsys.disabled():
        print("\nqueries per feed (shipped -> grown):", {url: (before[url], after[url]) for url in FEEDS})
    assert after == before
