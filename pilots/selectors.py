"""Read paths for pilots and the timeline: only published records, with related rows fetched up
front so that a page's query count does not grow with the data."""

import datetime

from django.db import connection, connections
from django.db.models import Exists, F, OuterRef, Prefetch, Q, QuerySet

from core.models import public_condition
from sources.models import Source

from .models import Pilot, PilotParticipant, PilotUpdate, TimelineEntry, TimelineEvent


def published_sources_prefetch(lookup: str = "sources") -> Prefetch:
    return Prefetch(lookup, queryset=Source.objects.public().order_by("published_on", "title"))


def participants_prefetch(lookup: str = "participants") -> Prefetch:
    return Prefetch(
        lookup, queryset=PilotParticipant.objects.select_related("authority__ics").order_by("authority__name")
    )


def published_pilots() -> QuerySet[Pilot]:
    return Pilot.objects.public().prefetch_related(participants_prefetch()).order_by("title", "id")


def published_updates(*, parents_as_exists: bool = False) -> QuerySet[PilotUpdate]:
    """Published updates of published pilots, newest first; undated ones last. ``parents_as_exists`` for
    a page that reads only the first few: the pilot's state probed per update (``public()``), so that
    the newest-first index is read in order, where a join lets SQLite start from the pilots and sort
    every update."""
    return (
        PilotUpdate.objects.public(parents_as_exists=parents_as_exists)
        .select_related("pilot")
        .prefetch_related(published_sources_prefetch())
        .order_by(F("happened_on").desc(nulls_last=True), "-id")
    )


def published_participants() -> QuerySet[PilotParticipant]:
    return (
        PilotParticipant.objects.public()
        .select_related("pilot", "authority__ics")
        .order_by("pilot__slug", "authority__gss_code")
    )


def pilot_gss_codes() -> frozenset[str]:
    """The GSS codes of the authorities taking part in any published pilot (one query), for the maps."""
    return frozenset(published_participants().order_by().values_list("authority__gss_code", flat=True).distinct())


def published_timeline_events() -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.public().prefetch_related(published_sources_prefetch()).order_by("happened_on", "id")


def timeline_entries() -> QuerySet[TimelineEntry]:
    """The timeline: public events and updates together, oldest first, undated updates last; on the same
    day an event before an update (an event's id is below every update's), then by id. The view's own
    order columns, so each half is read in the order of its index (migration 0006), not sorted."""
    return TimelineEntry.objects.public().order_by("undated", "happened_on", "id")


# --- Public pilot pages, timeline and feeds -----------------------------------------------------


def published_pilot_for_page() -> QuerySet[Pilot]:
    """A pilot's public page: participants, published sources and the status's source fetched up front."""
    return (
        Pilot.objects.public()
        .select_related("status_source")
        .prefetch_related(participants_prefetch(), published_sources_prefetch())
    )


def published_updates_of(pilot: Pilot) -> QuerySet[PilotUpdate]:
    """A pilot's published updates for its tracking timeline: oldest first, undated ones last."""
    return (
        PilotUpdate.objects.public()
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


def capped_counts(querysets: list[QuerySet], cap: int | None) -> list[int]:
    """How many rows each queryset has, counting at most ``cap + 1`` of each (every row if ``cap`` is
    None), in one query."""
    parts, params = [], []
    for number, queryset in enumerate(querysets):
        rows = queryset.order_by().values("pk")
        sql, query_params = (rows if cap is None else rows[: cap + 1]).query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) capped_{number})")
        params.extend(query_params)
    return [int(value) for value in _one_row(parts, params)]


# Stand-ins for a year's first and last day while a probe's SQL is built once (see ``years_with``).
_FROM, _UNTIL = datetime.date(1, 1, 1), datetime.date(1, 1, 2)


