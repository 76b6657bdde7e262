"""Read paths for the areas: querysets with their related rows fetched up front, so a page's
query count does not grow with the data."""

from django.db.models import Count, Prefetch, QuerySet

from .models import IntegratedCareSystem, LocalAuthority, PlacePartnership


def authority_list() -> QuerySet[LocalAuthority]:
    return LocalAuthority.objects.select_related("ics", "place_partnership").order_by("name")


def ics_list() -> QuerySet[IntegratedCareSystem]:
    return IntegratedCareSystem.objects.annotate(
        authority_count=Count("authorities", distinct=True),
        place_count=Count("place_partnerships", distinct=True),
    ).order_by("name")


def place_list() -> QuerySet[PlacePartnership]:
    return (
        PlacePartnership.objects.select_related("ics")
        .prefetch_related(Prefetch("authorities", queryset=LocalAuthority.objects.order_by("name")))
        .order_by("name")
    )
