"""sitemap.xml: every public detail page (published records only), the lists and the static pages.

``lastmod`` comes from each record's history (one correlated subquery per section, so each section
costs one query whatever the data)."""

from django.contrib.sitemaps import Sitemap
from django.db.models import OuterRef, QuerySet, Subquery
from django.urls import reverse

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from pilots.models import Pilot
from sources.models import Source

# Pages that are not one record: (URL name, change frequency, priority).
STATIC_PAGES = (
    ("portal:home", "weekly", 1.0),
    ("pilots:list", "weekly", 0.9),
    ("pilots:timeline", "monthly", 0.8),
    ("boroughs:list", "monthly", 0.8),
    ("boroughs:ics_list", "monthly", 0.7),
    ("boroughs:place_list", "monthly", 0.7),
    ("sources:list", "monthly", 0.6),
    ("datasets:hub", "monthly", 0.6),
    ("portal:glossary", "monthly", 0.5),
    ("portal:search", "yearly", 0.3),
    ("portal:about", "yearly", 0.3),
    ("portal:accessibility", "yearly", 0.2),
    ("portal:privacy", "yearly", 0.2),
    ("portal:licence", "yearly", 0.3),
)


def with_last_changed(queryset: QuerySet) -> QuerySet:
    """Annotate ``last_changed``: the newest history_date of each row's django-simple-history records."""
    history = queryset.model.history.model
    latest = history.objects.filter(id=OuterRef("pk")).order_by("-history_date").values("history_date")[:1]
    return queryset.annotate(last_changed=Subquery(latest))


class StaticPagesSitemap(Sitemap):
    def items(self):
        return list(STATIC_PAGES)

    def location(self, item):
        return reverse(item[0])

    def changefreq(self, item):
        return item[1]

    def priority(self, item):
        return item[2]


class RecordSitemap(Sitemap):
    """Detail pages of one model; subclasses give ``queryset()``."""

    changefreq = "monthly"
    priority = 0.5

    def queryset(self) -> QuerySet:
        raise NotImplementedError

    def items(self):
        return with_last_changed(self.queryset())

    def lastmod(self, item):
        return item.last_changed


class PilotSitemap(RecordSitemap):
    priority = 0.9

    def queryset(self):
        return Pilot.objects.public().order_by("slug")


class LocalAuthoritySitemap(RecordSitemap):
    priority = 0.7

    def queryset(self):
        return LocalAuthority.objects.public().order_by("gss_code")


class IntegratedCareSystemSitemap(RecordSitemap):
    priority = 0.7

    def queryset(self):
        return IntegratedCareSystem.objects.public().order_by("code")


class PlacePartnershipSitemap(RecordSitemap):
    def queryset(self):
        return PlacePartnership.objects.public().order_by("slug")


class SourceSitemap(RecordSitemap):
    priority = 0.4

    def queryset(self):
        return Source.objects.public().order_by("slug")


SITEMAPS = {
    "pages": StaticPagesSitemap,
    "pilots": PilotSitemap,
    "boroughs": LocalAuthoritySitemap,
    "ics": IntegratedCareSystemSitemap,
    "places": PlacePartnershipSitemap,
    "sources": SourceSitemap,
}
