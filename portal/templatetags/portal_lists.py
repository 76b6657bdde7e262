"""Template helpers shared by every public list page."""

from __future__ import annotations

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def active_filters(context, filter_fields: list[dict]) -> list[dict[str, str]]:
    """The filters in force, for tags that each remove one: ``label``, ``value`` (the option's words) and
    ``remove_url`` (this page's query without that parameter, and back to its first page)."""
    request = context["request"]
    tags = []
    for field in filter_fields:
        chosen = next((option for option in field["options"] if option["selected"] and option["value"]), None)
        if chosen is None:
            continue
        params: QueryDict = request.GET.copy()
        params.pop(field["name"], None)
        params.pop("page", None)
        query = params.urlencode()
        remove_url = f"{request.path}?{query}" if query else request.path
        tags.append({"label": field["label"], "value": chosen["label"], "remove_url": remove_url})
    return tags
