"""Filters for the borough, ICS and place lists, shared by the HTML pages and the data exports."""

import django_filters
from django_filters.fields import ModelChoiceField

from core.filters import PortalFilterSet

from .models import IntegratedCareSystem, LocalAuthority, PlacePartnership


class IcsCodeField(ModelChoiceField):
    def to_python(self, value):
        return super().to_python(value.upper() if isinstance(value, str) else value)


class IcsCodeFilter(django_filters.ModelChoiceFilter):
    """``?ics=NCL``: an ICS by its short code (upper or lower case)."""

    field_class = IcsCodeField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("queryset", IntegratedCareSystem.objects.order_by("name"))
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("label", "Integrated care system")
        super().__init__(*args, **kwargs)


class LocalAuthorityFilter(PortalFilterSet):
    ics = IcsCodeFilter(field_name="ics")
    kind = django_filters.ChoiceFilter(choices=LocalAuthority.Kind.choices, label="Kind of authority")
    sort = django_filters.OrderingFilter(
        fields=(("name", "name"), ("gss_code", "gss_code"), ("ics__name", "ics")),
        field_labels={"name": "Name", "gss_code": "GSS code", "ics__name": "ICS"},
        label="Sort by",
    )

    class Meta:
        model = LocalAuthority
        fields = ["ics", "kind"]


class PlacePartnershipFilter(PortalFilterSet):
    ics = IcsCodeFilter(field_name="ics")

    class Meta:
        model = PlacePartnership
        fields = ["ics"]
