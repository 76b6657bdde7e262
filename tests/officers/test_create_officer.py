"""Creating borough officers: the management command and the admin form used by editors."""

import base64
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from boroughs.models import LocalAuthority
from officers.models import EDITORS_GROUP, OFFICERS_GROUP
from tests.two_factor import authenticator, code_now

from .conftest import client_for

User = get_user_model()


@pytest.mark.django_db
def test_groups_come_from_the_migration():
    from django.contrib.auth.models import Group

    officers = Group.objects.get(name=OFFICERS_GROUP)
    codenames = set(officers.permissions.values_list("codename", flat=True))
    assert "change_localauthority" in codenames and "add_pilotupdate" in codenames
    assert "change_pilot" not in codenames and "view_integratedcaresystem" not in codenames
    assert "change_user" not in codenames
    editors = Group.objects.get(name=EDITORS_GROUP)
    assert editors.permissions.filter(codename="edit_all_boroughs").exists()
    assert editors.permissions.filter(codename="change_pilot").exists()


@pytest.mark.django_db
def test_create_officer_command_by_slug_and_gss_code():
    out = StringIO()
    call_command(
        "create_officer",
        "jo-south",
        "--email=jo@example.org",
        "--borough=hackney",
        "--borough=E09000023",
        "--no-password",
        stdout=out,
    )
    user = User.objects.get(username="jo-south")
    assert user.is_staff and not user.is_superuser
    assert not user.has_usable_password()
    assert user.groups.filter(name=OFFICERS_GROUP).exists()
    assert set(user.officer_profile.authorities.values_list("slug", flat=True)) == {"hackney", "lewisham"}
    assert "Created borough officer jo-south for Hackney, Lewisham." in out.getvalue()


@pytest.mark.django_db
def test_create_officer_command_asks_for_a_password(monkeypatch):
    answers = iter(["a-long-test-password-123", "a-long-test-password-123"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    call_command("create_officer", "sam", email="sam@example.org", boroughs=["hackney"], stdout=StringIO())
    assert User.objects.get(username="sam").check_password("a-long-test-password-123")


@pytest.mark.django_db
def test_create_officer_command_refuses_unknown_boroughs_and_weak_passwords(monkeypatch):
    with pytest.raises(CommandError, match="atlantis"):
        call_command("create_officer", "x", email="x@example.org", boroughs=["atlantis"], no_password=True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "password")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    with pytest.raises(CommandError):
        call_command("create_officer", "y", email="y@example.org", boroughs=["hackney"])
    assert not User.objects.filter(username__in=["x", "y"]).exists()


@pytest.mark.django_db
def test_editors_create_officers_in_the_admin(editor, hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    data = {
        "username": "new-officer",
        "email": "new@hackney.example",
        "password1": "a-long-test-password-123",
        "password2": "a-long-test-password-123",
        "authorities": [str(hackney.pk)],
    }
    response = client_for(editor).post(reverse("admin:officers_officerprofile_add"), data)
    assert response.status_code == 302, response.context["errors"]
    user = User.objects.get(username="new-officer")
    assert user.is_staff and user.groups.filter(name=OFFICERS_GROUP).exists()
    assert list(user.officer_profile.authorities.all()) == [hackney]
    assert user.officer_profile.history.first().history_user == editor
    # officers cannot do the same
    data["username"] = "sneaky"
    assert client_for(hackney_officer).post(reverse("admin:officers_officerprofile_add"), data).status_code == 403
    assert not User.objects.filter(username="sneaky").exists()


@pytest.mark.django_db
def test_create_officer_can_set_up_the_authenticator_app_and_the_officer_signs_in_with_it(client):
    out = StringIO()
    call_command(
        "create_officer",
        "ama",
        email="ama@example.org",
        boroughs=["hackney"],
        no_password=True,
        two_factor=True,
        stdout=out,
    )
    printed = out.getvalue()
    key = printed.split("Key: ")[1].strip().replace(" ", "")
    user = User.objects.get(username="ama")
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert base64.b32decode(key + "=" * (-len(key) % 8)) == device.bin_key  # the key printed is the device's
    assert "█" in printed or "▀" in printed or "▄" in printed  # a QR code drawn in the terminal

    user.set_password("a-long-test-password-123")
    user.save()
    client.post(reverse("admin:login"), {"username": "ama", "password": "a-long-test-password-123"})
    # with the app already set up, the set-up page (which shows a key) is never offered to a password alone
    assert client.get(reverse("admin:two_factor_enrol"), follow=True).request["PATH_INFO"] == reverse(
        "admin:two_factor"
    )
    assert client.post(reverse("admin:two_factor"), {"token": code_now(device)}).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


@pytest.mark.django_db
def test_an_editor_resets_a_lost_authenticator_app_without_ever_seeing_its_key(editor, hackney_officer):
    device = authenticator(hackney_officer)
    key = device.key
    url = reverse("admin:otp_totp_totpdevice_change", args=[device.pk])
    page = client_for(editor).get(url)
    assert page.status_code == 200 and key not in page.content.decode()
    assert client_for(editor).get(reverse("admin:otp_totp_totpdevice_qrcode", args=[device.pk])).status_code == 403
    assert client_for(hackney_officer).get(url).status_code == 403
    assert (
        client_for(editor)
        .post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
        .status_code
        == 302
    )
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()
