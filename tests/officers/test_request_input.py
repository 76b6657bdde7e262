"""Input no person types but a tampered request can carry, on every admin of the site (other apps' too):
a history address without an id, ``?_to_field=`` left empty, list-action rows that name no record, and
pick-list ids that are not ids. Each is a "not found", a message or a form error, never a server error,
and nothing is changed. (tests/test_hostile_input.py sends thousands of such requests; these are the
cases it found, run on every commit.)"""

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from boroughs.models import LocalAuthority
from core.models import PublicationStatus
from officers.models import Proposal, SentNotification
from officers.review import propose
from pilots.models import Pilot, PilotUpdate
from tests.factories import PilotUpdateFactory, UserFactory

from .conftest import change_form_data, client_for, snapshot

ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
WITH_HISTORY = [model for model, model_admin in ADMINS if isinstance(model_admin, SimpleHistoryAdmin)]
HACKNEY_PILOT = "hackney-health-and-social-care-integration"
HUGE = "9" * 20  # past a 64-bit key: SQLite refuses to compare with it at all


def _url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.django_db
@pytest.mark.parametrize("model", WITH_HISTORY, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("object_id", [":", "nan", " ", HUGE])
def test_the_history_of_an_id_that_is_not_one_is_not_found(editor, model, object_id):
    assert client_for(editor).get(_url(model, "history", object_id)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("model", [model for model, _ in ADMINS], ids=lambda model: model._meta.label)
def test_an_empty_to_field_opens_the_record_by_its_id(editor, hackney_officer, model):
    client = client_for(editor)  # sets up the editor's authenticator device too
    obj = model._default_manager.order_by("pk").first() or _record_of(model)
    response = client.get(_url(model, "change", obj.pk), {"_to_field": ""})
    assert response.status_code == 200
    assert response.context["original"] == obj


def _record_of(model):
    """A record of a model the shipped data has none of: a resident's problem report, an officer's
    proposal for publication and an email about it, or one of django-axes' sign-in logs."""
    if model._meta.label == "feedback.ProblemReport":
        return model._default_manager.create(page="/about/", description="The map is hard to read.")
    if model in (Proposal, SentNotification):
        return _notification().proposal if model is Proposal else _notification()
    fields = {"username": "someone", "ip_address": "192.0.2.1", "user_agent": "test", "path_info": "/"}
    if model is AccessAttempt:
        fields.update(get_data="", post_data="", failures_since_start=1)
    return model._default_manager.create(**fields)


def _notification():
    officer = get_user_model().objects.get(username="officer-hackney")
    draft = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PublicationStatus.DRAFT)
    proposal = propose(record=draft, by=officer)
    return SentNotification.objects.create(
        proposal=proposal, event="proposed", recipient=officer, address=officer.email, subject="-", body="-"
    )


@pytest.mark.django_db
@pytest.mark.parametrize("selection", [["1,1"], ["abc"], [HUGE], ["1.0"], [""]])
@pytest.mark.parametrize("model", [Group, UserFactory._meta.model], ids=["group", "user"])
def test_other_apps_lists_refuse_a_selection_that_names_no_record(editor, model, selection):
    """Django's own list actions put the ticked rows straight into a query."""
    Group.objects.create(name="Spare")
    before = sorted(model._default_manager.values_list("pk", flat=True))
    response = client_for(editor).post(
        _url(model, "changelist"),
        {"action": "delete_selected", ACTION_CHECKBOX_NAME: selection, "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert "The selection could not be read" in response.content.decode()
    assert sorted(model._default_manager.values_list("pk", flat=True)) == before


@pytest.mark.django_db
def test_other_apps_lists_still_run_their_actions(editor):
    spare = Group.objects.create(name="Spare")
    response = client_for(editor).post(
        _url(Group, "changelist"), {"action": "delete_selected", ACTION_CHECKBOX_NAME: [spare.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not Group.objects.filter(pk=spare.pk).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "slug", "field"),
    [
        (LocalAuthority, "hackney", "ics"),  # an autocomplete foreign key
        (LocalAuthority, "hackney", "sources"),  # an autocomplete many-to-many
        (Pilot, "hackney-health-and-social-care-integration", "participants-0-authority"),  # inline
        (Pilot, "hackney-health-and-social-care-integration", "updates-0-sources"),  # inline many-to-many
    ],
)
@pytest.mark.parametrize("value", [":", HUGE])
def test_a_pick_list_id_that_is_not_one_is_a_form_error(editor, model, slug, field, value):
    obj = model.objects.get(slug=slug)
    before = snapshot(obj)
    data = change_form_data(editor, obj)
    assert field in data
    data[field] = value
    response = client_for(editor).post(_url(model, "change", obj.pk), data)
    assert response.status_code == 200
    assert response.context["errors"]  # the form says which choice is not valid
    assert snapshot(obj) == before


@pytest.mark.django_db
@pytest.mark.parametrize("value", [":", HUGE])
def test_other_apps_many_to_many_pick_lists_refuse_an_id_that_is_not_one(editor, value):
    user = UserFactory(username="someone", is_staff=True)
    data = change_form_data(editor, user)
    data["groups"] = value
    response = client_for(editor).post(_url(type(user), "change", user.pk), data)
    assert response.status_code == 200
    assert "groups" in response.context["adminform"].form.errors
    assert not user.groups.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:pilots_pilotupdate_import",
        "admin:pilots_pilotupdate_import_template_csv",
        "admin:pilots_pilotupdate_import_template_xlsx",
    ],
)
@pytest.mark.parametrize("query", [{"_to_field": ""}, {"_to_field": "password"}, {"q": HUGE, "p": ":"}, {"o": "\x00"}])
def test_the_start_page_and_import_screens_read_no_tampered_parameter(hackney_officer, editor, name, query):
    """Neither screen reads the address's parameters: whatever they hold, the page is the same."""
    for user in (hackney_officer, editor):
        assert client_for(user).get(reverse(name), query).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{"checked_file": ["a", "b"]}, {"checked_file": HUGE}, {"file": "not a file"}, {}],
    ids=["repeated", "huge", "text-for-a-file", "nothing"],
)
def test_the_import_screen_answers_a_tampered_post_with_a_form_error(hackney_officer, data):
    before = PilotUpdate.objects.count()
    response = client_for(hackney_officer).post(reverse("admin:pilots_pilotupdate_import"), data)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert PilotUpdate.objects.count() == before
