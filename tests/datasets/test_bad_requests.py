"""Malformed filters, dates and page tokens get a 400 with a message, never a 500."""

import base64
import json

import pytest

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
