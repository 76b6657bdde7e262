"""Atom feeds of pilot updates and timeline events: valid Atom, published records only, newest first, at most 50."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.history import last_updated
from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate, TimelineEvent
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


def record_of(item: dict) -> PilotUpdate | TimelineEvent:
    kind, pk = item["id"].rsplit(":", 1)[1].split("/")
    return (TimelineEvent if kind == "timeline-event" else PilotUpdate).objects.get(pk=pk)


def happened(record) -> datetime.date:
    return record.happened_on or record.published_at.date()


def test_the_all_updates_feed_is_atom_with_updates_and_events_newest_first(client):
    feed = get_feed(client, "/pilots/updates.atom")
    items = entries(feed)

    assert feed.findtext("atom:title", namespaces=ATOM).startswith("Devolution pilot updates")
    assert feed.findtext("atom:id", namespaces=ATOM)
    assert feed.findtext("atom:updated", namespaces=ATOM)
    self_link = [link.get("href") for link in feed.findall("atom:link", ATOM) if link.get("rel") == "self"]
    assert self_link == ["http://testserver/pilots/updates.atom"]
    assert len(items) == min(50, published_count() + TimelineEvent.objects.public().count())
    assert len({item["id"] for item in items}) == len(items)
    records = [record_of(item) for item in items]
    assert {type(record) for record in records} == {PilotUpdate, TimelineEvent}
    days = [happened(record) for record in records]
    assert days == sorted(days, reverse=True)
    assert all(item["id"] and item["title"] and item["summary"] for item in items)


def test_an_entry_is_updated_when_its_record_last_changed_and_says_when_it_happened(client):
    """<updated> is when the record last changed (its history), never a day the source does not give;
    the day it happened, as precise as its source, is in the content."""
    items = entries(get_feed(client, f"/pilots/{NCL}/updates.atom"))
    by_link = {item["link"]: item for item in items}

    announced = by_link[f"http://testserver/pilots/{NCL}/#update-announced"]
    update = PilotUpdate.objects.get(pilot__slug=NCL, slug="announced")
    assert announced["updated"] == last_updated(update)
    assert "<strong>15 December 2015</strong>" in announced["summary"]
    assert (
        announced["title"]
        == "North Central London: making better use of NHS estate: Estates pilot announced for five boroughs"
    )
    assert "Simon Stevens" in announced["summary"]
    assert "<p>" in announced["summary"]  # type="html", escaped once in the XML
    year_only = by_link[f"http://testserver/pilots/{NCL}/#update-ncl-estates-strategy-2021"]
    assert "<strong>2021</strong>" in year_only["summary"]
    assert year_only["updated"] != datetime.datetime(2021, 1, 1, tzinfo=datetime.UTC)

    update.title = "Estates pilot announced for five boroughs"  # saved again, later
    update.save()
    again = {item["link"]: item for item in entries(get_feed(client, f"/pilots/{NCL}/updates.atom"))}
    assert again[announced["link"]]["updated"] == last_updated(update) > announced["updated"]


def test_the_pilot_feed_holds_that_pilots_updates_and_the_events_linked_to_it(client):
    feed = get_feed(client, f"/pilots/{NCL}/updates.atom")
    records = [record_of(item) for item in entries(feed)]
    ncl = Pilot.objects.get(slug=NCL)

    assert "North Central London" in feed.findtext("atom:title", namespaces=ATOM)
    assert {r.pk for r in records if isinstance(r, PilotUpdate)} == set(
        PilotUpdate.objects.public().filter(pilot=ncl).values_list("pk", flat=True)
    )
    assert {r.pk for r in records if isinstance(r, TimelineEvent)} == set(
        ncl.timeline_events.public().values_list("pk", flat=True)
    )
    merger = next(item for item in entries(feed) if "full merger" in item["title"])
    assert "Concerns:" in merger["summary"] and 'href="https://democracy.brent.gov.uk/' in merger["summary"]


def test_the_borough_feed_holds_its_pilots_updates_and_london_wide_and_linked_events(client):
    feed = get_feed(client, "/boroughs/haringey/updates.atom")
    records = [record_of(item) for item in entries(feed)]

    assert "Haringey" in feed.findtext("atom:title", namespaces=ATOM)
    assert all(r.pilot.slug in (NCL, HARINGEY) for r in records if isinstance(r, PilotUpdate))
    events = [r for r in records if isinstance(r, TimelineEvent)]
    assert events and all(e.london_wide or e.authorities.filter(slug="haringey").exists() for e in events)
    westminster = [record_of(item) for item in entries(get_feed(client, "/boroughs/westminster/updates.atom"))]
    assert westminster and all(isinstance(r, TimelineEvent) for r in westminster)


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
    days = [happened(record_of(item)) for item in items]
    assert days == sorted(days, reverse=True)
    newest = max(
        happened(update) for update in PilotUpdate.objects.public().filter(pilot__publication_status="published")
    )
    assert days[0] == max(newest, TimelineEvent.objects.public().latest("happened_on").happened_on)


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


def test_undated_updates_come_by_the_day_they_were_published_then_by_id(client, monkeypatch):
    """More undated updates than the feed holds on the day at its edge, published in an order other
    than their ids: the feed keeps the newest days, and on the edge day the highest ids."""
    import portal.feeds

    monkeypatch.setattr(portal.feeds, "FEED_LENGTH", 4)
    PilotUpdate.objects.filter(happened_on__isnull=True).update(published_at=None)  # the shipped ones last
    pilot = PilotFactory()
    moment = datetime.datetime(2030, 6, 2, 12, tzinfo=datetime.UTC)
    updates = PilotUpdateFactory.create_batch(6, pilot=pilot, happened_on=None, happened_on_precision="")
    # Day 2 June: the first three, the earliest-published with the highest id; 1 June: the other three.
    published = [moment - datetime.timedelta(hours=3), moment - datetime.timedelta(hours=2), moment]
    published += [moment - datetime.timedelta(days=1, hours=hour) for hour in (1, 2, 3)]
    for update, at in zip(updates, published, strict=True):
        PilotUpdate.objects.filter(pk=update.pk).update(published_at=at)
    PilotUpdate.objects.exclude(pk__in=[update.pk for update in updates]).filter(happened_on__isnull=False).update(
        happened_on=datetime.date(2001, 1, 1)
    )
    TimelineEvent.objects.update(happened_on=datetime.date(2001, 1, 1))

    shown = [record_of(item).pk for item in entries(get_feed(client, "/pilots/updates.atom"))]

    first_day, second_day = [update.pk for update in updates[:3]], [update.pk for update in updates[3:]]
    assert shown == [*sorted(first_day, reverse=True), max(second_day)]
