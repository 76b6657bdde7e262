"""No lost edits: two people open one record and both save; the second save is refused with a clear
message, the second person's typed values stay on screen, and the first save is kept."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from boroughs.models import LocalAuthority
from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from tests.factories import PilotUpdateFactory

from .conftest import change_form_data, client_for, snapshot


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.django_db
def test_second_stale_save_is_refused_and_first_is_kept(hackney_officer, editor):
    hackney = LocalAuthority.objects.get(slug="hackney")
    # both open the form (each form carries the version it was opened at)
    officer_data = change_form_data(hackney_officer, hackney)
    editor_data = change_form_data(editor, hackney)

    officer_data["description"] = "The officer's text, saved first."
    first = client_for(hackney_officer).post(_url(hackney), officer_data)
    assert first.status_code == 302

    editor_data["description"] = "The editor's text, typed meanwhile."
    second = client_for(editor).post(_url(hackney), editor_data)
    assert second.status_code == 200  # the form again, not a redirect
    page = second.content.decode()
    assert "Someone else saved this record after you opened it" in page
    assert "NOT been saved" in page
    assert "They changed: Description" in page  # which fields the other person changed
    assert "The editor&#x27;s text, typed meanwhile." in page  # their typed value is still in the form
    assert second.context["adminform"].form["description"].value() == "The editor's text, typed meanwhile."

    hackney.refresh_from_db()
    assert hackney.description == "The officer's text, saved first."


@pytest.mark.django_db
def test_a_missing_version_is_stale_and_a_forged_one_is_a_bad_request(editor):
    hackney = LocalAuthority.objects.get(slug="hackney")
    before = snapshot(hackney)
    data = change_form_data(editor, hackney)
    data["description"] = "Overwrite attempt"
    data["version"] = ""
    response = client_for(editor).post(_url(hackney), data)
    assert response.status_code == 200
    assert "Someone else saved this record after you opened it" in response.content.decode()
    for forged in ("12345", "1:forged-signature"):  # the version is signed: tampering is refused outright
        data["version"] = forged
        assert client_for(editor).post(_url(hackney), data).status_code == 400
    assert snapshot(hackney) == before


@pytest.mark.django_db
def test_stale_update_inline_on_the_pilot_page_is_refused(editor, hackney_officer):
    pilot = Pilot.objects.get(slug="hackney-health-and-social-care-integration")
    update = PilotUpdate.objects.get(pilot=pilot, slug="announced")
    editor_data = change_form_data(editor, pilot)  # the editor opens the pilot page, with its updates inline

    officer_data = change_form_data(hackney_officer, update)  # the officer edits the update on its own page
    officer_data["body"] = "Officer's correction."
    assert client_for(hackney_officer).post(_url(update), officer_data).status_code == 302

    prefix = next(key for key, value in editor_data.items() if key.endswith("-slug") and value == "announced")[
        : -len("slug")
    ]
    editor_data[f"{prefix}body"] = "Editor's overwrite."
    response = client_for(editor).post(_url(pilot), editor_data)
    assert response.status_code == 200
    assert "Someone else saved this record after you opened it" in response.content.decode()
    update.refresh_from_db()
    assert update.body == "Officer's correction."


@pytest.mark.django_db
def test_bulk_action_on_a_record_changed_since_the_list_was_loaded_is_refused(editor, hackney_officer):
    pilot = Pilot.objects.get(slug="hackney-health-and-social-care-integration")
    update = PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT)
    listed_version = update.version

    data = change_form_data(hackney_officer, update)
    data["body"] = "Changed after the editor loaded the list."
    assert client_for(hackney_officer).post(_url(update), data).status_code == 302

    response = client_for(editor).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [f"{update.pk},{listed_version}"]},
        follow=True,
    )
    assert "someone saved one or more of the selected records after you opened this list" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.DRAFT
