"""The service navigation shown on every page: one list, so the header has one source of truth."""

from django.http import HttpRequest

NAVIGATION = (
    ("pilots", "Pilots", "/pilots/"),
    ("boroughs", "Boroughs", "/boroughs/"),
    ("ics", "Integrated care systems", "/ics/"),
    ("timeline", "Timeline", "/timeline/"),
    ("sources", "Sources", "/sources/"),
    ("data", "Data", "/data/"),
    ("search", "Search", "/search/"),
)


def navigation(request: HttpRequest) -> dict:
    """Template context processor: ``navigation`` items as (section, label, url)."""
    return {"navigation": NAVIGATION}
