"""HTTP caching of public pages: ETags and 304s, Cache-Control public for visitors, private for staff."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["portal:home", "portal:search", "portal:about", "portal:licence", "portal:sitemap", "portal:robots"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_anonymous_pages_are_public_for_five_minutes_with_an_etag(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"]
    assert "Cookie" in response["Vary"]


@pytest.mark.parametrize("name", PUBLIC_PAGES)
def test_if_none_match_gets_304_with_no_body(client, name):
    etag = client.get(reverse(name))["ETag"]
    response = client.get(reverse(name), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"] == "public, max-age=300"


def test_the_etag_is_stable_between_requests_and_changes_with_the_content(client):
    first = client.get(reverse("portal:search"), {"q": "Hackney"})["ETag"]
    assert client.get(reverse("portal:search"), {"q": "Hackney"})["ETag"] == first
    assert client.get(reverse("portal:search"), {"q": "Lewisham"})["ETag"] != first
    assert client.get(reverse("portal:search"), {"q": "Lewisham"}, HTTP_IF_NONE_MATCH=first).status_code == 200


def test_a_304_carries_no_new_content_security_policy(client):
    """The browser keeps the policy that came with its cached copy."""
    etag = client.get(reverse("portal:home"))["ETag"]
    response = client.get(reverse("portal:home"), HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304
    assert not response.has_header("Content-Security-Policy")


def test_head_is_cached_like_get(client):
    response = client.head(reverse("portal:about"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=300"


def test_public_pages_set_no_cookies(client):
    for name in PUBLIC_PAGES:
        response = client.get(reverse(name))
        assert not response.cookies, name
    assert not client.get(reverse("portal:search"), {"q": "x" * 500}).cookies


def test_signed_in_staff_get_private_no_store_and_no_etag(client):
    client.force_login(UserFactory(is_staff=True))
    for name in PUBLIC_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store", name
        assert not response.has_header("ETag")


def test_errors_and_bad_requests_are_not_cached_publicly(client):
    not_found = client.get("/no-such-page/")
    assert not_found.status_code == 404
    assert "public" not in not_found.get("Cache-Control", "")
    bad = client.get(reverse("portal:search"), {"q": "x" * 500})
    assert bad.status_code == 400
    assert "public" not in bad.get("Cache-Control", "")


def test_a_view_that_sets_its_own_cache_control_keeps_it(rf):
    from django.http import HttpResponse

    from core.caching import PublicCacheMiddleware

    def view(request):
        response = HttpResponse("hello")
        response["Cache-Control"] = "public, max-age=60"
        return response

    request = rf.get("/anything/")
    response = PublicCacheMiddleware(view)(request)
    assert response["Cache-Control"] == "public, max-age=60"


def test_the_admin_is_left_alone(client, settings):
    response = client.get("/" + settings.ADMIN_PATH + "login/")
    assert "public" not in response.get("Cache-Control", "")
