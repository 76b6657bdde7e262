"""The public pilot pages: the list of pilots, each pilot's page with its tracking timeline, and the
London-wide timeline. Only published records are shown; every fact is shown with its sources."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from django.core.paginator import EmptyPage, InvalidPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from boroughs.models import LocalAuthority
from core.dates import is_older_than_years
from core.filters import FIRST_YEAR, LAST_YEAR, error_summary, filter_fields, year_options
from core.history import last_updated
from core.models import is_public
from datasets.definitions import DATASETS
from datasets.links import download_links
from datasets.query import build_rows
from pilots import selectors
from pilots.models import Pilot, PilotUpdate, TimelineEvent
from portal.glossary import GlossaryLinker
from portal.london_map import build_london_map

TIMELINE_PAGE_SIZE = 30
# The timeline counts its entries up to this many; beyond, it says "more than 10,000 entries" and
# pages with Previous and Next (an exact count of a million updates costs more than the page).
TIMELINE_COUNT_CAP = 10_000
PILOTS_PER_PAGE = 25
MAX_SQL_OFFSET = 2**63 - 1 - (TIMELINE_PAGE_SIZE + 1)  # OFFSET + LIMIT must fit a 64-bit integer
# How many of the timeline events linked to a pilot its page lists, oldest first; the timeline has them all.
PILOT_EVENT_LIMIT = 50


# --- Filter forms --------------------------------------------------------------------------------


def _active_filters(request: HttpRequest, names: list[str]) -> bool:
    return any(request.GET.get(name) for name in names)


# --- /pilots/ ------------------------------------------------------------------------------------

PILOT_FILTERS = ["theme", "status", "ics", "borough", "year"]


def pilot_list(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("page", None)
    rows = build_rows(DATASETS["pilots"], params)
    filterset, valid = rows.filterset, rows.is_valid
    page_obj = None
    if valid:
        # A page of the same rows, in the same order, as the CSV of these filters.
        paginator = Paginator(rows.queryset, PILOTS_PER_PAGE, allow_empty_first_page=True)
        try:
            page_obj = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404("No such page of the list of pilots.") from error
    fields = filter_fields(
        filterset, PILOT_FILTERS, choices={"year": year_options(Pilot.objects.public(), "announced_on")}
    )
    context = {
        "nav_section": "pilots",
        "crumbs": [("Pilots", None)],
        "pilots": list(page_obj.object_list) if page_obj else [],
        "page_obj": page_obj,
        "querystring": params.urlencode(),
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


# The pilot page says plainly when the evidence for a pilot's status is older than this.
STATUS_EVIDENCE_OLD_YEARS = 2


def status_context(pilot: Pilot, today: datetime.date) -> dict:
    """What the page says about the status: as of when, on whose word (a published source), and whether
    that evidence is more than two years old today."""
    source = pilot.status_source if pilot.status_source and is_public(pilot.status_source) else None
    old = bool(pilot.status_as_of) and is_older_than_years(
        pilot.status_as_of, pilot.status_as_of_precision, STATUS_EVIDENCE_OLD_YEARS, today
    )
    return {"status_source": source, "status_evidence_is_old": old, "status_old_years": STATUS_EVIDENCE_OLD_YEARS}


def pilot_page_context(pilot: Pilot, updates, events=()) -> dict:
    """Everything a pilot's page shows. The public view passes only published updates; the admin's
    draft preview may pass a draft pilot and its draft updates. Expects ``pilot.participants`` and each
    update's ``sources`` to be prefetched (see pilots.selectors) so the page's queries stay constant."""
    updates = list(updates)
    events = list(events[: PILOT_EVENT_LIMIT + 1]) if events else []
    more_events = len(events) > PILOT_EVENT_LIMIT
    events = events[:PILOT_EVENT_LIMIT]
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
    changed = [
        moment
        for moment in (
            last_updated(pilot),
            selectors.updates_latest_change(updates),
            selectors.events_latest_change(events),
        )
        if moment
    ]
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
        "events": events,
        "more_events_url": reverse("pilots:timeline") if more_events else "",
        "sources": sources,
        "last_updated": max(changed) if changed else None,
        "feed_url": feed_url,
        "glossary": GlossaryLinker(),
        **status_context(pilot, timezone.localdate()),
    }


def pilot_detail(request: HttpRequest, slug: str) -> HttpResponse:
    pilot = get_object_or_404(selectors.published_pilot_for_page(), slug=slug)
    context = pilot_page_context(
        pilot, selectors.published_updates_of(pilot), selectors.published_events_of_pilot(pilot)
    )
    return render(request, "pilots/pilot_detail.html", context)


# --- /timeline/ ----------------------------------------------------------------------------------

TIMELINE_FILTERS = ["year", "pilot", "borough"]


def _timeline_entry(record: TimelineEvent | PilotUpdate, sources: list) -> dict:
    if isinstance(record, TimelineEvent):
        return {
            "kind": "event",
            "anchor": f"event-{record.slug}",
            "record": record,
            "title": record.title,
            "text": record.description,
            "date": record.happened_on_display,
            "datetime": record.happened_on,
            "sources": sources,
        }
    return {
        "kind": "update",
        "anchor": f"update-{record.pilot.slug}-{record.slug}",
        "record": record,
        "title": record.title,
        "text": record.body,
        "date": record.happened_on_display,
        "datetime": record.happened_on,
        "pilot": record.pilot,
        "sources": sources,
    }


class OpenEndedPage:
    """A page of a list whose length is only known to be more than ``count`` (the count stops at a
    cap): Previous and Next, no last page. Page numbers past the end are a 404 (the page is empty)."""

    def __init__(self, items: list, number: int, per_page: int, count: int, has_next: bool):
        self.object_list = items
        self.number = number
        self.paginator = SimpleNamespace(
            count=count, count_text=f"{count:,}", more=True, per_page=per_page, num_pages=None
        )
        self._has_next = has_next

    def has_next(self) -> bool:
        return self._has_next

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.paginator.per_page + 1

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


def _timeline_page(entries, number: str):
    """The page of the timeline: Django's Paginator while the count is exact, else an open-ended page."""
    count = selectors.capped_counts([entries], TIMELINE_COUNT_CAP)[0]
    if count <= TIMELINE_COUNT_CAP:
        paginator = Paginator(entries, TIMELINE_PAGE_SIZE, allow_empty_first_page=True)
        paginator.count = count  # already counted, in the capped query
        paginator.more = False
        return paginator.page(number)
    try:
        number = int(number)
    except (TypeError, ValueError) as error:
        raise PageNotAnInteger("That page number is not an integer") from error
    if number < 1:
        raise EmptyPage("That page number is less than 1")
    start = (number - 1) * TIMELINE_PAGE_SIZE
    if start > MAX_SQL_OFFSET:  # beyond any table, and beyond what the database's OFFSET accepts
        raise InvalidPage("That page contains no results")
    items = list(entries[start : start + TIMELINE_PAGE_SIZE + 1])
    if not items and number > 1:
        raise InvalidPage("That page contains no results")
    return OpenEndedPage(
        items[:TIMELINE_PAGE_SIZE], number, TIMELINE_PAGE_SIZE, TIMELINE_COUNT_CAP, len(items) > TIMELINE_PAGE_SIZE
    )


