"""Read paths for sources and key figures: published records only."""

from django.db.models import QuerySet

from core.models import PublicationStatus

from .models import GlossaryTerm, KeyFigure, Source


def published_sources() -> QuerySet[Source]:
    return Source.objects.published().order_by("-published_on", "title")


def published_key_figures() -> QuerySet[KeyFigure]:
    return (
        KeyFigure.objects.published()
        .filter(source__publication_status=PublicationStatus.PUBLISHED)
        .select_related("source")
    )


def published_glossary_terms() -> QuerySet[GlossaryTerm]:
    return GlossaryTerm.objects.published().order_by("slug")
