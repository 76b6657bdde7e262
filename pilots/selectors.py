"""Read paths for pilots and the timeline: only published records, with related rows fetched up
front so that a page's query count does not grow with the data."""

import datetime

from django.db.models import Case, CharField, Exists, F, IntegerField, OuterRef, Prefetch, QuerySet, Value, When

from portal.models import PublicationStatus
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
    """A pilot's public page: participants and published sources fetched up front."""
    return Pilot.objects.published().prefetch_related(participants_prefetch(), published_sources_prefetch())


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


def published_updates_of_borough(authority) -> QuerySet[PilotUpdate]:
    """Published updates of the published pilots an authority takes part in, newest first."""
    return published_updates().filter(
        Exists(PilotParticipant.objects.filter(pilot=OuterRef("pilot_id"), authority=authority))
    )


def timeline_entry_keys(events: QuerySet[TimelineEvent] | None, updates: QuerySet[PilotUpdate]) -> QuerySet:
    """One ordered, paginatable query over timeline events and pilot updates together.

    Rows are ``(kind, id, happened_on, undated)`` tuples, oldest first and undated updates last; on the
    same day an event (London-wide) comes before a pilot's update. ``events`` may be None (updates only).
    Fetch the rows of one page with ``timeline_entries_for()``.
    """
    update_keys = (
        updates.order_by()
        .select_related(None)
        .prefetch_related(None)
        .annotate(
            kind=Value("update", output_field=CharField()),
            undated=Case(When(happened_on__isnull=True, then=Value(1)), default=Value(0), output_field=IntegerField()),
        )
        .values_list("kind", "id", "happened_on", "undated")
    )
    if events is None:
        return update_keys.order_by("undated", "happened_on", "kind", "id")
    event_keys = (
        events.order_by()
        .prefetch_related(None)
        .annotate(
            kind=Value("event", output_field=CharField()),
            undated=Value(0, output_field=IntegerField()),
        )
        .values_list("kind", "id", "happened_on", "undated")
    )
    return event_keys.union(update_keys, all=True).order_by("undated", "happened_on", "kind", "id")


def timeline_entries_for(keys) -> list[TimelineEvent | PilotUpdate]:
    """The records behind one page of ``timeline_entry_keys()``, in the same order (at most 4 queries)."""
    keys = list(keys)
    event_ids = [pk for kind, pk, *_ in keys if kind == "event"]
    update_ids = [pk for kind, pk, *_ in keys if kind == "update"]
    events = (
        TimelineEvent.objects.filter(pk__in=event_ids).prefetch_related(published_sources_prefetch())
        if event_ids
        else []
    )
    updates = (
        PilotUpdate.objects.filter(pk__in=update_ids)
        .select_related("pilot")
        .prefetch_related(published_sources_prefetch())
        if update_ids
        else []
    )
    found = {("event", item.pk): item for item in events} | {("update", item.pk): item for item in updates}
    return [found[(kind, pk)] for kind, pk, *_ in keys if (kind, pk) in found]
