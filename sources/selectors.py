"""Read paths for sources and key figures: published records only."""

from django.db.models import QuerySet

from .models import GlossaryTerm, KeyFigure, Source


def published_sources() -> QuerySet[Source]:
    return Source.objects.public().order_by("-published_on", "title")


def published_key_figures() -> QuerySet[KeyFigure]:
    return KeyFigure.objects.public().select_related("source")


def published_sources_citing(**relation) -> QuerySet[Source]:
    """The published sources a record cites, oldest first: ``published_sources_citing(local_authorities=hackney)``."""
    return Source.objects.public().filter(**relation).order_by("published_on", "title")


def published_glossary_terms() -> QuerySet[GlossaryTerm]:
    """In alphabetical order of the term, as the glossary page lists them."""
    return GlossaryTerm.objects.public().order_by("term")
