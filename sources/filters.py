"""Filters for the source list and the key figures export."""

import django_filters

from core.filters import PortalFilterSet, YearFilter

from .models import KeyFigure, Source


class SourceFilter(PortalFilterSet):
    kind = django_filters.ChoiceFilter(choices=Source.Kind.choices, label="Kind of source")
    year = YearFilter(field_name="published_on", label="Year published")

    class Meta:
        model = Source
        fields = ["kind", "year"]


class KeyFigureFilter(PortalFilterSet):
    unit = django_filters.ChoiceFilter(choices=KeyFigure.Unit.choices)
    source = django_filters.ModelChoiceFilter(queryset=Source.objects.public(), to_field_name="slug", label="Source")

    class Meta:
        model = KeyFigure
        fields = ["unit", "source"]
