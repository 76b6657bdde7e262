"""Public pages for sources: the filtered, paginated list and one page per published source with
everything on the portal that cites it. Draft and withdrawn sources do not exist for the public."""

from django.core.paginator import InvalidPage, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from core.filters import error_summary, filter_fields, year_options
from core.history import last_updated
from datasets.definitions import DATASETS
from datasets.links import download_links
from datasets.query import build_rows
from pilots.selectors import published_updates_citing
from sources import selectors

SOURCES_PER_PAGE = 25


def source_list(request: HttpRequest) -> HttpResponse:
    rows = build_rows(DATASETS["sources"], request.GET)
    fields = filter_fields(
        rows.filterset, choices={"year": year_options(selectors.published_sources(), "published_on")}
    )
    errors = error_summary(fields)

    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "nav_section": "sources",
        "crumbs": [("Sources", None)],
        "filter_fields": fields,
        "errors": errors,
        "filtering": bool(params),
        "querystring": params.urlencode(),
        "page_obj": None,
        **download_links(request, "sources"),
    }
    if errors:
        return render(request, "sources/source_list.html", context, status=400)

    paginator = Paginator(rows.queryset, SOURCES_PER_PAGE)
    page_number = request.GET.get("page", "1")
    try:
        page_obj = paginator.page(page_number)
    except InvalidPage:
        context["page_count"] = paginator.num_pages
        return render(request, "sources/page_not_found.html", context, status=404)
    context["page_obj"] = page_obj
    context["sources"] = page_obj.object_list
    return render(request, "sources/source_list.html", context)


def source_detail(request: HttpRequest, slug: str) -> HttpResponse:
    source = get_object_or_404(selectors.published_sources(), slug=slug)
    context = {
        "nav_section": "sources",
        "crumbs": [("Sources", reverse("sources:list")), (source.title, None)],
        "source": source,
        "pilots": list(source.pilots.public().order_by("title")),
        "pilot_updates": list(published_updates_citing(source)),
        "timeline_events": list(source.timeline_events.public().order_by("happened_on", "title")),
        "key_figures": list(source.key_figures.public().order_by("label")),
        "authorities": list(source.local_authorities.select_related("ics").order_by("name")),
        "systems": list(source.integrated_care_systems.order_by("name")),
        "places": list(source.place_partnerships.select_related("ics").order_by("name")),
        "last_updated": last_updated(source),
    }
    context["cited_by_anything"] = any(
        context[key]
        for key in ("pilots", "pilot_updates", "timeline_events", "key_figures", "authorities", "systems", "places")
    )
    return render(request, "sources/source_detail.html", context)
