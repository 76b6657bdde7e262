"""The guarantee of the open data: for every list page, with and without each of its filters, the total
the page states, the rows it lists (page after page), the rows of the CSV it links to and the rows of
the JSON for the same parameters are the same, in the same order. The cases come from the dataset
definitions and their FilterSets, so a new list, dataset or filter is checked without editing this file."""

import html
import re

import django_filters
import pytest
from django.http import QueryDict
from django.utils.http import urlencode

import portal.views.pilots
import portal.views.sources
from core.filters import YearFilter
from datasets.definitions import DATASETS
from datasets.query import build_rows
from tests.factories import grow_data

from .helpers import read_csv, read_json_pages

pytestmark = pytest.mark.django_db

VALUES_PER_FILTER = 2  # of each filter's values that select rows, the first and the last


def cases():
    for dataset in DATASETS.values():
        yield pytest.param(dataset.name, None, id=f"{dataset.name}-unfiltered")
        filters = dataset.filterset.base_filters if dataset.filterset else {}
        for name in filters:
            yield pytest.param(dataset.name, name, id=f"{dataset.name}-{name}")


def candidate_values(dataset, name: str) -> list[str]:
    """Every value the filter offers: its choices, or for a year the years the dataset's rows have."""
    filter_ = dataset.filterset.base_filters[name]
    if isinstance(filter_, YearFilter):
        days = dataset.selector().filter(**{f"{filter_.field_name}__isnull": False}).dates(filter_.field_name, "year")
        return [str(day.year) for day in days]
    field = dataset.filterset(QueryDict(), queryset=dataset.selector()).form.fields[name]
    return [str(value) for value, _label in field.choices if str(value) != ""]


def queries_for(dataset, name: str | None) -> list[str]:
    if name is None:
        return [""]
    values = candidate_values(dataset, name)
    if isinstance(dataset.filterset.base_filters[name], django_filters.OrderingFilter):
        return [urlencode({name: value}) for value in values]  # every order
    selecting = [value for value in values if build_rows(dataset, QueryDict(urlencode({name: value}))).queryset]
    assert selecting, f"no value of {name} selects a row of {dataset.name}: the case would test nothing"
    chosen = dict.fromkeys([selecting[0], selecting[-1]][:VALUES_PER_FILTER])
    return [urlencode({name: value}) for value in chosen]


def key_of(dataset, row: dict) -> str:
    return "/".join("" if row[column] is None else str(row[column]) for column in dataset.primary_key)


def read_list_page(client, path: str) -> tuple[int, list[str], str, list[str]]:
    """The stated total, the row keys, the CSV link and the next page's address of one page of a list."""
    response = client.get(path)
    assert response.status_code == 200, path
    content = response.content.decode()
    heading = re.search(r'id="results-count"[^>]*>(.*?)</h2>', content, re.S)
    assert heading, f"{path} states no total"
    total = int(re.match(r"\s*([0-9,]+)", re.sub(r"<[^>]+>", " ", heading.group(1))).group(1).replace(",", ""))
    keys = [html.unescape(key) for key in re.findall(r'data-key="([^"]*)"', content)]
    csv_link = html.unescape(re.search(r'href="([^"]*)">Download this list \(CSV\)', content).group(1))
    next_link = re.search(r'href="(\?[^"]*)" rel="next"', content)
    return total, keys, csv_link, [html.unescape(next_link.group(1))] if next_link else []


@pytest.fixture
def small_pages(monkeypatch, settings):
    """A few rows per page, so that every list is read across several pages (and no rate limit)."""
    settings.EXPORT_RATE_LIMIT = 0
    monkeypatch.setattr(portal.views.pilots, "PILOTS_PER_PAGE", 4)
    monkeypatch.setattr(portal.views.pilots, "TIMELINE_PAGE_SIZE", 7)
    monkeypatch.setattr(portal.views.sources, "SOURCES_PER_PAGE", 4)


@pytest.mark.parametrize(("name", "filter_name"), list(cases()))
def test_a_list_its_csv_and_its_json_give_the_same_rows_in_the_same_order(client, small_pages, name, filter_name):
    dataset = DATASETS[name]
    grow_data(times=1)

    for query in queries_for(dataset, filter_name):
        suffix = f"?{query}" if query else ""
        _, csv_rows = read_csv(client.get(f"/data/{name}.csv{suffix}"))
        csv_keys = [key_of(dataset, row) for row in csv_rows]
        json_rows = read_json_pages(client, f"/data/{name}.json?{query}&limit=3")
        assert [key_of(dataset, row) for row in json_rows] == csv_keys, query
        assert len(set(csv_keys)) == len(csv_keys) > 0, query

        if not dataset.html_list:
            continue
        total, page_keys, csv_link, pending = read_list_page(client, f"{dataset.html_list}{suffix}")
        assert csv_link == f"/data/{name}.csv{suffix}"
        while pending:
            _, more, _, pending = read_list_page(client, dataset.html_list + pending[0])
            page_keys += more
        assert total == len(page_keys) == len(csv_keys), query
        assert page_keys == csv_keys, query


def test_every_list_page_belongs_to_a_dataset():
    pages = {dataset.html_list for dataset in DATASETS.values() if dataset.html_list}
    assert pages == {"/boroughs/", "/ics/", "/places/", "/pilots/", "/sources/", "/timeline/"}
