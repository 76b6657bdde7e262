"""Site search: one query box, results grouped by kind (pilots, pilot updates, timeline events, boroughs,
integrated care systems, place partnerships, glossary terms, sources), each group with its count.
Public records only.

- **PostgreSQL**: full text (``django.contrib.postgres.search``): a weighted search vector (A: name or
  title, B: summary or body, C: the rest), a ``websearch`` query in the "english" configuration, ranked;
  for the kinds with short names (``SearchKind.fuzzy_field``) also ``pg_trgm`` word similarity to the
  name, so a typo ("Lewisam") still finds it. GIN indexes over the same vectors come from the pilots,
  sources and portal migrations.
- **SQLite**: an FTS5 index per kind (portal/migrations/0002_sqlite_search.py, kept up to date by
  triggers), with Porter stems and word prefixes, ranked by bm25 with the same weights; for the kinds
  with short names a fuzzy fallback (difflib, ``core.text.close_matches``) when the index finds nothing.
- On both, a query that names a kind itself ("ICS", "ICB", "boroughs") lists every record of it, and
  official codes (GSS, ODS) are searched with the names.

Every group costs the same few queries whatever the data, and no search reads every row of a large table:
a group is ranked among at most ``COUNT_CAP + 1`` index matches and its count stops at ``COUNT_CAP``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce

from django import forms
from django.db import connection
from django.db.models import Count, Q, QuerySet, Window

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.text import close_matches, normalise
from pilots.models import Pilot, PilotUpdate, TimelineEvent
from sources.models import GlossaryTerm, Source

MAX_QUERY_LENGTH = 200
RESULTS_PER_GROUP = 20
# bm25 weight of each weight letter on SQLite, like PostgreSQL's default {0.1, 0.2, 0.4, 1.0} for D..A.
FTS_WEIGHTS = {"A": 10.0, "B": 4.0, "C": 2.0}


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
    public: Callable[[], QuerySet]
    weighted_fields: dict[str, tuple[str, ...]]  # weight letter -> field names
    order_by: tuple[str, ...]
    select_related: tuple[str, ...] = ()
    # The name compared fuzzily (trigrams, difflib): only kinds whose rows number in the tens.
    fuzzy_field: str | None = None
    # Queries (normalised) that name the kind itself: they list every record of the kind.
    aliases: frozenset[str] = frozenset()

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for names in self.weighted_fields.values() for name in names)

    @property
    def fts_table(self) -> str:
        """The kind's FTS5 table on SQLite (portal/migrations/0002_sqlite_search.py)."""
        return f"portal_search_{self.key}"


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


KINDS: tuple[SearchKind, ...] = (
    SearchKind(
        "pilots",
        "Pilots",
        Pilot.objects.public,
        {"A": ("title",), "B": ("summary",), "C": ("aims", "theme")},
        ("title",),
        aliases=frozenset({"pilot", "pilots", "devolution pilots"}),
    ),
    SearchKind(
        "updates",
        "Pilot updates",
        PilotUpdate.objects.public,
        {"A": ("title",), "B": ("body",), "C": ("quotation", "quotation_by")},
        ("title", "id"),
        ("pilot",),
    ),
    SearchKind(
        "events",
        "Timeline events",
        TimelineEvent.objects.public,
        {"A": ("title",), "B": ("description",), "C": ("note",)},
        ("happened_on", "title"),
    ),
    SearchKind(
        "boroughs",
        "Boroughs",
        LocalAuthority.objects.public,
        {"A": ("name", "gss_code"), "B": ("description",)},
        ("name",),
        ("ics",),
        fuzzy_field="name",
        aliases=frozenset({"borough", "boroughs", "local authority", "local authorities", "councils"}),
    ),
    SearchKind(
        "ics",
        "Integrated care systems",
        IntegratedCareSystem.objects.public,
        {
            "A": ("name", "code", "icb_ods_code", "icb_gss_code"),
            "B": ("icb_name", "earlier_partnership_name"),
            "C": ("description",),
        },
        ("name",),
        fuzzy_field="name",
        aliases=frozenset(
            {
                *("ics", "icss", "icb", "icbs", "integrated care system", "integrated care systems"),
                *("integrated care board", "integrated care boards", "nhs london"),
            }
        ),
    ),
    SearchKind(
        "places",
        "Place partnerships",
        PlacePartnership.objects.public,
        {"A": ("name",), "B": ("description",)},
        ("name",),
        ("ics",),
        fuzzy_field="name",
        aliases=frozenset({"place", "places", "place partnership", "place partnerships"}),
    ),
    SearchKind(
        "glossary",
        "Glossary",
        GlossaryTerm.objects.public,
        {"A": ("term", "abbreviation"), "B": ("definition",)},
        ("term",),
        fuzzy_field="term",
        aliases=frozenset({"glossary"}),
    ),
    SearchKind(
        "sources",
        "Sources",
        Source.objects.public,
        {"A": ("title",), "B": ("summary",), "C": ("author", "publisher")},
        ("title",),
    ),
)


