"""Filters for the pilot list, the timeline and the exports built on them."""

import django_filters
from django.db.models import Exists, OuterRef, Q, QuerySet

from boroughs.filters import IcsCodeFilter
from boroughs.models import LocalAuthority
from core.filters import PortalFilterSet, YearFilter

from .models import Pilot, PilotParticipant, PilotUpdate, TimelineEntry, TimelineEvent


class AuthoritySlugFilter(django_filters.ModelChoiceFilter):
    """``?borough=hackney``: an authority by its slug."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", LocalAuthority.objects.order_by("name"))
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", "Borough")
        super().__init__(*args, **kwargs)


class PilotSlugFilter(django_filters.ModelChoiceFilter):
    """``?pilot=north-central-london-estates``: a published pilot by its slug."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", Pilot.objects.public().order_by("title"))
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("label", "Pilot")
        super().__init__(*args, **kwargs)


def _pilots_involving(field: str, value) -> Exists:
    """Pilots with a participant matching ``field=value``, as a subquery, so no row is duplicated."""
    return Exists(PilotParticipant.objects.filter(pilot=OuterRef("pk"), **{field: value}))


class PilotFilter(PortalFilterSet):
    theme = django_filters.ChoiceFilter(choices=Pilot.Theme.choices)
    status = django_filters.ChoiceFilter(choices=Pilot.Status.choices)
    ics = IcsCodeFilter(method="filter_ics")
    borough = AuthoritySlugFilter(method="filter_borough")
    year = YearFilter(field_name="announced_on", label="Year announced")

    class Meta:
        model = Pilot
        fields = ["theme", "status", "ics", "borough", "year"]

    def filter_ics(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(_pilots_involving("authority__ics", value))

    def filter_borough(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(_pilots_involving("authority", value))


class PilotUpdateFilter(PortalFilterSet):
    pilot = PilotSlugFilter(field_name="pilot")
    borough = AuthoritySlugFilter(method="filter_borough")
    year = YearFilter(field_name="happened_on")
    status_after = django_filters.ChoiceFilter(choices=Pilot.Status.choices, label="Status after")

    class Meta:
        model = PilotUpdate
        fields = ["pilot", "borough", "year", "status_after"]

    def filter_borough(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset.filter(Exists(PilotParticipant.objects.filter(pilot=OuterRef("pilot_id"), authority=value)))


class PilotParticipantFilter(PortalFilterSet):
    pilot = PilotSlugFilter(field_name="pilot")
    borough = AuthoritySlugFilter(field_name="authority")
    ics = IcsCodeFilter(field_name="authority__ics")

    class Meta:
        model = PilotParticipant
        fields = ["pilot", "borough", "ics"]


class TimelineEventFilter(PortalFilterSet):
    year = YearFilter(field_name="happened_on")

    class Meta:
        model = TimelineEvent
        fields = ["year"]


class TimelineFilter(PortalFilterSet):
    """The timeline: events and pilot updates together (``TimelineEntry``)."""

    year = YearFilter(field_name="happened_on", label="Year")
    pilot = PilotSlugFilter(method="filter_pilot")
    borough = AuthoritySlugFilter(method="filter_borough")

    class Meta:
        model = TimelineEntry
        fields = ["year", "pilot", "borough"]

    # Each condition names the kind it is for: in each half of the view the database then drops the
    # other kind's condition as false, and reads the half through its own indexes.
    updates, events = Q(kind=TimelineEntry.Kind.UPDATE), Q(kind=TimelineEntry.Kind.EVENT)

    def filter_pilot(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """The pilot's updates, and the events linked to the pilot (by their entries' ids, which SQLite
        looks up in both halves' keys, where an EXISTS on the event would read every update)."""
        linked = TimelineEvent.pilots.through.objects.filter(pilot=value).values("timelineevent_id")
        entries = TimelineEntry.objects.filter(self.events, event_id__in=linked).values("pk")
        return queryset.filter((self.updates & Q(pilot=value)) | (self.events & Q(pk__in=entries)))

    def filter_borough(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Updates of the pilots the borough takes part in, events linked to the borough, and London-wide
        events (they concern every borough)."""
        takes_part = Q(pilot__in=PilotParticipant.objects.filter(authority=value).values("pilot_id"))
        linked = TimelineEvent.authorities.through.objects.filter(localauthority=value).values("timelineevent_id")
        london_wide = TimelineEvent.objects.filter(london_wide=True).values("pk")
        concerned = Q(event__in=linked) | Q(event__in=london_wide)
        return queryset.filter((self.updates & takes_part) | (self.events & concerned))
