"""From a dataset and a request's parameters to an ordered queryset of rows: the same selector and
FilterSet as the HTML list (live), or the same FilterSet over the history (``?as_of=``), plus the
keyset that pages the JSON.

Every problem with the parameters raises ``BadRequest`` with a message for the person who sent them,
before any row is read.
"""

import base64
import binascii
import datetime
import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

import django_filters
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone

from . import expressions
from .definitions import Dataset

LONDON = ZoneInfo("Europe/London")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class BadRequest(Exception):
    """A parameter the export cannot understand; the message is shown to the requester."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- Parameters ----------------------------------------------------------------------------------


def parse_as_of(value: str | None) -> datetime.date | None:
    """``YYYY-MM-DD``, a real date, not after today in London; empty or absent means "now"."""
    if value is None or value == "":
        return None
    if not ISO_DATE.fullmatch(value):
        raise BadRequest("as_of: write the date as YYYY-MM-DD, for example 2024-03-31.")
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"as_of: {value} is not a real date.") from None
    today = timezone.localdate(timezone=LONDON)
    if day > today:
        raise BadRequest(f"as_of: {value} is in the future; the latest possible date is today, {today.isoformat()}.")
    return day


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first moment after ``day`` in London: the history is read strictly before it."""
    return datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time.min, tzinfo=LONDON)


# --- Ordering and keyset -------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderTerm:
    path: str
    descending: bool
    nulls_last: bool | None  # None: the column cannot be null

    def order_by(self, expression: models.Expression) -> OrderBy:
        if self.nulls_last is None:
            return OrderBy(expression, descending=self.descending)
        return OrderBy(
            expression,
            descending=self.descending,
            nulls_last=True if self.nulls_last else None,
            nulls_first=None if self.nulls_last else True,
        )


def resolve_field(model: type[models.Model], path: str) -> models.Field:
    *relations, last = path.split("__")
    for name in relations:
        model = model._meta.get_field(name).related_model
    return model._meta.get_field(last)


def _nulls_sort_high() -> bool:
    """Where the database puts NULL without NULLS FIRST/LAST: PostgreSQL after every value, SQLite before."""
    return connection.vendor in {"postgresql", "oracle"}


def ordering_terms(model: type[models.Model], items) -> list[OrderTerm]:
    """The ordering items of a queryset (strings like ``-name`` or ``F(...).desc(nulls_last=True)``)
    as explicit terms, ending with the primary key so that the order is total (ties never shuffle)."""
    terms: list[OrderTerm] = []
    for item in items:
        if isinstance(item, str):
            if item == "?":
                continue
            descending, path, nulls_last = item.startswith("-"), item.lstrip("-"), None
        elif isinstance(item, OrderBy) and isinstance(item.expression, F):
            path, descending = item.expression.name, item.descending
            nulls_last = True if item.nulls_last else False if item.nulls_first else None
        elif isinstance(item, F):
            path, descending, nulls_last = item.name, False, None
        else:
            raise TypeError(f"Cannot export in the order {item!r}: order by fields only.")
        if path == "pk":
            path = "id"
        if any(term.path == path for term in terms):
            continue
        if resolve_field(model, path).null:
            if nulls_last is None:
                nulls_last = descending != _nulls_sort_high()
        else:
            nulls_last = None
        terms.append(OrderTerm(path, descending, nulls_last))
        if path == "id":
            break
    if not terms or terms[-1].path != "id":
        terms.append(OrderTerm("id", False, None))
    return terms


