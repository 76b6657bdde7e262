"""Database expressions for the exports: lists of source slugs joined in the database (no query from
Python per row), and values as they stood at a moment, read from django-simple-history's tables."""

import datetime

from django.apps import apps
from django.contrib.postgres.aggregates import StringAgg
from django.db import connection, models
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.lookups import Exact

from core.models import public_condition, public_rule
from sources.models import Source

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


def source_slugs(model: type[models.Model], of: str = "pk") -> Subquery:
    """The slugs of a record's published sources, joined with ';': a subquery per row, found by the link
    table's index on the record (``of``: the column naming the record, the row's own key by default,
    ``event_id`` on a timeline entry).

    Per row, not one aggregate grouped by record over the joined link table: a grouped query is sorted
    whole before its first row, so a download waited for the whole query before its first byte (23 s for
    the million pilot updates, 3.3 s for one year's 87,601; bench/RESULTS.md). Per row, the rows come in
    the export's order straight off its index and the first byte goes out at once."""
    through = model.sources.through
    owner = _owner_field(through, model)
    rows = (
        through.objects.filter(public_condition(Source, via="source"), **{owner: OuterRef(of)})
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


def public_at(queryset: QuerySet, model: type[models.Model], moment: datetime.datetime, via: str = "") -> QuerySet:
    """The historical rows of ``queryset`` (of ``model``'s history, or of rows reaching it ``via`` a
    relation) that were public at ``moment``: ``public_rule`` read from the history."""
    history = queryset.model
    for index, (path, value) in enumerate(public_rule(model).items()):
        alias = f"_public{via}{index}"
        full_path = f"{via}__{path}" if via else path
        queryset = queryset.annotate(**{alias: value_at(history, full_path, moment)}).filter(**{alias: value})
    return queryset


def historical_source_slugs(model: type[models.Model], moment: datetime.datetime) -> Subquery:
    """The sources a historical row of ``model`` had (simple-history's m2m history), those published at
    ``moment``, as slugs joined with ';'."""
    m2m = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_sources")
    rows = public_at(m2m.objects.filter(history=OuterRef("history_id")), Source, moment, via="source")
    rows = (
        rows.annotate(_slug=value_at(m2m, "source__slug", moment))
        .order_by()
        .values("history")
        .annotate(slugs=joined(F("_slug")))
        .values("slugs")
    )
    return Subquery(rows, output_field=models.TextField())


# --- Other many-to-many links (timeline events' pilots, authorities and ICSs) --------------------


def linked_values(model: type[models.Model], field: str, value: str, *conditions: models.Q) -> Subquery:
    """The ``value`` (e.g. ``pilot__slug``) of each record a many-to-many ``field`` links, joined with ';';
    only the links meeting ``conditions`` (``public_condition(Pilot, via="pilot")``)."""
    through = getattr(model, field).through
    owner = _owner_field(through, model)
    rows = (
        through.objects.filter(*conditions, **{owner: OuterRef("pk")})
        .order_by()
        .values(owner)
        .annotate(values=joined(F(value)))
        .values("values")
    )
    return Subquery(rows, output_field=models.TextField())


def historical_linked_values(
    model: type[models.Model],
    field: str,
    value: str,
    moment: datetime.datetime,
    public: tuple[type[models.Model], str] | None = None,
) -> Subquery:
    """The same from the historical row's m2m history, each linked record read as it stood at ``moment``;
    with ``public`` (the linked model and the link's field to it), only those public then."""
    m2m = apps.get_model(model._meta.app_label, f"Historical{model.__name__}_{field}")
    rows = m2m.objects.filter(history=OuterRef("history_id"))
    if public:
        linked_model, via = public
        rows = public_at(rows, linked_model, moment, via=via)
    rows = rows.annotate(_value=value_at(m2m, value, moment))
    rows = rows.order_by().values("history").annotate(values=joined(F("_value"))).values("values")
    return Subquery(rows, output_field=models.TextField())


def true_or_false(field: str) -> models.Expression:
    """A boolean as the text 'true' or 'false', the same from every database and writer."""
    return models.Case(
        models.When(**{field: True}, then=models.Value("true")),
        default=models.Value("false"),
        output_field=models.TextField(),
    )


def slug_if_public(path: str, moment: datetime.datetime | None = None, model=None) -> models.Expression:
    """The slug of a related source (``status_source``) if it is public (at ``moment``, read from
    ``model``'s history), else ''."""
    if moment is None:
        condition, slug = public_condition(Source, via=path), F(f"{path}__slug")
    else:
        condition = models.Q(
            *(Exact(value_at(model, f"{path}__{field}", moment), value) for field, value in public_rule(Source).items())
        )
        slug = value_at(model, f"{path}__slug", moment)
    return models.Case(
        models.When(condition, then=slug),
        default=models.Value(""),
        output_field=models.TextField(),
    )
