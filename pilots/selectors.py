"""Read paths for pilots and the timeline: only published records, with related rows fetched up
front so that a page's query count does not grow with the data."""

import datetime
import heapq

from django.db import connection
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from core.models import PublicationStatus
from sources.models import Source

from .models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent


def published_sources_prefetch(lookup: str = "sources") -> Prefetch:
    return Prefetch(lookup, queryset=Source.objects.published().order_by("published_on", "title"))


def participants_prefetch(lookup: str = "participants") -> Prefetch:
    return Prefetch(
        lookup, queryset=PilotParticipant.objects.select_related("authority__ics").order_by("authority__name")
    )


def published_pilots() -> QuerySet[Pilot]:
    return Pilot.objects.published().prefetch_related(participants_prefetch()).order_by("title", "id")


def published_updates() -> QuerySet[PilotUpdate]:
    """Published updates of published pilots, newest first; undated ones last."""
    return (
        PilotUpdate.objects.published()
        .filter(pilot__publication_status=PublicationStatus.PUBLISHED)
        .select_related("pilot")
        .prefetch_related(published_sources_prefetch())
        .order_by(F("happened_on").desc(nulls_last=True), "-id")
    )


def published_participants() -> QuerySet[PilotParticipant]:
    return (
        PilotParticipant.objects.filter(pilot__publication_status=PublicationStatus.PUBLISHED)
        .select_related("pilot", "authority__ics")
        .order_by("pilot__slug", "authority__gss_code")
    )


def published_timeline_events() -> QuerySet[TimelineEvent]:
    return (
        TimelineEvent.objects.published().prefetch_related(published_sources_prefetch()).order_by("happened_on", "id")
    )


# --- Public pilot pages, timeline and feeds -----------------------------------------------------


def published_pilot_for_page() -> QuerySet[Pilot]:
    """A pilot's public page: participants, published sources and the status's source fetched up front."""
    return (
        Pilot.objects.published()
        .select_related("status_source")
        .prefetch_related(participants_prefetch(), published_sources_prefetch())
    )


def published_updates_of(pilot: Pilot) -> QuerySet[PilotUpdate]:
    """A pilot's published updates for its tracking timeline: oldest first, undated ones last."""
    return (
        PilotUpdate.objects.published()
        .filter(pilot=pilot)
        .prefetch_related(published_sources_prefetch())
        .order_by(F("happened_on").asc(nulls_last=True), "id")
    )


def updates_latest_change(updates) -> datetime.datetime | None:
    """When any of these updates last changed, from their history, in one query (None if no history)."""
    ids = [update.pk for update in updates if update.pk]
    if not ids:
        return None
    return (
        PilotUpdate.history.filter(id__in=ids).order_by("-history_date").values_list("history_date", flat=True).first()
    )


def _one_row(parts: list[str], params: list) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        return cursor.fetchone()


def capped_counts(querysets: list[QuerySet], cap: int) -> list[int]:
    """How many rows each queryset has, counting at most ``cap + 1`` of each, in one query."""
    parts, params = [], []
    for number, queryset in enumerate(querysets):
        sql, query_params = queryset.order_by().values("pk")[: cap + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped_{number})")
        params.extend(query_params)
    return [int(value) for value in _one_row(parts, params)]


def years_with(querysets: list[tuple[QuerySet, str]], first: int, last: int) -> list[int]:
    """The years from ``first`` to ``last`` in which any of the querysets has a row with its date field
    in that year, newest first, in one query of one EXISTS per year and queryset: each an index probe
    where a DISTINCT over the years would read every row."""
    parts, params, years = [], [], list(range(last, first - 1, -1))
    if not years:
        return []
    for year in years:
        exists = []
        for queryset, field in querysets:
            in_year = queryset.order_by().filter(
                **{f"{field}__gte": datetime.date(year, 1, 1), f"{field}__lt": datetime.date(year + 1, 1, 1)}
            )
            sql, query_params = in_year.values("pk")[:1].query.sql_with_params()
            exists.append(f"EXISTS ({sql})")
            params.extend(query_params)
        parts.append("(" + " OR ".join(exists) + ")")
    return [year for year, found in zip(years, _one_row(parts, params), strict=True) if found]


def published_updates_of_borough(authority) -> QuerySet[PilotUpdate]:
    """Published updates of the published pilots an authority takes part in, newest first."""
    return published_updates().filter(
        Exists(PilotParticipant.objects.filter(pilot=OuterRef("pilot_id"), authority=authority))
    )


