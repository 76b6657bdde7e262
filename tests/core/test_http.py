"""Pages are gzipped for the clients that accept gzip, and only for them."""

import gzip

import pytest

pytestmark = pytest.mark.django_db


def test_a_page_is_gzipped_when_the_client_accepts_it(client):
    plain = client.get("/pilots/")
    compressed = client.get("/pilots/", HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert compressed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Encoding" in plain["Vary"]
    assert b"<h1" in gzip.decompress(compressed.content)
    assert "Content-Encoding" not in plain


def test_gzip_refused_with_quality_zero_gives_a_plain_page(client):
    response = client.get("/pilots/", HTTP_ACCEPT_ENCODING="gzip;q=0, identity")

    assert "Content-Encoding" not in response
    assert b"<h1" in response.content
