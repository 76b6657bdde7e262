"""Fair use: a per-client limit on exports through Django's cache; 429 with Retry-After."""

import pytest
from django.core.cache import cache
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


@override_settings(EXPORT_RATE_LIMIT=2, EXPORT_RATE_WINDOW=60, PAGE_CACHE_SECONDS=300)
def test_identical_requests_answered_from_the_page_cache_are_counted(client):
    cache.clear()
    try:
        assert client.get("/data/sources.json").status_code == 200
        assert client.get("/data/sources.json").status_code == 200  # from the page cache

        assert client.get("/data/sources.json").status_code == 429
    finally:
        cache.clear()


@override_settings(EXPORT_RATE_LIMIT=2, EXPORT_RATE_WINDOW=60, PROXY_COUNT=1)
def test_behind_a_proxy_each_client_has_its_own_limit(client):
    def fetch(forwarded_for):
        return client.get("/data/sources.json", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)

    assert [fetch("203.0.113.7").status_code for _ in range(3)] == [200, 200, 429]
    assert fetch("198.51.100.20").status_code == 200
    assert fetch("198.51.100.20, 203.0.113.7").status_code == 429  # a client-written entry changes nothing


@override_settings(EXPORT_RATE_LIMIT=2, EXPORT_RATE_WINDOW=60, PROXY_COUNT=0)
def test_without_a_proxy_a_made_up_forwarded_for_header_does_not_reset_the_limit(client):
    statuses = [
        client.get("/data/sources.json", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]