class TimelineKeys:
    """Timeline events and pilot updates together, as one ordered, sliceable sequence of keys.

    Keys are ``(kind, id, happened_on)``: oldest first, undated updates last; on the same day an event
    (London-wide) comes before a pilot's update, then by id. ``events`` may be None (updates only).
    A slice reads at most ``stop`` keys of each kind, each in an order an index serves (updates by
    (publication_status, happened_on, id)), and merges them, so page 1 never sorts every update.
    ``count()`` is exact up to ``cap`` (see ``count_is_capped``). Fetch the rows of a page of keys with
    ``timeline_entries_for()``.
    """

    def __init__(self, events: QuerySet[TimelineEvent] | None, updates: QuerySet[PilotUpdate], cap: int):
        self.events = events
        self.updates = updates
        self.cap = cap
        self.count_is_capped = False
        self._count: int | None = None

    def _event_keys(self, stop: int) -> list[tuple]:
        if self.events is None:
            return []
        rows = self.events.prefetch_related(None).order_by("happened_on", "id").values_list("id", "happened_on")[:stop]
        return [("event", pk, day) for pk, day in rows]

    def _update_keys(self, stop: int) -> list[tuple]:
        rows = (
            self.updates.select_related(None)
            .prefetch_related(None)
            .order_by(F("happened_on").asc(nulls_last=True), "id")
            .values_list("id", "happened_on")[:stop]
        )
        return [("update", pk, day) for pk, day in rows]

    @staticmethod
    def order_key(key: tuple) -> tuple:
        kind, pk, day = key
        return (day is None, day or datetime.date.min, kind, pk)

    def count(self) -> int:
        """Entries, each kind counted only up to ``cap`` (one query): counting a million updates takes
        longer than the whole page should. ``count_is_capped`` says whether there are more."""
        if self._count is None:
            querysets = [self.updates] if self.events is None else [self.events, self.updates]
            total = sum(capped_counts(querysets, self.cap))
            self.count_is_capped = total > self.cap
            self._count = min(total, self.cap)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __iter__(self):
        return iter(self[0:None])

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop
        merged = heapq.merge(self._event_keys(stop), self._update_keys(stop), key=self.order_key)
        return list(merged)[start:stop]


def timeline_entry_keys(
    events: QuerySet[TimelineEvent] | None, updates: QuerySet[PilotUpdate], cap: int = 10_000
) -> TimelineKeys:
    """One ordered, paginatable sequence of timeline events and pilot updates (see ``TimelineKeys``)."""
    return TimelineKeys(events, updates, cap)


def _sources_by_owner(through, owner_field: str, ids: list[int]) -> dict[int, list[Source]]:
    """Published sources of each owner, ordered as ``published_sources_prefetch``; one query, always run."""
    links = (
        through.objects.filter(
            **{f"{owner_field}__in": ids or [0]}, source__publication_status=PublicationStatus.PUBLISHED
        )
        .select_related("source")
        .order_by("source__published_on", "source__title", "source_id")
    )
    found: dict[int, list[Source]] = {}
    for link in links:
        found.setdefault(getattr(link, f"{owner_field}_id"), []).append(link.source)
    return found


def timeline_entries_for(keys) -> list[tuple[TimelineEvent | PilotUpdate, list[Source]]]:
    """The records behind one page of ``timeline_entry_keys()``, in the same order, each with its
    published sources: always 4 queries, whatever kinds the page holds, so the count never varies."""
    keys = list(keys)
    event_ids = [pk for kind, pk, *_ in keys if kind == "event"]
    update_ids = [pk for kind, pk, *_ in keys if kind == "update"]
    events = TimelineEvent.objects.filter(pk__in=event_ids or [0])
    updates = PilotUpdate.objects.filter(pk__in=update_ids or [0]).select_related("pilot")
    found = {("event", item.pk): item for item in events} | {("update", item.pk): item for item in updates}
    sources = {
        "event": _sources_by_owner(TimelineEvent.sources.through, "timelineevent", event_ids),
        "update": _sources_by_owner(PilotUpdate.sources.through, "pilotupdate", update_ids),
    }
    return [(found[(kind, pk)], sources[kind].get(pk, [])) for kind, pk, *_ in keys if (kind, pk) in found]


# --- Timeline events shown on the pages of what they concern ------------------------------------


def _linked(through_field: str, **filters) -> Exists:
    through = getattr(TimelineEvent, through_field).through
    return Exists(through.objects.filter(timelineevent=OuterRef("pk"), **filters))


def published_events_of_pilot(pilot: Pilot) -> QuerySet[TimelineEvent]:
    """Published events linked to a pilot, oldest first, each with its published sources."""
    return published_timeline_events().filter(_linked("pilots", pilot=pilot))


def published_events_of_authority(authority) -> QuerySet[TimelineEvent]:
    """London-wide events and those linked to the authority, newest first."""
    return (
        published_timeline_events()
        .filter(Q(london_wide=True) | _linked("authorities", localauthority=authority))
        .order_by("-happened_on", "-id")
    )


def published_events_of_ics(ics) -> QuerySet[TimelineEvent]:
    """Events linked to an integrated care system, newest first."""
    return (
        published_timeline_events()
        .filter(_linked("integrated_care_systems", integratedcaresystem=ics))
        .order_by("-happened_on", "-id")
    )


def published_events_of_place(place) -> QuerySet[TimelineEvent]:
    """Events linked to a place partnership's authorities or to its ICS, newest first."""
    return (
        published_timeline_events()
        .filter(
            _linked("authorities", localauthority__place_partnership=place)
            | _linked("integrated_care_systems", integratedcaresystem=place.ics_id)
        )
        .order_by("-happened_on", "-id")
    )


def events_latest_change(events) -> datetime.datetime | None:
    """When any of these events last changed, from their history, in one query (None if no history)."""
    ids = [event.pk for event in events]
    if not ids:
        return None
    return (
        TimelineEvent.history.filter(id__in=ids)
        .order_by("-history_date")
        .values_list("history_date", flat=True)
        .first()
    )
