"""Malformed filters, dates and page tokens get a 400 with a message, never a 500."""

import base64
import json

import pytest

from datasets.definitions import DATASETS

pytestmark = pytest.mark.django_db


def token(value) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode()


BAD = [
    ("pilots", "theme=nonsense", "theme"),
    ("pilots", "year=twenty", "year"),
    ("pilots", "year=99999", "year"),
    ("pilots", "ics=XYZ", "ics"),
    ("pilots", "borough=atlantis", "borough"),
    ("boroughs", "sort=shoe_size", "sort"),
    ("pilot-updates", "pilot=no-such-pilot", "pilot"),
    ("pilot-updates", "year=1066", "year"),
    ("key-figures", "source=nowhere", "source"),
    ("sources", "kind=%00", "kind"),
    ("pilots", "as_of=2020-1-1", "as_of"),
    ("pilots", "as_of=20200101", "as_of"),
    ("pilots", "as_of=2021-02-29", "as_of"),
    ("pilots", "as_of=2020-13-01", "as_of"),
    ("pilots", "as_of=%EF%BC%92020-01-01", "as_of"),  # a full-width digit
    ("pilots", "as_of=9999-12-31", "as_of"),
    ("pilots", "bom=2", "bom"),
]


@pytest.mark.parametrize(("name", "query", "parameter"), BAD)
def test_a_malformed_parameter_is_a_400_with_a_message(client, name, query, parameter):
    response = client.get(f"/data/{name}.csv?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(f"{parameter}:")

    if parameter != "bom":
        response = client.get(f"/data/{name}.json?{query}")
        assert response.status_code == 400
        assert response.json()["error"].startswith(f"{parameter}:")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!!",
        "e30",  # {}
        token([]),
        token(["2020-01-01"]),
        token(["not a date", 4]),
        token(["2020-01-01", "four"]),
        token(["2020-01-01", None]),
        token([{"a": 1}, 4]),
        token([True, 4]),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_malformed_page_token_is_a_400(client, cursor):
    response = client.get("/data/pilot-updates.json", {"cursor": cursor})

    assert response.status_code == 400
    assert response.json()["error"].startswith("cursor:")


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1001", "1.5", "²"])
def test_a_malformed_page_size_is_a_400(client, limit):
    response = client.get("/data/pilots.json", {"limit": limit})
    assert response.status_code == 400
    assert response.json()["error"].startswith("limit:")


def test_a_bad_as_of_on_the_zip_is_a_400(client):
    response = client.get("/data/all.zip?as_of=yesterday")
    assert response.status_code == 400


def _first_page_key(client, name: str) -> list:
    """The key of the first row of a dataset, as its own 'next' link carries it."""
    next_url = client.get(f"/data/{name}.json", {"limit": 1}).json()["next"]
    assert next_url, f"{name} has fewer than two rows"
    cursor = next_url.split("cursor=")[1].split("&")[0]
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


@pytest.mark.parametrize("name", list(DATASETS))
@pytest.mark.parametrize("unreadable", ["\x00", "a\x00b", "\ud800", "x\udfff"], ids=["nul", "inner-nul", "high", "low"])
def test_a_page_token_holding_nul_or_a_lone_surrogate_is_a_400_for_every_dataset(client, name, unreadable):
    key = _first_page_key(client, name)
    for position in range(len(key)):
        forged = [unreadable if index == position else value for index, value in enumerate(key)]

        response = client.get(f"/data/{name}.json", {"cursor": token(forged)})

        assert response.status_code == 400, (forged, response.status_code)
        assert response.json()["error"].startswith("cursor:")


def test_the_reported_page_token_is_a_400(client):
    response = client.get("/data/pilots.json?cursor=WyJcdTAwMDAiLCAxXQ")

    assert response.status_code == 400


def test_a_page_token_with_a_number_too_big_for_the_database_is_a_400(client):
    key = _first_page_key(client, "pilot-updates")

    response = client.get("/data/pilot-updates.json", {"cursor": token([*key[:-1], 10**30])})

    assert response.status_code == 400
