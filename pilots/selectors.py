"""Read paths for pilots and the timeline: only published records, with related rows fetched up
front so that a page's query count does not grow with the data."""

from django.db.models import F, Prefetch, QuerySet

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
    return Pilot.objects.published().prefetch_related(participants_prefetch()).order_by("title")


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
