"""Public pages for the areas: local authorities (boroughs and the City), integrated care systems and
place partnerships.

Every page fetches its related rows up front, so its number of queries does not grow with the data.
Filter values that cannot be understood re-render the list with status 400 and a GOV.UK error summary;
they never fall back to an unfiltered list.
"""

import re

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from boroughs import selectors
from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.filters import error_summary, filter_fields
from core.history import last_updated
from datasets.definitions import DATASETS
from datasets.links import download_links
from datasets.query import build_rows
from pilots import selectors as pilot_selectors
from portal.forms import FINDER_MAX_LENGTH, BoroughFinderForm
from portal.glossary import GlossaryLinker
from portal.london_map import build_london_map
from sources.selectors import published_sources_citing

# How many of a borough's pilot updates its page lists; the timeline has the rest.
BOROUGH_UPDATE_LIMIT = 20
# How many pilots a borough's or an ICS's page lists; the pilot list, filtered, has the rest.
AREA_PILOT_LIMIT = 20
# How many timeline events an area's page lists, newest first; the timeline has them all.
AREA_EVENT_LIMIT = 20

# The sort order's options: "name" is the default order, so it is the select's empty first option.
SORT_OPTIONS = [
    ("-name", "Name (Z to A)"),
    ("gss_code", "GSS code (lowest first)"),
    ("-gss_code", "GSS code (highest first)"),
    ("ics", "Integrated care system (A to Z)"),
    ("-ics", "Integrated care system (Z to A)"),
]


def paragraphs(text: str) -> list[str]:
    """Plain text split into paragraphs at blank lines; the template escapes each and keeps line breaks."""
    return [block.strip() for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if block.strip()]


def _all_authorities():
    """All 33 authorities with their ICS and place (one query), for maps and member lists."""
    return list(selectors.authority_list())


def _area_events(events) -> dict:
    """The newest events of an area's page, and whether the timeline has more (one query for both)."""
    found = list(events[: AREA_EVENT_LIMIT + 1])
    more = len(found) > AREA_EVENT_LIMIT
    return {
        "events": found[:AREA_EVENT_LIMIT],
        "more_events_url": reverse("pilots:timeline") if more else "",
        "glossary": GlossaryLinker(),
    }


def _last_changed(record, events: list) -> object:
    """When the page's content last changed: the record itself or any event it shows."""
    moments = [moment for moment in (last_updated(record), pilot_selectors.events_latest_change(events)) if moment]
    return max(moments) if moments else None


def authority_list(request: HttpRequest) -> HttpResponse:
    rows = build_rows(DATASETS["boroughs"], request.GET)
    filterset = rows.filterset
    fields = filter_fields(
        filterset,
        choices={"sort": SORT_OPTIONS},
        empty_labels={"sort": "Name (A to Z)"},
        error_messages={"sort": "Select an order from the list"},
    )
    errors = error_summary(fields)
    authorities = None
    if not errors:
        authorities = list(rows.queryset)

    filtering = bool(filterset.form.cleaned_data.get("ics") or filterset.form.cleaned_data.get("kind"))
    context = {
        "nav_section": "boroughs",
        "crumbs": [("Boroughs", None)],
        "authorities": authorities,
        "filter_fields": fields,
        "errors": errors,
        "filtering": filtering or bool(request.GET.get("sort")),
        # The same map as the home page: the dot marks the authorities taking part in a pilot.
        "london_map": build_london_map(
            _all_authorities(),
            highlighted_gss_codes=pilot_selectors.pilot_gss_codes(),
            highlight_label="taking part in a pilot",
        ),
        **download_links(request, "boroughs"),
    }
    return render(request, "boroughs/authority_list.html", context, status=400 if errors else 200)


def authority_find(request: HttpRequest) -> HttpResponse:
    """``/boroughs/find/?q=``: straight to the borough's page when the query names one; otherwise a
    choice of the likely ones, or a clear message and the whole list. A missing or unusable query is
    a 400 with the finder's error, the text kept."""
    form = BoroughFinderForm(request.GET)
    matches = []
    if form.is_valid():
        matches = selectors.find_authorities(form.cleaned_data["q"])
        if len(matches) == 1:
            return redirect(matches[0])
    context = {
        "nav_section": "boroughs",
        "crumbs": [("Boroughs", reverse("boroughs:list")), ("Find your borough", None)],
        "finder": form,
        "raw_query": request.GET.get("q", "").replace("\x00", "")[: 2 * FINDER_MAX_LENGTH],
        "errors": [{"href": "#finder-q", "text": error} for error in form.errors.get("q", [])],
        "matches": matches,
        "authorities": [] if matches else _all_authorities(),
    }
    return render(request, "boroughs/authority_find.html", context, status=400 if form.errors else 200)


