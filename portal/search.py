"""Site search: one query box, results grouped by kind (pilots, pilot updates, boroughs, integrated
care systems, place partnerships, sources). Published records only.

On PostgreSQL the search is full text (``django.contrib.postgres.search``): a weighted search vector
(A: name or title, B: summary or body, C: the rest), a ``websearch`` query in the "english"
configuration, ranked. On SQLite it falls back to case-insensitive ``icontains`` on the same fields,
every word of the query matching at least one of them, ordered by name or title.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import and_, or_
from typing import Any

from django import forms
from django.db import connection
from django.db.models import Q, QuerySet

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from pilots.models import Pilot, PilotUpdate
from portal.models import PublicationStatus
from sources.models import Source

MAX_QUERY_LENGTH = 200
RESULTS_PER_GROUP = 20


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search the portal",
        max_length=MAX_QUERY_LENGTH,
        required=False,
        strip=True,
        error_messages={
            "max_length": f"Search for {MAX_QUERY_LENGTH} characters or fewer",
            "null_characters_not_allowed": "Search terms must not contain null characters",
        },
    )


@dataclass(frozen=True)
class SearchKind:
    """One group of results: which records, which fields carry which weight, how to order them."""

    key: str
    heading: str
    weighted_fields: dict[str, tuple[str, ...]]  # weight letter -> field names
    order_by: tuple[str, ...]
    select_related: tuple[str, ...] = ()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for names in self.weighted_fields.values() for name in names)


@dataclass
class ResultGroup:
    key: str
    heading: str
    count: int
    results: list = field(default_factory=list)

    @property
    def truncated(self) -> bool:
        return self.count > len(self.results)


def _published_pilots() -> QuerySet:
    return Pilot.objects.published()


def _published_updates() -> QuerySet:
    return PilotUpdate.objects.published().filter(pilot__publication_status=PublicationStatus.PUBLISHED)


def _published_sources() -> QuerySet:
    return Source.objects.published()


KINDS: tuple[tuple[SearchKind, Any], ...] = (
    (
        SearchKind(
            "pilots",
            "Pilots",
            {"A": ("title",), "B": ("summary",), "C": ("aims", "theme")},
            ("title",),
        ),
        _published_pilots,
    ),
    (
        SearchKind(
            "updates",
            "Pilot updates",
            {"A": ("title",), "B": ("body",), "C": ("quotation", "quotation_by")},
            ("title", "id"),
            ("pilot",),
        ),
        _published_updates,
    ),
    (
        SearchKind(
            "boroughs",
            "Boroughs",
            {"A": ("name",), "B": ("description",), "C": ("gss_code",)},
            ("name",),
            ("ics",),
        ),
        LocalAuthority.objects.all,
    ),
    (
        SearchKind(
            "ics",
            "Integrated care systems",
            {"A": ("name", "code"), "B": ("icb_name", "earlier_partnership_name"), "C": ("description",)},
            ("name",),
        ),
        IntegratedCareSystem.objects.all,
    ),
    (
        SearchKind(
            "places",
            "Place partnerships",
            {"A": ("name",), "B": ("description",)},
            ("name",),
            ("ics",),
        ),
        PlacePartnership.objects.all,
    ),
    (
        SearchKind(
            "sources",
            "Sources",
            {"A": ("title",), "B": ("summary",), "C": ("author", "publisher")},
            ("title",),
        ),
        _published_sources,
    ),
)


def _search_postgresql(kind: SearchKind, queryset: QuerySet, query: str) -> tuple[QuerySet, QuerySet]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

    vector = reduce(
        lambda left, right: left + right,
        (
            SearchVector(name, weight=weight, config="english")
            for weight, names in kind.weighted_fields.items()
            for name in names
        ),
    )
    search_query = SearchQuery(query, search_type="websearch", config="english")
    matches = queryset.annotate(search=vector).filter(search=search_query)
    ranked = matches.annotate(rank=SearchRank(vector, search_query)).order_by("-rank", *kind.order_by)
    return matches, ranked


def _search_simple(kind: SearchKind, queryset: QuerySet, query: str) -> tuple[QuerySet, QuerySet]:
    words = query.split()
    condition = reduce(
        and_,
        (reduce(or_, (Q(**{f"{name}__icontains": word}) for name in kind.fields)) for word in words),
    )
    matches = queryset.filter(condition)
    return matches, matches.order_by(*kind.order_by)


def search(query: str, limit: int = RESULTS_PER_GROUP) -> list[ResultGroup]:
    """Every kind's matches for ``query`` (already validated and stripped): a count and the top ``limit``."""
    if not query:
        return []
    backend = _search_postgresql if connection.vendor == "postgresql" else _search_simple
    groups = []
    for kind, base in KINDS:
        queryset = base()
        if kind.select_related:
            queryset = queryset.select_related(*kind.select_related)
        matches, ordered = backend(kind, queryset, query)
        results = list(ordered[:limit])
        count = len(results) if len(results) < limit else matches.count()
        groups.append(ResultGroup(key=kind.key, heading=kind.heading, count=count, results=results))
    return groups
