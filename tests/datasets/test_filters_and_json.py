"""The same filters give the same rows, in the same order, on the HTML list, in the CSV and in the JSON."""

import pytest
from django.http import QueryDict
from django.utils.html import escape

from datasets.definitions import DATASETS
from pilots import selectors as pilot_selectors
from pilots.models import PilotUpdate
from tests.factories import grow_data

from .helpers import read_csv, read_json_pages

pytestmark = pytest.mark.django_db

FILTERS = [
    ("boroughs", ""),
    ("boroughs", "ics=NCL"),
    ("boroughs", "ics=nel&kind=london_borough"),
    ("boroughs", "sort=-gss_code"),
    ("boroughs", "sort=ics"),
    ("boroughs", "kind=city_of_london"),
    ("integrated-care-systems", ""),
    ("place-partnerships", "ics=SEL"),
    ("pilots", ""),
    ("pilots", "theme=estates"),
    ("pilots", "ics=NCL"),
    ("pilots", "borough=haringey"),
    ("pilots", "status=under_way&year=2015"),
    ("pilot-participants", "pilot=north-central-london-estates"),
    ("pilot-participants", "ics=NEL"),
    ("pilot-participants", "borough=hackney"),
    ("pilot-updates", ""),
    ("pilot-updates", "borough=hackney"),
    ("pilot-updates", "year=2017"),
    ("pilot-updates", "status_after=announced"),
    ("pilot-updates", "pilot=hackney-health-and-social-care-integration"),
    ("sources", "kind=report"),
    ("sources", "year=2015"),
    ("sources", ""),
    ("timeline-events", "year=2022"),
    ("timeline-events", ""),
    ("key-figures", "unit=gbp"),
    ("key-figures", "source=oneill-2016-healthcare-collaboration"),
]


def key_of(dataset, row) -> tuple:
    return tuple(str(row[name]) for name in dataset.primary_key)


def list_rows(dataset, query: str) -> list[tuple]:
    """The rows the HTML list shows, in its order: its selector, filtered by its FilterSet, ordered as
    its view orders them."""
    selector = {"pilot-updates": pilot_selectors.published_updates}.get(dataset.name, dataset.selector)
    queryset = selector()
    if dataset.filterset:
        filterset = dataset.filterset(QueryDict(query), queryset=queryset)
        assert filterset.is_valid(), filterset.errors
        queryset = filterset.qs
    if dataset.name == "boroughs":  # portal.views.boroughs.authority_list
        queryset = queryset.order_by(*queryset.query.order_by, "name")
    elif dataset.name == "sources":  # portal.views.sources.source_list
        queryset = queryset.order_by("-published_on", "title", "pk")
    elif dataset.name == "pilot-updates":  # portal.views.pilots.timeline
        ids = [pk for _kind, pk, *_ in pilot_selectors.timeline_entry_keys(None, queryset)]
        found = {update.pk: update for update in PilotUpdate.objects.filter(pk__in=ids).select_related("pilot")}
        return [(found[pk].pilot.slug, found[pk].slug) for pk in ids]
    paths = [next(c.source_path for c in dataset.columns if c.name == name) for name in dataset.primary_key]
    return [tuple(str(value) for value in row) for row in queryset.values_list(*paths)]


@pytest.mark.parametrize(("name", "query"), FILTERS)
def test_the_same_filters_give_the_same_rows_in_the_same_order(client, name, query):
    dataset = DATASETS[name]
    grow_data(times=1)

    expected = list_rows(dataset, query)
    _, csv_rows = read_csv(client.get(f"/data/{name}.csv?{query}"))
    # Small pages, so the keyset pagination is exercised, but few enough to stay under the rate limit.
    limit = max(3, len(expected) // 10)
    json_rows = read_json_pages(client, f"/data/{name}.json?{query}&limit={limit}")

    assert [key_of(dataset, row) for row in csv_rows] == expected
    assert [key_of(dataset, row) for row in json_rows] == expected
    assert len(expected) > 0


HTML_LISTS = [
    ("boroughs", "/boroughs/", "ics=NCL&sort=-gss_code"),
    ("pilots", "/pilots/", "theme=estates"),
    ("pilot-updates", "/timeline/", "year=2017"),
    ("sources", "/sources/", "kind=report"),
    ("integrated-care-systems", "/ics/", ""),
    ("place-partnerships", "/places/", ""),
]


def test_every_html_list_is_checked():
    listed = {param.values[1] if hasattr(param, "values") else param[1] for param in HTML_LISTS}
    assert listed == {dataset.html_list for dataset in DATASETS.values() if dataset.html_list}


@pytest.mark.parametrize(("name", "path", "query"), HTML_LISTS)
def test_the_html_list_links_to_a_csv_of_its_rows_with_its_filters(client, name, path, query):
    page = client.get(f"{path}?{query}")
    assert page.status_code == 200
    html = page.content.decode()

    assert "Download this list (CSV)" in html
    expected = f"/data/{name}.csv" + (f"?{query}" if query else "")
    assert f'href="{escape(expected)}"' in html


def test_json_has_the_same_names_and_values_as_the_csv(client):
    _, csv_rows = read_csv(client.get("/data/pilot-updates.csv"))
    json_rows = read_json_pages(client, "/data/pilot-updates.json")

    assert [list(row) for row in json_rows] == [list(row) for row in csv_rows]
    for csv_row, json_row in zip(csv_rows, json_rows, strict=True):
        assert {k: v or None for k, v in csv_row.items() if not v.startswith("'")} == {
            k: v for k, v in json_row.items() if not (csv_row[k].startswith("'"))
        }


def test_json_numbers_are_numbers_and_unknowns_are_null(client):
    rows = read_json_pages(client, "/data/key-figures.json")
    deficit = next(row for row in rows if row["slug"] == "nhs-deficit-2015-16-nine-months")
    assert deficit["value"] == 2300000000
    assert any(row["value"] is None or row["period"] is None for row in rows)


def test_json_is_keyset_paginated_with_a_next_link(client):
    grow_data(times=1)
    first = client.get("/data/pilot-updates.json?limit=7&year=2019").json()

    assert len(first["results"]) == 7
    assert first["next"].startswith("http://testserver/data/pilot-updates.json?")
    assert "year=2019" in first["next"] and "cursor=" in first["next"] and "limit=7" in first["next"]
    everything = read_json_pages(client, "/data/pilot-updates.json?year=2019&limit=7")
    assert everything[:7] == first["results"]
    assert len({(row["pilot_slug"], row["slug"]) for row in everything}) == len(everything)
    last = client.get("/data/pilot-updates.json?limit=1000").json()
    assert last["next"] is None


def test_json_is_open_to_other_sites_for_reading(client):
    response = client.get("/data/pilots.json", HTTP_ORIGIN="https://example.org")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Content-Type"] == "application/json"

    preflight = client.options("/data/pilots.json", HTTP_ORIGIN="https://example.org")
    assert preflight.status_code == 204
    assert "GET" in preflight["Access-Control-Allow-Methods"]
    assert "POST" not in preflight["Access-Control-Allow-Methods"]
    assert client.post("/data/pilots.json").status_code == 405
    assert client.delete("/data/pilots.json").status_code == 405
