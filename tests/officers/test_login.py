"""Signing in: lock-out after repeated failures (django-axes), password rules, the staff session
lifetime, and the admin at the configured path."""

import importlib

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import clear_url_caches, resolve, reverse

from boroughs.models import LocalAuthority
from officers.services import create_officer

from .conftest import PASSWORD


def _sign_in(client, username, password):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": reverse("admin:index")}
    )


@pytest.mark.django_db
def test_signing_in_through_the_admin_works(client, hackney_officer):
    response = _sign_in(client, "officer-hackney", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    page = client.get(reverse("admin:index")).content.decode()
    assert "London Health Devolution Portal admin" in page


@pytest.mark.django_db
def test_lockout_after_repeated_failed_sign_ins(client, hackney_officer):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        response = _sign_in(client, "officer-hackney", "wrong-password")
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in client.session
    locked = _sign_in(client, "officer-hackney", "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()

    # now even the right password is refused, and no session is started
    again = _sign_in(client, "officer-hackney", PASSWORD)
    assert again.status_code == 429
    assert "You can try again" in again.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_password_validators_apply_to_officer_accounts():
    names = {validator["NAME"].rsplit(".", 1)[-1] for validator in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator", "NumericPasswordValidator"} <= names
    with pytest.raises(ValidationError):
        validate_password("password")
    with pytest.raises(ValidationError):
        create_officer(
            username="weak",
            email="weak@example.org",
            authorities=[LocalAuthority.objects.get(slug="hackney")],
            password="12345678",
        )


@pytest.mark.django_db
def test_staff_session_has_a_limited_lifetime(client, hackney_officer):
    _sign_in(client, "officer-hackney", PASSWORD)
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE


def test_the_admin_lives_at_the_configured_path():
    import devolution_portal.urls as urls

    try:
        with override_settings(ADMIN_PATH="council-office/"):
            importlib.reload(urls)
            clear_url_caches()
            assert resolve("/council-office/").app_name == "admin"
            assert reverse("admin:index") == "/council-office/"
    finally:
        importlib.reload(urls)
        clear_url_caches()
    assert reverse("admin:index") == "/" + settings.ADMIN_PATH


def _sign_in_from(client, password, *, forwarded_for, remote="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": "officer-hackney", "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=remote,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_five_failures_from_one_client_do_not_lock_out_another(client, hackney_officer):
    # Every request arrives from the proxy (10.0.0.1), which appends the client's address.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_from(client, "wrong-password", forwarded_for="203.0.113.7")
    assert _sign_in_from(client, PASSWORD, forwarded_for="203.0.113.7").status_code == 429

    assert _sign_in_from(Client(), PASSWORD, forwarded_for="198.51.100.20").status_code == 302


@pytest.mark.django_db
@override_settings(PROXY_COUNT=1)
def test_behind_a_proxy_a_client_cannot_choose_its_address_by_sending_the_header_itself(client, hackney_officer):
    # The client writes "198.51.100.20" itself; the proxy appends the address it really came from.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in_from(client, "wrong-password", forwarded_for="198.51.100.20, 203.0.113.7")

    assert _sign_in_from(Client(), PASSWORD, forwarded_for="198.51.100.20").status_code == 302
    assert _sign_in_from(Client(), PASSWORD, forwarded_for="203.0.113.7").status_code == 429


@pytest.mark.django_db
@override_settings(PROXY_COUNT=0)
def test_without_a_proxy_the_forwarded_for_header_is_ignored(client, hackney_officer):
    for attempt in range(settings.AXES_FAILURE_LIMIT):  # a new made-up address on every guess
        _sign_in_from(client, "wrong-password", forwarded_for=f"192.0.2.{attempt}", remote="203.0.113.7")

    assert _sign_in_from(Client(), PASSWORD, forwarded_for="192.0.2.99", remote="203.0.113.7").status_code == 429
    assert _sign_in_from(Client(), PASSWORD, forwarded_for="192.0.2.99", remote="198.51.100.20").status_code == 302
