"""A request body Django cannot read (a multipart field name past its 8 KB header limit, more fields than
``DATA_UPLOAD_MAX_NUMBER_FIELDS``, more bytes than ``DATA_UPLOAD_MAX_MEMORY_SIZE``) is a 400 at every
address, routed or not, signed in or not: never a 500. (Unrouted addresses were the hole: the 404 page's
own CSRF check was the first to read the body, and the error escaped the error page.)"""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.two_factor import signed_in_client

pytestmark = pytest.mark.django_db

LONG_NAME = {"x" * 9000: "value"}  # multipart: one part's headers over MAX_TOTAL_HEADER_SIZE (8 KB)
MANY_FIELDS = {f"field{n}": "value" for n in range(1100)}  # past DATA_UPLOAD_MAX_NUMBER_FIELDS (1000)
ADDRESSES = [
    "/no-such-page/",
    "/pilots/",  # a page that takes no POST
    "/admin/sources/source/%0A/change/",  # an admin address no pattern matches (a newline)
    "admin:sources_source_changelist",
    "admin:login",
]


def _path(address: str) -> str:
    return reverse(address) if address.startswith("admin:") else address


@pytest.mark.parametrize("address", ADDRESSES)
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "editor"])
@pytest.mark.parametrize(
    "body",
    [
        {"data": LONG_NAME},
        {"data": MANY_FIELDS},
        {"data": "a=" + "b" * (2_621_440 + 1), "content_type": "application/x-www-form-urlencoded"},
    ],
    ids=["long-field-name", "too-many-fields", "too-large"],
)
def test_a_body_that_cannot_be_read_is_a_bad_request(address, signed_in, body):
    user = UserFactory(is_staff=True, is_superuser=True)
    client = signed_in_client(user, enforce_csrf_checks=True) if signed_in else Client(enforce_csrf_checks=True)
    client.raise_request_exception = False  # count a 500 as a 500
    client.get(reverse("admin:index" if signed_in else "admin:login"))  # a CSRF cookie, as a browser that saw a form
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    if isinstance(body["data"], dict):
        body = {"data": {"csrfmiddlewaretoken": token, **body["data"]}}
    response = client.post(_path(address), **body)
    assert response.status_code == 400
