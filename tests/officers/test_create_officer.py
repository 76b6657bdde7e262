"""Creating borough officers: the management command and the admin form used by editors."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from boroughs.models import LocalAuthority
from officers.models import EDITORS_GROUP, OFFICERS_GROUP

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