def _json_value(value):
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def encode_cursor(values) -> str:
    raw = json.dumps([_json_value(value) for value in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _storable(value: str | int) -> bool:
    """A value a database can compare: a 64-bit integer; text without NUL (PostgreSQL refuses it) or a
    lone surrogate (not encodable as UTF-8), both of which JSON's \\u escapes can spell."""
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value


def decode_cursor(model: type[models.Model], terms: list[OrderTerm], token: str) -> list:
    """The key of the last row of the previous page; anything unreadable is a ``BadRequest``."""
    message = "cursor: not a page token from this export; follow the 'next' link of the previous page."
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadRequest(message) from None
    if not isinstance(values, list) or len(values) != len(terms):
        raise BadRequest(message)
    decoded = []
    for term, value in zip(terms, values, strict=True):
        if value is None:
            if term.nulls_last is None:
                raise BadRequest(message)
            decoded.append(None)
            continue
        if not isinstance(value, str | int) or isinstance(value, bool) or not _storable(value):
            raise BadRequest(message)
        try:
            decoded.append(resolve_field(model, term.path).to_python(value))
        except (ValidationError, TypeError, ValueError):
            raise BadRequest(message) from None
    return decoded


def keyset_after(terms: list[OrderTerm], values: list) -> Q:
    """Rows strictly after ``values`` in the order of ``terms`` (annotated as ``_key0``, ``_key1``, ...)."""
    condition = Q(pk__in=[])
    equal_so_far = Q()
    for index, (term, value) in enumerate(zip(terms, values, strict=True)):
        key = f"_key{index}"
        if value is None:
            after = None if term.nulls_last else Q(**{f"{key}__isnull": False})
            equal = Q(**{f"{key}__isnull": True})
        else:
            after = Q(**{f"{key}__lt" if term.descending else f"{key}__gt": value})
            if term.nulls_last:
                after |= Q(**{f"{key}__isnull": True})
            equal = Q(**{key: value})
        if after is not None:
            condition |= equal_so_far & after
        equal_so_far &= equal
    return condition


# --- The export ----------------------------------------------------------------------------------


@dataclass
class Export:
    """An ordered queryset of a dataset's rows; ``rows()`` gives the column values, in column order."""

    dataset: Dataset
    queryset: QuerySet
    terms: list[OrderTerm]
    value_names: list[str]
    as_of: datetime.date | None = None

    @property
    def key_names(self) -> list[str]:
        return [f"_key{index}" for index in range(len(self.terms))]

    def rows(self) -> QuerySet:
        """Tuples of the column values only: what the Python CSV writer streams."""
        return self.queryset.values_list(*self.value_names)

    def page(self, after: list | None, limit: int) -> QuerySet:
        """Up to ``limit`` rows after the key ``after``, each with its key values appended."""
        queryset = self.queryset
        if after is not None:
            queryset = queryset.filter(keyset_after(self.terms, after))
        return queryset.values_list(*self.value_names, *self.key_names)[:limit]


def _filter_applies_to_history(filter_: django_filters.Filter) -> bool:
    """A filter on the record's own fields works on its history; one with a custom method or one that
    follows a relation was written for today's tables and would give today's answer."""
    if isinstance(filter_, django_filters.OrderingFilter):
        return True
    return filter_.method is None and "__" not in filter_.field_name


def _apply_filters(dataset: Dataset, params, queryset: QuerySet, *, history: bool) -> QuerySet:
    if dataset.filterset is None:
        return queryset
    filterset = dataset.filterset(params, queryset=queryset)
    if history:
        for name, filter_ in filterset.filters.items():
            if any(params.getlist(name)) and not _filter_applies_to_history(filter_):
                raise BadRequest(
                    f"{name}: this filter cannot be combined with as_of, because it depends on other records as "
                    "they are today. Leave out one or the other."
                )
    if not filterset.is_valid():
        raise BadRequest(filterset.errors_as_text())
    return filterset.qs


def _ordering(dataset: Dataset, filtered: QuerySet) -> list:
    """The FilterSet's order (``?sort=``) if any, then the selector's (or the model's), as order items."""
    return [*filtered.query.order_by, *(dataset.selector().query.order_by or dataset.model._meta.ordering)]


class ListRows:
    """A dataset's live rows chosen by a request's parameters: what its HTML list shows, page by page,
    and what its CSV and JSON export (``build_export``). One selector (``public()`` records, related rows
    fetched up front), one FilterSet, one total order: the FilterSet's sort, then the selector's order,
    then the primary key, so that ties never shuffle between a page and a download."""

    def __init__(self, dataset: Dataset, params) -> None:
        self.dataset = dataset
        self.filterset = dataset.filterset(params, queryset=dataset.selector()) if dataset.filterset else None

    @property
    def is_valid(self) -> bool:
        return self.filterset is None or self.filterset.is_valid()

    @cached_property
    def terms(self) -> list[OrderTerm]:
        return ordering_terms(self.dataset.model, _ordering(self.dataset, self._filtered()))

    def _filtered(self) -> QuerySet:
        if not self.is_valid:
            raise BadRequest(self.filterset.errors_as_text())
        return self.filterset.qs if self.filterset is not None else self.dataset.selector()

    @cached_property
    def queryset(self) -> QuerySet:
        """The rows as model instances, in the list's order; ``BadRequest`` if a parameter is wrong."""
        return self._filtered().order_by(*(term.order_by(F(term.path)) for term in self.terms))


def build_rows(dataset: Dataset, params) -> ListRows:
    """The live rows of ``dataset`` for ``params`` (a request's GET): the one read path of a list page and
    of its CSV and JSON."""
    return ListRows(dataset, params)


def build_export(dataset: Dataset, params, as_of: datetime.date | None = None) -> Export:
    """The rows of ``dataset`` chosen by ``params`` (the HTML list's filter parameters), live (exactly the
    rows of ``build_rows``, in its order) or as they stood at the end of ``as_of`` in London."""
    if as_of is None:
        rows = build_rows(dataset, params)
        queryset, terms = rows.queryset.prefetch_related(None), rows.terms

        def expression_for(path: str) -> models.Expression:
            return F(path)

        def column_expression(column):
            return column.live() if column.live else None

    elif dataset.no_as_of_reason:
        raise BadRequest(f"as_of: {dataset.no_as_of_reason}")
    else:
        moment = end_of_day(as_of)
        queryset = expressions.public_at(expressions.latest_versions(dataset.model, moment), dataset.model, moment)
        queryset = _apply_filters(dataset, params, queryset, history=True)
        terms = ordering_terms(dataset.model, _ordering(dataset, queryset))

        def expression_for(path: str) -> models.Expression:
            return expressions.value_at(dataset.model, path, moment)

        def column_expression(column):
            if column.historical:
                return column.historical(moment)
            return expression_for(column.source_path) if "__" in column.source_path else None

    value_names, annotations = [], {}
    for index, column in enumerate(dataset.columns):
        expression = column_expression(column)
        if expression is None:
            value_names.append(column.source_path)
        else:
            annotations[f"_col{index}"] = expression
            value_names.append(f"_col{index}")

    keys = {f"_key{index}": expression_for(term.path) for index, term in enumerate(terms)}
    queryset = queryset.annotate(**annotations, **keys).order_by(
        *(term.order_by(F(name)) for name, term in zip(keys, terms, strict=True))
    )
    return Export(dataset=dataset, queryset=queryset, terms=terms, value_names=value_names, as_of=as_of)
