"""The pages that belong to no one model: home, search, the glossary, the about/accessibility/privacy/
licence pages and robots.txt."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Case, F, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from boroughs.models import LocalAuthority
from datasets.definitions import DATASETS
from datasets.query import build_rows
from pilots.selectors import (
    pilot_gss_codes,
    published_pilots,
    published_sources_prefetch,
    published_updates,
)
from portal.london_map import build_london_map
from portal.search import SearchForm, search
from sources.models import GlossaryTerm, Source
from sources.selectors import published_key_figures

logger = logging.getLogger(__name__)

# Source slugs (fixtures/sources.toml) cited by the home page's introduction.
ROAD_TEST_2015 = "2015-12-15-road-test-health-care-models"
ONEILL_2016 = "oneill-2016-healthcare-collaboration"
FIVE_PS_2022 = "london-councils-2022-03-02-five-ps"
REFERENCE_CODES = "london-reference-codes"
COLLABORATION_2015 = "london-councils-health-and-care-devolution-in-london"

# The introduction, one sentence at a time, each with the sources that support it. A sentence is
# shown only if at least one of its sources is published (every public fact names its source).
# A new paragraph starts at the sentences listed in INTRODUCTION_PARAGRAPH_STARTS.
INTRODUCTION: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Health and care devolution in London means giving the capital's own leaders more power over how "
        "health and care money is spent, so that councils and the NHS can work together more closely.",
        (ONEILL_2016,),
    ),
    (
        "Councils had already taken over responsibility for public health in 2013.",
        (ONEILL_2016,),
    ),
    (
        "In December 2015 all of London's councils and clinical commissioning groups, the Mayor, NHS England "
        "and Public Health England signed the London Health and Care Collaboration Agreement, meant as a "
        "framework for further devolution; the Chancellor and the Health Secretary signed a separate "
        "devolution agreement with London.",
        (COLLABORATION_2015, ONEILL_2016),
    ),
    (
        "On 15 December 2015 the government announced five pilots, each testing a different way of joining "
        "up services in one borough or a group of boroughs.",
        (ROAD_TEST_2015,),
    ),
    (
        "A further devolution deal followed in 2017, with joining up health and care a key part of it.",
        (FIVE_PS_2022,),
    ),
    (
        "Since 1 July 2022 the NHS in London has been organised in five integrated care systems, each with "
        "its own integrated care board. Within them, each borough is the 'place' where councils and the NHS "
        "plan local health and care together.",
        (REFERENCE_CODES, FIVE_PS_2022),
    ),
)

INTRODUCTION_PARAGRAPH_STARTS = frozenset({2, 5})

# Key figures shown on the home page (fixtures/key_figures.toml), in this order, if published.
FEATURED_FIGURES = (
    "london-population-next-two-decades",
    "london-residents-65-plus-growth",
    "london-care-record-uses",
    "gp-practices-needing-repairs",
)
HOME_FIGURE_COUNT = 4
HOME_PILOT_COUNT = 6
HOME_UPDATE_COUNT = 5


@dataclass(frozen=True)
class CitedSentence:
    text: str
    refs: tuple[int, ...]
    new_paragraph: bool = False


def _introduction() -> tuple[list[CitedSentence], list[Source]]:
    """The introduction's sentences with numbered references, and the numbered sources (one query)."""
    wanted = list(dict.fromkeys(slug for _, slugs in INTRODUCTION for slug in slugs))
    found = {source.slug: source for source in Source.objects.public().filter(slug__in=wanted)}
    sources = [found[slug] for slug in wanted if slug in found]
    number = {source.slug: index for index, source in enumerate(sources, start=1)}
    sentences = []
    for position, (text, slugs) in enumerate(INTRODUCTION):
        refs = tuple(sorted(number[slug] for slug in slugs if slug in number))
        if refs:
            starts = bool(sentences) and position in INTRODUCTION_PARAGRAPH_STARTS
            sentences.append(CitedSentence(text, refs, new_paragraph=starts))
    return sentences, sources


