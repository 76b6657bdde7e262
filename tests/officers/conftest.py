"""Users for the admin tests: an officer of Hackney, an officer of Lewisham and a portal editor, all
created the way the product creates them (groups from the migration, the create_officer service)."""

import datetime

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Group
from django.forms.models import model_to_dict
from django.test import Client, RequestFactory

from boroughs.models import LocalAuthority
from officers.models import EDITORS_GROUP
from officers.services import create_officer
from tests.factories import UserFactory
from tests.two_factor import signed_in_client

PASSWORD = "a-long-test-password-123"


@pytest.fixture
def hackney_officer(db):
    return create_officer(
        username="officer-hackney",
        email="officer@hackney.example",
        authorities=[LocalAuthority.objects.get(slug="hackney")],
        password=PASSWORD,
    )


@pytest.fixture
def lewisham_officer(db):
    return create_officer(
        username="officer-lewisham",
        email="officer@lewisham.example",
        authorities=[LocalAuthority.objects.get(slug="lewisham")],
        password=PASSWORD,
    )


@pytest.fixture
def editor(db):
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITORS_GROUP))
    return user


@pytest.fixture
def users(hackney_officer, lewisham_officer, editor):
    return {"anonymous": None, "hackney": hackney_officer, "lewisham": lewisham_officer, "editor": editor}


def client_for(user) -> Client:
    """A client signed in as ``user`` with both factors (or anonymous for None)."""
    return Client() if user is None else signed_in_client(user)


def _post_value(bound_field):
    value = bound_field.value()
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "on" if value else ""
    return str(value)


def change_form_data(user, obj) -> dict:
    """What the admin change form for ``obj`` would post for ``user`` if nothing were typed, inlines included."""
    model_admin = site._registry[type(obj)]
    request = RequestFactory().get("/")
    request.user = user
    form = model_admin.get_form(request, obj, change=True)(instance=obj)
    data = {bf.html_name: _post_value(bf) for bf in form}
    data = {key: value for key, value in data.items() if value not in ("", [])}
    for formset_class, inline in model_admin.get_formsets_with_inlines(request, obj):
        formset = formset_class(
            instance=obj, prefix=formset_class.get_default_prefix(), queryset=inline.get_queryset(request)
        )
        for bf in formset.management_form:
            data[bf.html_name] = _post_value(bf)
        for inline_form in formset.forms:
            for bf in inline_form:
                value = _post_value(bf)
                if value not in ("", []):
                    data[bf.html_name] = value
    return data


def snapshot(obj) -> dict:
    """Every stored value of the record, its many-to-many links and how many history entries it has."""
    fresh = type(obj)._base_manager.get(pk=obj.pk)
    values = model_to_dict(fresh)
    values = {
        key: (sorted(item.pk for item in value) if isinstance(value, list) else value) for key, value in values.items()
    }
    values["version"] = getattr(fresh, "version", None)
    values["history"] = fresh.history.count() if hasattr(fresh, "history") else None
    return values


def form_data(form) -> dict:
    """What a bound admin form shown on a page would post back if nothing were typed."""
    data = {bf.html_name: _post_value(bf) for bf in form}
    return {key: value for key, value in data.items() if value not in ("", [])}
