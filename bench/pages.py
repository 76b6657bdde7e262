"""The public pages the benchmark times, found from their URL names.

A page whose URL name does not resolve yet (still being built) is reported as missing, not an
error, so the harness works while pages land. Detail pages use the record with the most data:
the first synthetic pilot and source (their size does not change with the scale, so query counts
can be compared), Hackney for a borough, its ICS and its place partnership.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

HACKNEY = "E09000012"


@dataclass(frozen=True)
class PageSpec:
    url_name: str
    kwargs: Callable[[], dict[str, Any]] | None = None
    query: str = ""


@dataclass(frozen=True)
class Page:
    url_name: str
    path: str | None
    missing: str = ""


def _first_slug(model: Any, prefix: str = "synthetic-") -> str:
    """The first synthetic record's slug, or the first published one when there is no synthetic data."""
    published = model.objects.public().order_by("slug")
    record = published.filter(slug__startswith=prefix).first() or published.first()
    if record is None:
        raise LookupError(f"no published {model._meta.verbose_name}")
    return record.slug


def _pilot() -> dict[str, Any]:
    from pilots.models import Pilot

    return {"slug": _first_slug(Pilot)}


def _source() -> dict[str, Any]:
    from sources.models import Source

    return {"slug": _first_slug(Source)}


def _hackney():
    from boroughs.models import LocalAuthority

    return LocalAuthority.objects.select_related("ics", "place_partnership").get(gss_code=HACKNEY)


PAGE_SPECS: list[PageSpec] = [
    PageSpec("portal:home"),
    PageSpec("pilots:list"),
    PageSpec("pilots:detail", _pilot),
    PageSpec("pilots:timeline"),
    PageSpec("pilots:feed"),
    PageSpec("boroughs:list"),
    PageSpec("boroughs:detail", lambda: {"slug": _hackney().slug}),
    PageSpec("boroughs:ics_list"),
    PageSpec("boroughs:ics_detail", lambda: {"code": _hackney().ics.code.lower()}),
    PageSpec("boroughs:place_list"),
    PageSpec("boroughs:place_detail", lambda: {"slug": _hackney().place_partnership.slug}),
    PageSpec("sources:list"),
    PageSpec("sources:detail", _source),
    PageSpec("portal:search", query="q=health"),
    PageSpec("datasets:hub"),
]


def discover_pages(specs: list[PageSpec] = PAGE_SPECS) -> list[Page]:
    pages = []
    for spec in specs:
        try:
            path = reverse(spec.url_name, kwargs=spec.kwargs() if spec.kwargs else None)
        except NoReverseMatch:
            pages.append(Page(spec.url_name, None, "no such URL name yet"))
            continue
        except LookupError as error:
            pages.append(Page(spec.url_name, None, str(error)))
            continue
        pages.append(Page(spec.url_name, f"{path}?{spec.query}" if spec.query else path))
    return pages


# Exports in the load mix: the CSV of every dataset (datasets.definitions.DATASETS), whole, except
# the two that hold every pilot update, filtered to one pilot as a researcher would (a whole
# million-row file is the export benchmark's business, not a page-load mix's: at 500 MB a request the
# timeline's alone made the mix 19 GB a minute). Any that does not answer 200 is left out.
EXPORT_FILTERS: dict[str, Callable[[], str]] = {
    name: lambda: f"pilot={_pilot()['slug']}" for name in ("pilot-updates", "timeline")
}


def candidate_exports() -> list[Page]:
    try:
        from datasets.definitions import DATASETS

        names = list(DATASETS)
    except ImportError:
        names = []
    exports = []
    for name in names:
        label = f"datasets:csv {name}"
        try:
            path = reverse("datasets:csv", kwargs={"dataset": name})
        except NoReverseMatch:
            exports.append(Page(label, None, "no such URL name yet"))
            continue
        query = EXPORT_FILTERS[name]() if name in EXPORT_FILTERS else ""
        exports.append(Page(label, f"{path}?{query}" if query else path))
    return exports
