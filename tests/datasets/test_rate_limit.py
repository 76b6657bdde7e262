"""Fair use: a per-client limit on exports through Django's cache; 429 with Retry-After."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(EXPORT_RATE_LIMIT=3, EXPORT_RATE_WINDOW=60)
def test_too_many_exports_from_one_address_get_429_with_retry_after(client):
    for url in ("/data/pilots.csv", "/data/pilots.json", "/data/all.zip"):
        assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 200

    refused = client.get("/data/boroughs.csv", REMOTE_ADDR="192.0.2.1")

    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert "Try again in" in refused.content.decode()
    assert client.get("/data/boroughs.csv", REMOTE_ADDR="192.0.2.2").status_code == 200


@override_settings(EXPORT_RATE_LIMIT=1, EXPORT_RATE_WINDOW=60)
def test_pages_about_the_data_are_not_limited(client):
    client.get("/data/pilots.csv")
    assert client.get("/data/pilots.csv").status_code == 429
    assert client.get("/data/").status_code == 200
    assert client.get("/data/datapackage.json").status_code == 200
    assert client.options("/data/pilots.json").status_code == 204


@override_settings(EXPORT_RATE_LIMIT=0)
def test_a_limit_of_zero_turns_the_limit_off(client):
    for _ in range(5):
        assert client.get("/data/sources.json").status_code == 200


def test_the_default_allows_an_ordinary_session(client):
    for _ in range(10):
        assert client.get("/data/sources.json").status_code == 200
