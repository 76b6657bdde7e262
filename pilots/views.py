"""The public pilot pages: the list of pilots, each pilot's page with its tracking timeline, and the
London-wide timeline. Only published records are shown; every fact is shown with its sources."""

from __future__ import annotations

from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from boroughs.models import LocalAuthority
from datasets.links import download_links
from portal.filters import error_summary, filter_fields, year_options
from portal.history import last_updated
from portal.london_map import build_london_map
from portal.models import PublicationStatus

from . import selectors
from .filters import PilotFilter, PilotUpdateFilter, TimelineEventFilter
from .models import Pilot, PilotUpdate, TimelineEvent

TIMELINE_PAGE_SIZE = 30


# --- Filter forms --------------------------------------------------------------------------------


def _active_filters(request: HttpRequest, names: list[str]) -> bool:
    return any(request.GET.get(name) for name in names)


# --- /pilots/ ------------------------------------------------------------------------------------

PILOT_FILTERS = ["theme", "status", "ics", "borough", "year"]


def pilot_list(request: HttpRequest) -> HttpResponse:
    filterset = PilotFilter(request.GET, queryset=selectors.published_pilots())
    valid = filterset.is_valid()
    pilots = list(filterset.qs) if valid else []
    fields = filter_fields(
        filterset, PILOT_FILTERS, choices={"year": year_options(Pilot.objects.published(), "announced_on")}
    )
    context = {
        "nav_section": "pilots",
        "crumbs": [("Pilots", None)],
        "pilots": pilots,
        "valid": valid,
        "filter_fields": fields,
        "errors": error_summary(fields),
        "filtered": _active_filters(request, PILOT_FILTERS),
        **download_links(request, "pilots"),
    }
    return render(request, "pilots/pilot_list.html", context, status=200 if valid else 400)


# --- /pilots/<slug>/ -----------------------------------------------------------------------------


def _numbered_sources(pilot: Pilot, updates) -> tuple[list, dict[int, int]]:
    """The pilot's own sources then each update's, de-duplicated, numbered by first citation."""
    ordered = []
    numbers: dict[int, int] = {}
    for source in [*pilot.sources.all(), *(source for update in updates for source in update.sources.all())]:
        if source.pk not in numbers:
            ordered.append(source)
            numbers[source.pk] = len(ordered)
    return ordered, numbers


def pilot_page_context(pilot: Pilot, updates) -> dict:
    """Everything a pilot's page shows. The public view passes only published updates; the admin's
    draft preview may pass a draft pilot and its draft updates. Expects ``pilot.participants`` and each
    update's ``sources`` to be prefetched (see pilots.selectors) so the page's queries stay constant."""
    updates = list(updates)
    sources, numbers = _numbered_sources(pilot, updates)
    pilot_citations = [{"number": numbers[source.pk], "source": source} for source in pilot.sources.all()]
    entries = [
        {
            "update": update,
            "citations": [{"number": numbers[source.pk], "source": source} for source in update.sources.all()],
        }
        for update in updates
    ]
    participants = list(pilot.participants.all())
    authorities = LocalAuthority.objects.select_related("ics").order_by("name")
    changed = [moment for moment in (last_updated(pilot), selectors.updates_latest_change(updates)) if moment]
    feed_url = reverse("pilots:pilot_feed", kwargs={"slug": pilot.slug}) if pilot.slug else ""
    return {
        "nav_section": "pilots",
        "crumbs": [("Pilots", reverse("pilots:list")), (pilot.title, None)],
        "pilot": pilot,
        "aims": pilot.aims_list,
        "participants": participants,
        "london_map": build_london_map(
            authorities,
            highlighted_gss_codes={participant.authority.gss_code for participant in participants},
            highlight_label="taking part",
        ),
        "pilot_citations": pilot_citations,
        "entries": entries,
        "sources": sources,
        "last_updated": max(changed) if changed else None,
        "feed_url": feed_url,
    }


def pilot_detail(request: HttpRequest, slug: str) -> HttpResponse:
    pilot = get_object_or_404(selectors.published_pilot_for_page(), slug=slug)
    context = pilot_page_context(pilot, selectors.published_updates_of(pilot))
    return render(request, "pilots/pilot_detail.html", context)


# --- /timeline/ ----------------------------------------------------------------------------------

TIMELINE_FILTERS = ["year", "pilot", "borough"]


def _timeline_entry(record: TimelineEvent | PilotUpdate) -> dict:
    if isinstance(record, TimelineEvent):
        return {
            "kind": "event",
            "anchor": f"event-{record.slug}",
            "record": record,
            "title": record.title,
            "text": record.description,
            "date": record.happened_on_display,
            "precision": record.get_happened_on_precision_display(),
            "datetime": record.happened_on,
            "sources": list(record.sources.all()),
        }
    return {
        "kind": "update",
        "anchor": f"update-{record.pilot.slug}-{record.slug}",
        "record": record,
        "title": record.title,
        "text": record.body,
        "date": record.happened_on_display,
        "precision": record.get_happened_on_precision_display() if record.happened_on else "",
        "datetime": record.happened_on,
        "pilot": record.pilot,
        "sources": list(record.sources.all()),
    }


def timeline(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("page", None)
    update_filter = PilotUpdateFilter(params, queryset=selectors.published_updates())
    event_filter = TimelineEventFilter(params, queryset=selectors.published_timeline_events())
    valid = update_filter.is_valid() and event_filter.is_valid()
    updates_only = bool(params.get("pilot") or params.get("borough"))

    page_obj = None
    entries = []
    if valid:
        keys = selectors.timeline_entry_keys(None if updates_only else event_filter.qs, update_filter.qs)
        paginator = Paginator(keys, TIMELINE_PAGE_SIZE, allow_empty_first_page=True)
        try:
            page_obj = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404("No such page of the timeline.") from error
        entries = [_timeline_entry(record) for record in selectors.timeline_entries_for(page_obj.object_list)]

    years = year_options(TimelineEvent.objects.published(), "happened_on")
    update_years = year_options(
        PilotUpdate.objects.published().filter(pilot__publication_status=PublicationStatus.PUBLISHED), "happened_on"
    )
    year_choices = sorted(set(years) | set(update_years), reverse=True)
    fields = filter_fields(update_filter, TIMELINE_FILTERS, labels={"year": "Year"}, choices={"year": year_choices})
    context = {
        "nav_section": "timeline",
        "crumbs": [("Timeline", None)],
        "entries": entries,
        "page_obj": page_obj,
        "querystring": params.urlencode(),
        "valid": valid,
        "updates_only": updates_only,
        "filter_fields": fields,
        "errors": error_summary(fields),
        "filtered": _active_filters(request, TIMELINE_FILTERS),
        **download_links(request, "pilot-updates"),
    }
    return render(request, "pilots/timeline.html", context, status=200 if valid else 400)
