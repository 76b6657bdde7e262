"""factory-boy factories for every model, for tests that need more data than ships (e.g. to show
that a page's query count does not grow with the data)."""

import datetime

import factory
from django.contrib.auth import get_user_model

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import KeyFigure, Source


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("a-long-test-password-123")


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"test-source-{n}")
    title = factory.Sequence(lambda n: f"Test source {n}")
    kind = Source.Kind.REPORT
    published_on = datetime.date(2020, 1, 1)
    published_on_precision = "year"
    url = factory.Sequence(lambda n: f"https://example.org/sources/{n}")
    publication_status = PublicationStatus.PUBLISHED


class IntegratedCareSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IntegratedCareSystem

    code = factory.Sequence(lambda n: f"T{chr(65 + n // 26 % 26)}{chr(65 + n % 26)}")
    name = factory.Sequence(lambda n: f"Test ICS {n}")
    icb_name = factory.LazyAttribute(lambda ics: f"NHS {ics.name} Integrated Care Board")
    icb_ods_code = factory.Sequence(lambda n: f"Q{chr(65 + n // 26 % 26)}{n % 10}")
    icb_gss_code = factory.Sequence(lambda n: f"E54{900000 + n:06d}")
    icb_established_on = datetime.date(2022, 7, 1)


class PlacePartnershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlacePartnership

    slug = factory.Sequence(lambda n: f"test-place-{n}")
    name = factory.Sequence(lambda n: f"Test place {n}")
    ics = factory.SubFactory(IntegratedCareSystemFactory)


class LocalAuthorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalAuthority

    gss_code = factory.Sequence(lambda n: f"E09{900000 + n:06d}")
    name = factory.Sequence(lambda n: f"Test borough {n}")
    slug = factory.Sequence(lambda n: f"test-borough-{n}")
    kind = LocalAuthority.Kind.LONDON_BOROUGH
    place_partnership = factory.SubFactory(PlacePartnershipFactory)
    ics = factory.SelfAttribute("place_partnership.ics")


class PilotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pilot
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"test-pilot-{n}")
    title = factory.Sequence(lambda n: f"Test pilot {n}")
    theme = Pilot.Theme.PREVENTION
    status = Pilot.Status.ANNOUNCED
    announced_on = datetime.date(2019, 1, 1)
    announced_on_precision = "year"
    summary = "A test pilot."
    publication_status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory()])


class PilotParticipantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotParticipant

    pilot = factory.SubFactory(PilotFactory)
    authority = factory.SubFactory(LocalAuthorityFactory)


class PilotUpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PilotUpdate
        skip_postgeneration_save = True

    pilot = factory.SubFactory(PilotFactory)
    slug = factory.Sequence(lambda n: f"test-update-{n}")
    happened_on = datetime.date(2019, 6, 1)
    happened_on_precision = "month"
    title = factory.Sequence(lambda n: f"Test update {n}")
    body = "Something happened."
    publication_status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory()])


class TimelineEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEvent
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"test-event-{n}")
    title = factory.Sequence(lambda n: f"Test event {n}")
    happened_on = datetime.date(2019, 1, 1)
    happened_on_precision = "year"
    description = "A test event."
    publication_status = PublicationStatus.PUBLISHED

    @factory.post_generation
    def sources(self, create, extracted, **kwargs):
        if create:
            self.sources.set(extracted or [SourceFactory()])


class KeyFigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = KeyFigure

    slug = factory.Sequence(lambda n: f"test-figure-{n}")
    label = factory.Sequence(lambda n: f"Test figure {n}")
    value = 42
    value_as_stated = "42"
    unit = KeyFigure.Unit.COUNT
    source = factory.SubFactory(SourceFactory)
    publication_status = PublicationStatus.PUBLISHED


def grow_data(times: int = 20) -> None:
    """Add ``times`` x the shipped volume of pilots, participants, updates, events, sources and figures."""
    authorities = list(LocalAuthority.objects.all())
    sources = SourceFactory.create_batch(times * 6)
    for n in range(times * 5):
        cited = [sources[n % len(sources)]]
        pilot = PilotFactory(sources=cited)
        for authority in authorities[n % 30 : n % 30 + 3]:
            PilotParticipantFactory(pilot=pilot, authority=authority)
        PilotUpdateFactory.create_batch(4, pilot=pilot, sources=cited)
    # Events linked as the shipped ones are: to pilots (the shipped ones too), authorities and ICSs, some London-wide.
    pilots = list(Pilot.objects.order_by("id"))
    systems = list(IntegratedCareSystem.objects.all())
    for n in range(times * 8):
        event = TimelineEventFactory(
            sources=[sources[n % len(sources)], sources[(n + 1) % len(sources)]], london_wide=n % 4 == 0
        )
        event.pilots.set([pilots[n % len(pilots)], pilots[(n * 7) % len(pilots)]])
        event.authorities.set(authorities[n % 30 : n % 30 + 2])
        event.integrated_care_systems.set([systems[n % len(systems)]])
    for n in range(times * 12):
        KeyFigureFactory(source=sources[n % len(sources)])