def years_with(querysets: list[tuple[QuerySet, str]], first: int, last: int) -> list[int]:
    """The years from ``first`` to ``last`` in which any of the querysets has a row with its date field
    in that year, newest first, in one query of one EXISTS per year and queryset: each an index probe
    where a DISTINCT over the years would read every row. Each probe's SQL is built once, with stand-in
    dates that each year's own replace (building a queryset per year and probe cost more than the query)."""
    years = list(range(last, first - 1, -1))
    if not years:
        return []
    probes = []
    for queryset, field in querysets:
        in_year = queryset.order_by().filter(**{f"{field}__gte": _FROM, f"{field}__lt": _UNTIL})
        sql, query_params = in_year.values("pk")[:1].query.sql_with_params()
        adapt = connections[queryset.db].ops.adapt_datefield_value
        probes.append((f"EXISTS ({sql})", query_params, adapt))
    parts, params = [], []
    for year in years:
        parts.append("(" + " OR ".join(sql for sql, _, _ in probes) + ")")
        for _, query_params, adapt in probes:
            days = {adapt(_FROM): adapt(datetime.date(year, 1, 1)), adapt(_UNTIL): adapt(datetime.date(year + 1, 1, 1))}
            params.extend(days.get(value, value) for value in query_params)
    return [year for year, found in zip(years, _one_row(parts, params), strict=True) if found]


def published_updates_of_borough(authority) -> QuerySet[PilotUpdate]:
    """Published updates of the published pilots an authority takes part in, newest first: read in the
    newest-first index, each update's pilot and participation probed (EXISTS), so that the first page
    does not read every update of every pilot the authority takes part in."""
    return published_updates(parents_as_exists=True).filter(
        Exists(PilotParticipant.objects.filter(pilot=OuterRef("pilot_id"), authority=authority))
    )


def published_participations_of(authority) -> QuerySet[PilotParticipant]:
    """An authority's places in published pilots, by the pilot's title."""
    return (
        PilotParticipant.objects.public()
        .filter(authority=authority)
        .select_related("pilot")
        .order_by("pilot__title", "pilot_id")
    )


def published_pilots_involving_ics(ics) -> QuerySet[Pilot]:
    """Published pilots in which at least one authority of ``ics`` takes part, by title."""
    return published_pilots().filter(Exists(PilotParticipant.objects.filter(pilot=OuterRef("pk"), authority__ics=ics)))


def published_updates_citing(source: Source) -> QuerySet[PilotUpdate]:
    """Published updates of published pilots that cite ``source``, by pilot, then oldest first."""
    return (
        PilotUpdate.objects.public()
        .filter(sources=source)
        .select_related("pilot")
        .order_by("pilot__title", "happened_on", "id")
    )


def _sources_by_owner(through, owner_field: str, ids: list[int]) -> dict[int, list[Source]]:
    """Published sources of each owner, ordered as ``published_sources_prefetch``; one query, always run."""
    links = (
        through.objects.filter(public_condition(Source, via="source"), **{f"{owner_field}__in": ids or [0]})
        .select_related("source")
        .order_by("source__published_on", "source__title", "source_id")
    )
    found: dict[int, list[Source]] = {}
    for link in links:
        found.setdefault(getattr(link, f"{owner_field}_id"), []).append(link.source)
    return found


def timeline_entries_for(
    entries: list[TimelineEntry],
) -> list[tuple[TimelineEvent | PilotUpdate, list[Source]]]:
    """The records behind one page of ``timeline_entries()``, in the same order, each with its
    published sources: always 4 queries, whatever kinds the page holds, so the count never varies."""
    keys = [(entry.kind, entry.record_id) for entry in entries]
    event_ids = [pk for kind, pk in keys if kind == TimelineEntry.Kind.EVENT]
    update_ids = [pk for kind, pk in keys if kind == TimelineEntry.Kind.UPDATE]
    events = TimelineEvent.objects.filter(pk__in=event_ids or [0])
    updates = PilotUpdate.objects.filter(pk__in=update_ids or [0]).select_related("pilot")
    found = {("event", item.pk): item for item in events} | {("update", item.pk): item for item in updates}
    sources = {
        "event": _sources_by_owner(TimelineEvent.sources.through, "timelineevent", event_ids),
        "update": _sources_by_owner(PilotUpdate.sources.through, "pilotupdate", update_ids),
    }
    return [(found[(kind, pk)], sources[kind].get(pk, [])) for kind, pk in keys if (kind, pk) in found]


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