def timeline(request: HttpRequest) -> HttpResponse:
    params = request.GET.copy()
    params.pop("page", None)
    rows = build_rows(DATASETS["timeline"], params)
    valid = rows.is_valid

    page_obj = None
    entries = []
    if valid:
        try:
            page_obj = _timeline_page(rows.queryset, request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404("No such page of the timeline.") from error
        entries = [
            _timeline_entry(record, sources)
            for record, sources in selectors.timeline_entries_for(list(page_obj.object_list))
        ]

    # The years of events and updates, in one query of index probes (not a DISTINCT over every update).
    year_choices = [
        (str(year), str(year))
        for year in selectors.years_with(
            [
                (TimelineEvent.objects.public(), "happened_on"),
                (PilotUpdate.objects.public(parents_as_exists=True), "happened_on"),
            ],
            FIRST_YEAR,
            LAST_YEAR,
        )
    ]
    # The pilots as (slug, title) pairs: a select of thousands of pilots need not build a model for each.
    pilot_choices = list(Pilot.objects.public().order_by("title", "id").values_list("slug", "title"))
    fields = filter_fields(rows.filterset, TIMELINE_FILTERS, choices={"year": year_choices, "pilot": pilot_choices})
    context = {
        "nav_section": "timeline",
        "crumbs": [("Timeline", None)],
        "entries": entries,
        "page_obj": page_obj,
        "querystring": params.urlencode(),
        "valid": valid,
        "filter_fields": fields,
        "errors": error_summary(fields),
        "filtered": _active_filters(request, TIMELINE_FILTERS),
        **download_links(request, "timeline"),
    }
    return render(request, "pilots/timeline.html", context, status=200 if valid else 400)
