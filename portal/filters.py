"""Filter pieces shared by the lists: the same URL parameters mean the same rows on every page,
CSV and JSON, and a value that cannot be understood is a form error, never a silent no-op."""

import django_filters
from django import forms

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
