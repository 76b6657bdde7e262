"""Database expressions for the exports: lists of source slugs aggregated in the database (no query per
row), and values as they stood at a moment, read from django-simple-history's tables."""

import datetime

from django.apps import apps
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection, models
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.lookups import Exact

from core.models import PublicationStatus

SEPARATOR = ";"


class GroupConcat(models.Aggregate):
    """SQLite's GROUP_CONCAT with the list separator. SQLite before 3.44 cannot order inside the
    aggregate, so columns built on it are marked ``sorted_list`` and sorted after reading."""

    function = "GROUP_CONCAT"
    template = f"%(function)s(%(expressions)s, '{SEPARATOR}')"
    output_field = models.TextField()


def joined(expression: models.Expression) -> models.Aggregate:
    """The values of ``expression`` joined with ';', ordered where the database can order them."""
    if connection.vendor == "postgresql":
        return StringAgg(expression, delimiter=SEPARATOR, order_by=expression, output_field=models.TextField())
    return GroupConcat(expression)


def _owner_field(through: type[models.Model], model: type[models.Model]) -> str:
    return next(f.name for f in through._meta.fields if f.is_relation and f.related_model is model)


def source_slugs(model: type[models.Model]) -> Subquery:
    """The slugs of a record's published sources, joined with ';', as a correlated subquery."""
    through = model.sources.through
    owner = _owner_field(through, model)
    rows = (
        through.objects.filter(**{owner: OuterRef("pk"), "source__publication_status": PublicationStatus.PUBLISHED})
        .order_by()
        .values(owner)
        .annotate(slugs=joined(F("source__slug")))
        .values("slugs")
    )
    return Subquery(rows, output_field=models.TextField())


# --- Point in time -------------------------------------------------------------------------------


def history_model(model: type[models.Model]) -> type[models.Model]:
    return model.history.model


def latest_versions(model: type[models.Model], moment: datetime.datetime) -> QuerySet:
    """The historical rows of ``model`` that were current just before ``moment``, deletions left out."""
    history = history_model(model)
    latest = (
        history.objects.filter(id=OuterRef("id"), history_date__lt=moment)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.objects.filter(history_date__lt=moment, history_id=Subquery(latest)).exclude(history_type="-")


def value_at(model: type[models.Model], path: str, moment: datetime.datetime) -> models.Expression:
    """An expression over a historical row of ``model`` giving the value at ``path`` (e.g. ``ics__code``)
    as it stood at ``moment``: a related record is read from its own history, not from today's table."""
    head, _, rest = path.partition("__")
    if not rest:
        return F(head)
    foreign_key = model._meta.get_field(head)
    related = foreign_key.related_model
    versions = (
        history_model(related)
        .objects.filter(id=OuterRef(foreign_key.attname), history_date__lt=moment)
        .order_by("-history_date", "-history_id")
        .annotate(_value=value_at(related, rest, moment))
        .values("_value")[:1]
    )
    return Subquery(versions)


def historical_source_slugs(model: type[models.Model], moment: datetime.datetime) -> Subquery:
    """The sources a historical row of ``model`` had (simple-history's m2m history), those published at
    ``moment``, as slugs joined with ';'."""
    m2m = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_sources")
    rows = (
        m2m.objects.filter(history=OuterRef("history_id"))
        .annotate(
            _published=value_at(m2m, "source__publication_status", moment),
            _slug=value_at(m2m, "source__slug", moment),
        )
        .filter(_published=PublicationStatus.PUBLISHED)
        .order_by()
        .values("history")
        .annotate(slugs=joined(F("_slug")))
        .values("slugs")
    )
    return Subquery(rows, output_field=models.TextField())


# --- Other many-to-many links (timeline events' pilots, authorities and ICSs) --------------------


def linked_values(model: type[models.Model], field: str, value: str, **conditions) -> Subquery:
    """The ``value`` (e.g. ``pilot__slug``) of each record a many-to-many ``field`` links, joined with ';'."""
    through = getattr(model, field).through
    owner = _owner_field(through, model)
    rows = (
        through.objects.filter(**{owner: OuterRef("pk")}, **conditions)
        .order_by()
        .values(owner)
        .annotate(values=joined(F(value)))
        .values("values")
    )
    return Subquery(rows, output_field=models.TextField())


def historical_linked_values(
    model: type[models.Model], field: str, value: str, moment: datetime.datetime, published: str = ""
) -> Subquery:
    """The same from the historical row's m2m history, each linked record read as it stood at ``moment``;
    with ``published`` (a path to a publication state), only those published then."""
    m2m = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_{field}")
    rows = m2m.objects.filter(history=OuterRef("history_id")).annotate(_value=value_at(m2m, value, moment))
    if published:
        rows = rows.annotate(_published=value_at(m2m, published, moment)).filter(_published=PublicationStatus.PUBLISHED)
    rows = rows.order_by().values("history").annotate(values=joined(F("_value"))).values("values")
    return Subquery(rows, output_field=models.TextField())


def true_or_false(field: str) -> models.Expression:
    """A boolean as the text 'true' or 'false', the same from every database and writer."""
    return models.Case(
        models.When(**{field: True}, then=models.Value("true")),
        default=models.Value("false"),
        output_field=models.TextField(),
    )


def slug_if_published(path: str, moment: datetime.datetime | None = None, model=None) -> models.Expression:
    """The slug of a related source (``status_source``) if it is published (at ``moment``), else ''."""
    if moment is None:
        status, slug = F(f"{path}__publication_status"), F(f"{path}__slug")
    else:
        status, slug = value_at(model, f"{path}__publication_status", moment), value_at(model, f"{path}__slug", moment)
    return models.Case(
        models.When(condition=Exact(status, PublicationStatus.PUBLISHED), then=slug),
        default=models.Value(""),
        output_field=models.TextField(),
    )
