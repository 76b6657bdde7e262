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
    more: bool = False  # more than ``count`` matches (the count stops at COUNT_CAP)

    @property
    def count_text(self) -> str:
        return f"{self.count:,}"

    @property
    def truncated(self) -> bool:
        return self.count > len(self.results)


KINDS: tuple[tuple[SearchKind, Any], ...] = (
    (
        SearchKind(
            "pilots",
            "Pilots",
            {"A": ("title",), "B": ("summary",), "C": ("aims", "theme")},
            ("title",),
        ),
        Pilot.objects.public,
    ),
    (
        SearchKind(
            "updates",
            "Pilot updates",
            {"A": ("title",), "B": ("body",), "C": ("quotation", "quotation_by")},
            ("title", "id"),
            ("pilot",),
        ),
        PilotUpdate.objects.public,
    ),
    (
        SearchKind(
            "boroughs",
            "Boroughs",
            {"A": ("name",), "B": ("description",), "C": ("gss_code",)},
            ("name",),
            ("ics",),
        ),
        LocalAuthority.objects.public,
    ),
    (
        SearchKind(
            "ics",
            "Integrated care systems",
            {"A": ("name", "code"), "B": ("icb_name", "earlier_partnership_name"), "C": ("description",)},
            ("name",),
        ),
        IntegratedCareSystem.objects.public,
    ),
    (
        SearchKind(
            "places",
            "Place partnerships",
            {"A": ("name",), "B": ("description",)},
            ("name",),
            ("ics",),
        ),
        PlacePartnership.objects.public,
    ),
    (
        SearchKind(
            "sources",
            "Sources",
            {"A": ("title",), "B": ("summary",), "C": ("author", "publisher")},
            ("title",),
        ),
        Source.objects.public,
    ),
)


# Each group shows its best RESULTS_PER_GROUP; on PostgreSQL they are ranked among at most
# RANK_CANDIDATES matches (all of them for any but the commonest words), and a group's count is exact
# up to COUNT_CAP ("more than 1,000" beyond), so no search reads a million rows.
RANK_CANDIDATES = 500
COUNT_CAP = 1000


def search_vector(weighted_fields: dict[str, tuple[str, ...]]):
    """The weighted full-text vector of a kind's fields (PostgreSQL). The GIN indexes that the pilots and
    sources migrations create spell out this same expression in SQL, so the planner can use them
    (tests/portal/test_search.py checks that it does)."""
    from django.contrib.postgres.search import SearchVector

    return reduce(
        lambda left, right: left + right,
        (
            SearchVector(name, weight=weight, config="english")
            for weight, names in weighted_fields.items()
            for name in names
        ),
    )


def _search_postgresql(kind: SearchKind, queryset: QuerySet, query: str) -> tuple[QuerySet, QuerySet]:
    from django.contrib.postgres.search import SearchQuery, SearchRank

    vector = search_vector(kind.weighted_fields)
    search_query = SearchQuery(query, search_type="websearch", config="english")
    matches = queryset.annotate(search=vector).filter(search=search_query)
    # Rank a bounded set of candidates, found through the GIN index, not every match.
    candidates = matches.order_by().values("pk")[:RANK_CANDIDATES]
    ranked = (
        queryset.filter(pk__in=candidates)
        .annotate(rank=SearchRank(vector, search_query))
        .order_by("-rank", *kind.order_by)
    )
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
        count = len(results) if len(results) < limit else matches.order_by()[: COUNT_CAP + 1].count()
        groups.append(
            ResultGroup(
                key=kind.key,
                heading=kind.heading,
                count=min(count, COUNT_CAP),
                results=results,
                more=count > COUNT_CAP,
            )
        )
    return groups
