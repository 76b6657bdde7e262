"""Links from an HTML list to the same rows as CSV and JSON: the page's filters go along unchanged."""

from django.http import HttpRequest
from django.urls import reverse

# Parameters that shape the HTML page but do not choose rows.
PAGE_ONLY_PARAMETERS = ("page",)


def download_links(request: HttpRequest, dataset: str) -> dict[str, str]:
    """Context for ``includes/download_csv.html``: ``csv_url`` and ``json_url`` carrying the filters."""
    query = request.GET.copy()
    for name in PAGE_ONLY_PARAMETERS:
        query.pop(name, None)
    suffix = f"?{query.urlencode()}" if query else ""
    return {
        "csv_url": reverse("datasets:csv", kwargs={"dataset": dataset}) + suffix,
        "json_url": reverse("datasets:json", kwargs={"dataset": dataset}) + suffix,
    }
