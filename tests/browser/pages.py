"""Every public page type, with a real record for each detail page, for the axe and vnu checks.

A "page type" is one template in one state: a list, a filtered list, a list whose filter is wrong (error
summary), a detail page, a search with and without results, the 404 page. Paths are built from the shipped
data when asked for (``page_path(name)``), so the names can parametrize tests before the database exists.
"""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from pilots.models import Pilot
from sources.models import Source


def _pilot() -> str:
    pilot = Pilot.objects.public().filter(authorities__slug="hackney").first() or Pilot.objects.public().first()
    assert pilot is not None, "the shipped data is not loaded"
    return pilot.get_absolute_url()


def _place() -> str:
    place = PlacePartnership.objects.order_by("slug").first()
    assert place is not None, "the shipped data is not loaded"
    return place.get_absolute_url()


def _source() -> str:
    source = Source.objects.public().order_by("slug").first()
    assert source is not None, "the shipped data is not loaded"
    return source.get_absolute_url()


PUBLIC_PAGES: dict[str, Callable[[], str]] = {
    "home": lambda: reverse("portal:home"),
    "search (no query)": lambda: reverse("portal:search"),
    "search (results)": lambda: reverse("portal:search") + "?q=Hackney",
    "search (no results)": lambda: reverse("portal:search") + "?q=zzzqqqxxx",
    "glossary": lambda: reverse("portal:glossary"),
    "pilot detail (status evidence over two years old)": lambda: reverse("pilots:detail", args=["haringey-prevention"]),
    "about": lambda: reverse("portal:about"),
    "accessibility statement": lambda: reverse("portal:accessibility"),
    "privacy": lambda: reverse("portal:privacy"),
    "licence": lambda: reverse("portal:licence"),
    "pilot list": lambda: reverse("pilots:list"),
    "pilot list (filtered by ICS)": lambda: reverse("pilots:list") + "?ics=nel",
    "pilot list (invalid filter)": lambda: reverse("pilots:list") + "?ics=zzz&year=nonsense",
    "pilot detail": _pilot,
    "timeline": lambda: reverse("pilots:timeline"),
    "borough list": lambda: reverse("boroughs:list"),
    "borough finder (a choice)": lambda: reverse("boroughs:find") + "?q=Ham",
    "borough finder (no match)": lambda: reverse("boroughs:find") + "?q=zzzqqq",
    "report a problem": lambda: reverse("portal:feedback") + "?page=/boroughs/hackney/",
    "report sent": lambda: reverse("portal:feedback_sent") + "?page=/boroughs/hackney/",
    "borough detail": lambda: LocalAuthority.objects.get(slug="hackney").get_absolute_url(),
    "ICS list": lambda: reverse("boroughs:ics_list"),
    "ICS detail": lambda: IntegratedCareSystem.objects.get(code="NEL").get_absolute_url(),
    "place list": lambda: reverse("boroughs:place_list"),
    "place detail": _place,
    "source list": lambda: reverse("sources:list"),
    "source detail": _source,
    "open data hub": lambda: reverse("datasets:hub"),
    "page not found (404)": lambda: "/no-such-page/",
}

# Status each page type must answer with.
EXPECTED_STATUS = {"page not found (404)": 404, "pilot list (invalid filter)": 400}


def page_path(name: str) -> str:
    return PUBLIC_PAGES[name]()