def _key_figures() -> list:
    """Up to four published figures: the featured ones first, then others by label (one query)."""
    featured_order = Case(
        *(When(slug=slug, then=Value(position)) for position, slug in enumerate(FEATURED_FIGURES)),
        default=Value(len(FEATURED_FIGURES)),
        output_field=IntegerField(),
    )
    return list(published_key_figures().order_by(featured_order, "label", "id")[:HOME_FIGURE_COUNT])


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    sentences, sources = _introduction()
    # The earliest pilots first (the five of December 2015); one more than shown, to know if there are more.
    pilots = list(
        published_pilots().order_by(F("announced_on").asc(nulls_last=True), "title", "id")[: HOME_PILOT_COUNT + 1]
    )
    more_pilots = len(pilots) > HOME_PILOT_COUNT
    # The map picks out every authority taking part in any published pilot, shown here or not.
    authorities = LocalAuthority.objects.select_related("ics").order_by("name")
    london_map = build_london_map(
        authorities,
        highlighted_gss_codes=pilot_gss_codes(),
        highlight_label="taking part in a pilot",
    )
    context = {
        "introduction": sentences,
        "sources": sources,
        "pilots": pilots[:HOME_PILOT_COUNT],
        "more_pilots": more_pilots,
        "london_map": london_map,
        "updates": list(published_updates(parents_as_exists=True)[:HOME_UPDATE_COUNT]),
        "key_figures": _key_figures(),
    }
    return render(request, "portal/home.html", context)


@require_safe
def search_view(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None)
    groups = []
    query = ""
    status = 200
    if form.is_bound:
        if form.is_valid():
            query = form.cleaned_data["q"]
            groups = search(query)
        else:
            status = 400
    raw_query = request.GET.get("q", "").replace("\x00", "")
    context = {
        "form": form,
        "errors": [{"href": "#q", "text": error} for error in form.errors.get("q", [])],
        "query": query,
        "raw_query": raw_query,
        "groups": groups,
        "total": sum(group.count for group in groups),
        "more": any(group.more for group in groups),
        "total_text": f"{sum(group.count for group in groups):,}",
        "nav_section": "search",
        "crumbs": [("Search", None)],
    }
    return render(request, "portal/search.html", context, status=status)


class StaticPage(TemplateView):
    """A page of plain text; GET and HEAD only. Each may say who runs the portal and how to reach them
    (includes/contact.html), from the PORTAL_OPERATOR and PORTAL_CONTACT_EMAIL settings."""

    http_method_names = ["get", "head", "options"]
    crumb = ""  # the page's name in the breadcrumbs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            crumbs=[(self.crumb, None)],
            operator=settings.PORTAL_OPERATOR,
            contact_email=settings.PORTAL_CONTACT_EMAIL,
        )
        return context


class AccessibilityView(StaticPage):
    crumb = "Accessibility statement"
    template_name = "portal/accessibility.html"


class AboutView(StaticPage):
    crumb = "About the portal"
    template_name = "portal/about.html"


class PrivacyView(StaticPage):
    crumb = "Privacy and cookies"
    template_name = "portal/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            session_cookie_name=settings.SESSION_COOKIE_NAME,
            csrf_cookie_name=settings.CSRF_COOKIE_NAME,
            session_hours=round(settings.SESSION_COOKIE_AGE / 3600, 1),
            csrf_days=round(settings.CSRF_COOKIE_AGE / 86400),
        )
        return context


class LicenceView(StaticPage):
    crumb = "Data licence"
    template_name = "portal/licence.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        context.update(year=today.year, today=today)
        return context


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    return render(request, "robots.txt", content_type="text/plain; charset=utf-8")


@require_safe
def glossary(request: HttpRequest) -> HttpResponse:
    """The words residents meet on the portal, each defined in our own words with its sources."""
    terms = list(build_rows(DATASETS["glossary"], {}).queryset.prefetch_related(published_sources_prefetch()))
    moments = GlossaryTerm.history.order_by("-history_date").values_list("history_date", flat=True)[:1]
    context = {
        "nav_section": "glossary",
        "crumbs": [("Glossary", None)],
        "terms": terms,
        "last_updated": next(iter(moments), None),
    }
    return render(request, "portal/glossary.html", context)
