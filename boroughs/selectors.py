"""Read paths for the areas: querysets with their related rows fetched up front, so a page's
query count does not grow with the data."""

import re

from django.db.models import Count, Prefetch, QuerySet

from core.text import close_matches, normalise

from .models import LOCAL_AUTHORITY_GSS, IntegratedCareSystem, LocalAuthority, PlacePartnership

LOCAL_AUTHORITY_GSS_RE = re.compile(LOCAL_AUTHORITY_GSS)


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


def find_authorities(query: str) -> list[LocalAuthority]:
    """The authorities a resident most likely means by ``query`` (the borough finder): a GSS code, the
    name in any case, with or without "upon Thames" or "Royal Borough of", the start of a word of the
    name ("Kingston", "Barking"), or the name with a small typo ("lewisam"). Best first; empty if none."""
    query = query.strip()
    if LOCAL_AUTHORITY_GSS_RE.match(query.upper()):
        return list(authority_list().filter(gss_code=query.upper()))
    wanted = normalise(query)
    if not wanted:
        return []
    authorities = list(authority_list())
    names = {authority: normalise(authority.name) for authority in authorities}
    exact = [authority for authority, name in names.items() if name == wanted]
    if exact:
        return exact
    starting = [authority for authority, name in names.items() if f" {name}".find(f" {wanted}") >= 0]
    if starting:
        return starting
    return close_matches(wanted, {authority: authority.name for authority in authorities})
