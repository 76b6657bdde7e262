"""The JSON export: the CSV's names and values, keyset pages, open to other sites. (That a list, its CSV and
its JSON give the same rows in the same order is test_one_read_path.py.)"""

import pytest

from tests.factories import grow_data

from .helpers import read_csv, read_json_pages

pytestmark = pytest.mark.django_db


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
