"""No <time> element on any public page claims more precision than the date it shows."""

import re

import pytest

from pilots.models import Pilot, TimelineEvent
from sources.models import Source

pytestmark = pytest.mark.django_db

MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"


def precision_of_text(shown: str) -> int:
    """How many characters of an ISO date the visible text justifies: 10 (a day), 7 (a month), 4 (a year)."""
    if re.fullmatch(rf"\d{{1,2}} ({MONTHS}) \d{{4}}", shown):
        return 10
    if re.fullmatch(rf"({MONTHS}) \d{{4}}", shown):
        return 7
    assert re.fullmatch(r"\d{4}", shown), shown
    return 4


def public_pages() -> list[str]:
    event = TimelineEvent.objects.public().first()
    return [
        "/",
        "/search/?q=integrated+care",
        "/glossary/",
        "/about/",
        "/licence/",
        "/pilots/",
        *(f"/pilots/{slug}/" for slug in Pilot.objects.values_list("slug", flat=True)),
        "/timeline/",
        "/timeline/?year=2016",
        "/timeline/?page=4",
        "/boroughs/",
        "/boroughs/hackney/",
        "/boroughs/westminster/",
        "/ics/",
        "/ics/ncl/",
        "/places/",
        "/places/city-and-hackney/",
        "/sources/",
        "/sources/?page=9",
        *(
            f"/sources/{slug}/"
            for slug in (
                "oneill-2016-healthcare-collaboration",
                "nhse-stps",
                "ons-greater-london-and-the-london-boroughs",
            )
        ),
        f"/sources/{Source.objects.filter(published_on_precision='month').first().slug}/",
        "/data/",
        event.get_absolute_url().split("#")[0],
    ]


def test_no_time_element_is_more_precise_than_its_visible_text(client):
    checked = 0
    for url in public_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        for machine, shown in re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', response.content.decode()):
            assert len(machine) <= precision_of_text(shown.strip()), (url, machine, shown)
            checked += 1
    assert checked > 100
    # Each precision occurs, so the scan would notice a year shown as "2016" but machine-dated "2016-01-01".
    page = client.get("/pilots/haringey-prevention/").content.decode()
    assert '<time datetime="2016">2016</time>' in page
    assert re.search(
        r'<time datetime="\d{4}-\d{2}">[A-Z][a-z]+ \d{4}</time>', client.get("/timeline/").content.decode()
    )
