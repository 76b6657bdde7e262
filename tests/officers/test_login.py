"""Signing in: a password, then (whenever DEBUG is off) a code from an authenticator app; lock-out after
repeated failures of either (django-axes); password rules; the staff session's lifetime; the admin at
the configured path."""

import datetime
import importlib

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import clear_url_caches, resolve, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from boroughs.models import LocalAuthority
from officers.services import create_officer
from tests.two_factor import authenticator, code_now

from .conftest import PASSWORD

WRONG_CODE = "000000"


def _sign_in(client, username="officer-hackney", password=PASSWORD, next_url=None):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": next_url or reverse("admin:index")},
    )


def _enter_code(client, code, next_url=None):
    return client.post(reverse("admin:two_factor"), {"token": code, "next": next_url or reverse("admin:index")})


def _wrong(device) -> str:
    return WRONG_CODE if code_now(device) != WRONG_CODE else "111111"


@pytest.mark.django_db
def test_a_password_alone_reaches_no_admin_page(client, hackney_officer):
    authenticator(hackney_officer)
    response = _sign_in(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:two_factor"))
    for url in (
        reverse("admin:index"),
        reverse("admin:pilots_pilotupdate_changelist"),
        reverse("admin:boroughs_localauthority_change", args=[LocalAuthority.objects.get(slug="hackney").pk]),
        reverse("admin:autocomplete") + "?app_label=pilots&model_name=pilotupdate&field_name=sources",
    ):
        page = client.get(url, follow=True)
        assert page.redirect_chain, url
        assert page.request["PATH_INFO"] == reverse("admin:two_factor"), url
        body = page.content.decode()
        assert "Enter your security code" in body
        assert "Pilot updates" not in body and "officer-hackney" not in body


@pytest.mark.django_db
def test_the_code_from_the_authenticator_app_completes_signing_in(client, hackney_officer):
    device = authenticator(hackney_officer)
    next_url = reverse("admin:pilots_pilotupdate_changelist")
    _sign_in(client, next_url=next_url)
    response = _enter_code(client, code_now(device), next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == next_url
    assert client.get(next_url).status_code == 200
    assert "London Health Devolution Portal admin" in client.get(reverse("admin:index")).content.decode()


@pytest.mark.django_db
def test_five_wrong_codes_lock_the_account_out_and_end_the_half_signed_in_session(client, hackney_officer):
    device = authenticator(hackney_officer)
    _sign_in(client)
    for _ in range(4):
        response = _enter_code(client, _wrong(device))
        assert response.status_code == 200
        assert "That code is not right" in response.content.decode()
    locked = _enter_code(client, _wrong(device))
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    # the right password, and then the right code, are refused too until the cool-off ends
    assert _sign_in(client).status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("admin:index"), follow=True).request["PATH_INFO"] == reverse("admin:login")


@pytest.mark.django_db
def test_the_password_again_does_not_reset_the_count_of_wrong_codes(client, hackney_officer):
    device = authenticator(hackney_officer)
    _sign_in(client)
    for _ in range(3):
        _enter_code(client, _wrong(device))
    assert _sign_in(client).status_code == 302  # the password is still right
    assert _enter_code(client, _wrong(device)).status_code == 200
    assert _enter_code(client, _wrong(device)).status_code == 429


@pytest.mark.django_db
def test_an_officer_without_an_app_sets_one_up_with_a_qr_code_or_the_key_in_text(client, hackney_officer):
    _sign_in(client)
    page = client.get(reverse("admin:two_factor"), follow=True)
    assert page.request["PATH_INFO"] == reverse("admin:two_factor_enrol")
    body = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in body  # drawn here: no request to another site
    assert "style=" not in body.split('id="content-main"')[1]  # nothing the CSP (no inline styles) would block
    device = TOTPDevice.objects.get(user=hackney_officer, confirmed=False)
    assert page.context["key"].replace(" ", "") in body.replace(" ", "")
    assert client.get(reverse("admin:index"), follow=True).request["PATH_INFO"] == reverse("admin:two_factor_enrol")

    response = client.post(reverse("admin:two_factor_enrol"), {"token": code_now(device)})
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed


@pytest.mark.django_db
def test_wrong_codes_while_setting_up_count_towards_the_lock_out(client, hackney_officer):
    _sign_in(client)
    client.get(reverse("admin:two_factor_enrol"))
    device = TOTPDevice.objects.get(user=hackney_officer, confirmed=False)
    statuses = [client.post(reverse("admin:two_factor_enrol"), {"token": _wrong(device)}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]


@pytest.mark.django_db
@override_settings(OTP_REQUIRED=False)
def test_with_two_factor_sign_in_off_for_local_use_the_password_is_enough(client, hackney_officer):
    assert _sign_in(client)["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_a_rejected_next_address_after_signing_in_goes_to_the_admin_index(client, hackney_officer, next_url):
    device = authenticator(hackney_officer)
    with override_settings(OTP_REQUIRED=False):
        assert _sign_in(client, next_url=next_url)["Location"] == reverse("admin:index")
        client.logout()
    _sign_in(client, next_url=next_url)
    assert _enter_code(client, code_now(device), next_url=next_url)["Location"] == reverse("admin:index")


@pytest.mark.django_db
def test_lockout_after_repeated_failed_sign_ins(client, hackney_officer):
    for _ in range(4):
        response = _sign_in(client, password="wrong-password")
        assert response.status_code == 200  # the form again, with an error
        assert "_auth_user_id" not in client.session
    locked = _sign_in(client, password="wrong-password")
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()

    # now even the right password is refused, and no session is started
    again = _sign_in(client)
    assert again.status_code == 429
    assert "You can try again" in again.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(
    "password",
    ["password", "short-pw1", "123456789012345", "officer-hackney-1"],
    ids=["common", "short", "numeric", "name"],
)
def test_weak_passwords_are_refused_for_officer_accounts(password):
    with pytest.raises(ValidationError):
        create_officer(
            username="officer-hackney",
            email="weak@example.org",
            authorities=[LocalAuthority.objects.get(slug="hackney")],
            password=password,
        )
    assert create_officer(
        username="strong",
        email="s@example.org",
        authorities=[LocalAuthority.objects.get(slug="hackney")],
        password=PASSWORD,
    ).check_password(PASSWORD)


@pytest.mark.django_db
def test_the_staff_session_ends_with_the_browser_and_after_eight_hours_at_most(client, hackney_officer):
    device = authenticator(hackney_officer)
    signed_in = _sign_in(client)
    cookie = signed_in.cookies["sessionid"]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    _enter_code(client, code_now(device))
    assert client.get(reverse("admin:index")).status_code == 200

    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date <= timezone.now() + datetime.timedelta(hours=8, seconds=5)
    session.expire_date = timezone.now() - datetime.timedelta(seconds=1)  # eight hours later
    session.save()
    assert client.get(reverse("admin:index")).status_code == 302


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
