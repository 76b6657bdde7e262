"""Signing in: lock-out after repeated failures (django-axes), password rules, the staff session
lifetime, and the admin at the configured path."""

import importlib

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import override_settings
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
