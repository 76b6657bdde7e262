"""Filter pieces shared by the lists: the same URL parameters mean the same rows on every page,
CSV and JSON, and a value that cannot be understood is a form error, never a silent no-op."""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import django_filters
from django import forms
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

FIRST_YEAR = 2000
LAST_YEAR = 2100


class YearFilter(django_filters.Filter):
    """A calendar year of a date field; out-of-range or non-numeric years are form errors."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("lookup_expr", "year")
        kwargs.setdefault("min_value", FIRST_YEAR)
        kwargs.setdefault("max_value", LAST_YEAR)
        super().__init__(*args, **kwargs)


class PortalFilterSet(django_filters.FilterSet):
    """Base for every public list's filters."""

    def errors_as_text(self) -> str:
        """'ics: Select a valid choice…' — for 400 responses of the CSV and JSON exports."""
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in self.errors.items())


# --- The filter form of an HTML list -------------------------------------------------------------
#
# Every list page (boroughs, sources, pilots, timeline) draws its filters the same way: one GOV.UK
# select per filter (templates/includes/filter_form.html and filter_select.html), a GOV.UK error
# summary above the page (includes/error_summary.html), and status 400 while any value is wrong.


def year_options(queryset, field: str) -> list[tuple[str, str]]:
    """The years in which ``field`` has a value, newest first, as (value, label) options (one query)."""
    days = queryset.filter(**{f"{field}__isnull": False}).dates(field, "year", order="DESC")
    return [(str(day.year), str(day.year)) for day in days]


def _with_article(text: str) -> str:
    return f"{'an' if text[:1].lower() in 'aeiou' else 'a'} {text}"


def filter_fields(
    filterset: PortalFilterSet,
    names: Iterable[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    empty_labels: Mapping[str, str] | None = None,
    error_messages: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The filter form as plain data for ``includes/filter_form.html``: one GOV.UK select per filter.

    ``names``: the filters to show, in order (default: every field of the filterset's form).
    ``labels``: labels in place of the filters' own.
    ``choices``: (value, label) options in place of the form field's own, for a field that has none
    (a year) or whose values want other words (a sort order).
    ``empty_labels``: the text of the first, empty option (default "Any <label>", or "Any year").
    ``error_messages``: in place of the default "Select a <label> from the list" ("Select a year from
    the list" for a year).

    Each field is a dict of ``name``, ``id`` ("filter-<name>", what the error summary links to),
    ``label``, ``options`` (``value``, ``label``, ``selected``) and ``error`` ("" when the value is fine).
    A value in error selects nothing. Year options are newest first; a valid year with no records is
    still offered, selected, in its place among them, so the form shows the filter that is applied.
    """
    form = filterset.form
    labels = labels or {}
    choices = choices or {}
    empty_labels = empty_labels or {}
    error_messages = error_messages or {}
    errors = form.errors if filterset.is_bound else {}
    fields = []
    for name in names if names is not None else form.fields:
        field = form.fields[name]
        is_year = isinstance(filterset.filters.get(name), YearFilter)
        label = labels.get(name) or str(field.label or name.capitalize())
        what = "year" if is_year else label.lower()
        error = error_messages.get(name, f"Select {_with_article(what)} from the list") if name in errors else ""

        submitted = form.data.get(name, "") if filterset.is_bound else ""
        submitted = submitted if isinstance(submitted, str) else ""
        if name in choices:
            options = [(str(value), str(text)) for value, text in choices[name]]
        else:
            options = [(str(value), str(text)) for value, text in field.choices if str(value) != ""]
        if is_year and not error and submitted:
            submitted = str(form.cleaned_data.get(name) or "")
            if submitted and submitted not in {value for value, _ in options}:
                options = sorted([*options, (submitted, submitted)], key=lambda option: int(option[0]), reverse=True)
        empty_label = empty_labels.get(name) or f"Any {what}"

        selected = "" if error else submitted.lower()
        field_options = [
            {"value": "", "label": empty_label, "selected": False},
            *(
                {"value": value, "label": text, "selected": bool(selected) and value.lower() == selected}
                for value, text in options
            ),
        ]
        fields.append(
            {
                "name": name,
                "id": f"filter-{name}",
                "label": label,
                "options": field_options,
                "options_html": _options_html(field_options),
                "error": error,
            }
        )
    return fields


def _options_html(options: list[dict[str, Any]]) -> str:
    """The select's <option> elements, escaped, in one pass: a select of every pilot (thousands at
    scale) drawn by the template's loop cost a third of a second."""
    return format_html_join(
        "\n",
        '<option value="{}"{}>{}</option>',
        (
            (option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])
            for option in options
        ),
    )


def error_summary(fields: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """The GOV.UK error summary's items for ``includes/error_summary.html``: each links to its field."""
    return [{"href": f"#{field['id']}", "text": field["error"]} for field in fields if field["error"]]