def authority_detail(request: HttpRequest, slug: str) -> HttpResponse:
    authority = get_object_or_404(LocalAuthority.objects.select_related("ics", "place_partnership"), slug=slug)
    participating = pilot_selectors.published_participations_of(authority)
    participations = list(participating[:AREA_PILOT_LIMIT])
    pilot_count = participating.count()
    updates = list(
        pilot_selectors.published_updates_of_borough(authority).prefetch_related(None)[: BOROUGH_UPDATE_LIMIT + 1]
    )
    area_events = _area_events(pilot_selectors.published_events_of_authority(authority))
    context = {
        **area_events,
        "nav_section": "boroughs",
        "crumbs": [("Boroughs", reverse("boroughs:list")), (authority.name, None)],
        "authority": authority,
        "description": paragraphs(authority.description),
        "participations": participations,
        "pilot_count": pilot_count,
        "all_pilots_url": f"{reverse('pilots:list')}?borough={authority.slug}",
        "updates": updates[:BOROUGH_UPDATE_LIMIT],
        "more_updates": len(updates) > BOROUGH_UPDATE_LIMIT,
        "update_limit": BOROUGH_UPDATE_LIMIT,
        "timeline_url": f"{reverse('pilots:timeline')}?borough={authority.slug}",
        "feed_url": reverse("pilots:borough_feed", kwargs={"slug": authority.slug}),
        "sources": list(published_sources_citing(local_authorities=authority)),
        "last_updated": _last_changed(authority, area_events["events"]),
        "london_map": build_london_map(
            _all_authorities(), highlighted_gss_codes={authority.gss_code}, highlight_label="this authority"
        ),
    }
    return render(request, "boroughs/authority_detail.html", context)


def ics_list(request: HttpRequest) -> HttpResponse:
    context = {
        "nav_section": "ics",
        "crumbs": [("Integrated care systems", None)],
        "systems": list(build_rows(DATASETS["integrated-care-systems"], request.GET).queryset),
        "london_map": build_london_map(_all_authorities()),
        **download_links(request, "integrated-care-systems"),
    }
    return render(request, "boroughs/ics_list.html", context)


def ics_detail(request: HttpRequest, code: str) -> HttpResponse:
    ics = get_object_or_404(IntegratedCareSystem, code=code.upper())
    if code != code.lower():
        return redirect("boroughs:ics_detail", code=code.lower(), permanent=True)

    authorities = _all_authorities()
    members = [authority for authority in authorities if authority.ics_id == ics.pk]
    places = list(ics.place_partnerships.order_by("name"))
    for place in places:
        place.members = [authority for authority in members if authority.place_partnership_id == place.pk]
    involved = pilot_selectors.published_pilots_involving_ics(ics)
    pilots = list(involved[:AREA_PILOT_LIMIT])
    pilot_count = involved.count()
    for pilot in pilots:
        pilot.member_participants = [p for p in pilot.participants.all() if p.authority.ics_id == ics.pk]
    area_events = _area_events(pilot_selectors.published_events_of_ics(ics))
    context = {
        **area_events,
        "nav_section": "ics",
        "crumbs": [("Integrated care systems", reverse("boroughs:ics_list")), (ics.name, None)],
        "ics": ics,
        "description": paragraphs(ics.description),
        "members": members,
        "places": places,
        "pilots": pilots,
        "pilot_count": pilot_count,
        "all_pilots_url": f"{reverse('pilots:list')}?ics={ics.code.lower()}",
        "sources": list(published_sources_citing(integrated_care_systems=ics)),
        "last_updated": _last_changed(ics, area_events["events"]),
        "london_map": build_london_map(
            authorities,
            highlighted_gss_codes={authority.gss_code for authority in members},
            highlight_label=f"in {ics.name}",
        ),
    }
    return render(request, "boroughs/ics_detail.html", context)


def place_list(request: HttpRequest) -> HttpResponse:
    rows = build_rows(DATASETS["place-partnerships"], request.GET)
    fields = filter_fields(rows.filterset)
    errors = error_summary(fields)
    context = {
        "nav_section": "ics",
        "crumbs": [("Place partnerships", None)],
        "places": None if errors else list(rows.queryset),
        "filter_fields": fields,
        "errors": errors,
        "filtering": bool(request.GET.get("ics")),
        **download_links(request, "place-partnerships"),
    }
    return render(request, "boroughs/place_list.html", context, status=400 if errors else 200)


def place_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = get_object_or_404(
        PlacePartnership.objects.select_related("ics").prefetch_related(
            Prefetch("authorities", queryset=LocalAuthority.objects.order_by("name"))
        ),
        slug=slug,
    )
    members = list(place.authorities.all())
    area_events = _area_events(pilot_selectors.published_events_of_place(place))
    context = {
        **area_events,
        "nav_section": "ics",
        "crumbs": [("Place partnerships", reverse("boroughs:place_list")), (place.name, None)],
        "place": place,
        "description": paragraphs(place.description),
        "members": members,
        "sources": list(published_sources_citing(place_partnerships=place)),
        "last_updated": _last_changed(place, area_events["events"]),
        "london_map": build_london_map(
            _all_authorities(),
            highlighted_gss_codes={authority.gss_code for authority in members},
            highlight_label="in this place partnership",
        ),
    }
    return render(request, "boroughs/place_detail.html", context)