# Each group shows its best RESULTS_PER_GROUP, ranked among at most COUNT_CAP + 1 index matches (all of
# them for any but the commonest words); its count is exact up to COUNT_CAP ("more than 1,000" beyond),
# so no search reads a million rows.
COUNT_CAP = 1000


def search_vector(weighted_fields: dict[str, tuple[str, ...]]):
    """The weighted full-text vector of a kind's fields (PostgreSQL). The GIN indexes that the pilots,
    sources and portal migrations create spell out this same expression in SQL, so the planner can use
    them (tests/portal/test_search.py checks that it does)."""
    from django.contrib.postgres.search import SearchVector

    return reduce(
        lambda left, right: left + right,
        (
            SearchVector(name, weight=weight, config="english")
            for weight, names in weighted_fields.items()
            for name in names
        ),
    )


def _search_postgresql(kind: SearchKind, queryset: QuerySet, query: str, limit: int) -> tuple[list, int]:
    from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity

    vector = search_vector(kind.weighted_fields)
    search_query = SearchQuery(query, search_type="websearch", config="english")
    condition = Q(search=search_query)
    rank = SearchRank(vector, search_query)
    if kind.fuzzy_field:
        # pg_trgm's word similarity (over 0.6 by default): "Lewisam" is 0.62 from "Lewisham".
        condition |= Q(**{f"{kind.fuzzy_field}__trigram_word_similar": query})
        rank = rank + TrigramWordSimilarity(query, kind.fuzzy_field)
    matches = queryset.annotate(search=vector).filter(condition)
    # Rank a bounded set of candidates, found through the GIN indexes, not every match; the window
    # counts them in the same query.
    candidates = matches.order_by().values("pk")[: COUNT_CAP + 1]
    ranked = (
        queryset.filter(pk__in=candidates)
        .annotate(rank=rank, candidate_count=Window(Count("pk")))
        .order_by("-rank", *kind.order_by)
    )
    results = list(ranked[:limit])
    return results, results[0].candidate_count if results else 0


def fts5_query(query: str) -> str:
    """The query as FTS5 syntax: every word must match, as a word or the start of one ("lewish" finds
    Lewisham). Only word characters reach FTS5, each word quoted, so no input is an FTS5 syntax error."""
    return " ".join(f'"{word}"*' for word in re.findall(r"\w+", query))


def _search_sqlite(kind: SearchKind, queryset: QuerySet, query: str, limit: int) -> tuple[list, int]:
    expression = fts5_query(query)
    candidates: list[int] = []
    if expression:
        # The first COUNT_CAP + 1 matches in index order, ranked here: bm25 is worked out only for them.
        weights = ", ".join(str(FTS_WEIGHTS[weight]) for weight, names in kind.weighted_fields.items() for _ in names)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, bm25({kind.fts_table}, {weights}) FROM {kind.fts_table} "
                f"WHERE {kind.fts_table} MATCH %s LIMIT %s",
                [expression, COUNT_CAP + 1],
            )
            candidates = [pk for pk, _ in sorted(cursor.fetchall(), key=lambda row: (row[1], row[0]))]
    if not candidates and kind.fuzzy_field:
        names = dict(queryset.order_by().values_list("pk", kind.fuzzy_field))
        candidates = close_matches(query, names)
    if not candidates:
        return [], 0
    public = set(queryset.filter(pk__in=candidates).order_by().values_list("pk", flat=True))
    ranked = [pk for pk in candidates if pk in public]
    found = queryset.in_bulk(ranked[:limit])
    count = COUNT_CAP + 1 if len(candidates) > COUNT_CAP else len(ranked)
    return [found[pk] for pk in ranked[:limit] if pk in found], count


def _everything(kind: SearchKind, queryset: QuerySet, limit: int) -> tuple[list, int]:
    """The whole kind, for a query that names it ("ICS")."""
    results = list(queryset.order_by(*kind.order_by)[:limit])
    count = len(results) if len(results) < limit else queryset.order_by()[: COUNT_CAP + 1].count()
    return results, count


def search(query: str, limit: int = RESULTS_PER_GROUP) -> list[ResultGroup]:
    """Every kind's matches for ``query`` (already validated and stripped): a count and the top ``limit``."""
    if not query:
        return []
    backend = _search_postgresql if connection.vendor == "postgresql" else _search_sqlite
    naming = normalise(query)
    groups = []
    for kind in KINDS:
        queryset = kind.public()
        if kind.select_related:
            queryset = queryset.select_related(*kind.select_related)
        if naming in kind.aliases:
            results, count = _everything(kind, queryset, limit)
        else:
            results, count = backend(kind, queryset, query, limit)
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
