"""Template helpers shared by every public list page."""

from __future__ import annotations

from django import template
from django.http import QueryDict

register = template.Library()


@register.simple_tag(takes_context=True)
def active_filters(context, filter_fields: list[dict]) -> list[dict[str, str]]:
    """The filters in force, for tags that each remove one: ``label``, ``value`` (the option's words) and
    ``remove_url`` (this page's query without that parameter and without empty ones, back to its first
    page)."""
    request = context["request"]
    tags = []
    for field in filter_fields:
        chosen = next((option for option in field["options"] if option["selected"] and option["value"]), None)
        if chosen is None:
            continue
        # The other filters as they are (empty ones dropped), back to the first page.
        params = QueryDict(mutable=True)
        for name, values in request.GET.lists():
            if name not in {field["name"], "page"} and any(values):
                params.setlist(name, [value for value in values if value])
        query = params.urlencode()
        remove_url = f"{request.path}?{query}" if query else request.path
        tags.append({"label": field["label"], "value": chosen["label"], "remove_url": remove_url})
    return tags
