"""Publishing rules are checked on the values being saved, by every route: the change form, Revert, and
list actions. An officer never publishes a change to a pilot's status, and nothing is published
without a published source, whatever the stored record said before the save."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from core.models import PublicationStatus
from officers.services import publish, withdraw
from pilots.models import Pilot
from sources.models import KeyFigure
from tests.factories import KeyFigureFactory, PilotUpdateFactory, SourceFactory

from .conftest import change_form_data, client_for, form_data

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
DRAFT, PUBLISHED, WITHDRAWN = PublicationStatus.DRAFT, PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN


def _url(obj, view="change", *extra):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk, *extra])


@pytest.mark.django_db
def test_an_officer_cannot_publish_a_status_change_by_setting_it_in_the_same_save(hackney_officer):
    update = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT)
    data = change_form_data(hackney_officer, update)
    data.update(status_after="discontinued", publication_status="published")
    response = client_for(hackney_officer).post(_url(update), data)
    assert response.status_code == 200
    assert "a portal editor will check it and publish it" in response.content.decode()
    update.refresh_from_db()
    assert (update.publication_status, update.status_after) == (DRAFT, "")


@pytest.mark.django_db
def test_an_officer_cannot_turn_a_published_update_into_a_status_change(hackney_officer):
    update = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PUBLISHED)
    data = change_form_data(hackney_officer, update)
    data["status_after"] = "discontinued"
    response = client_for(hackney_officer).post(_url(update), data)
    assert response.status_code == 200
    assert "a portal editor will check it and publish it" in response.content.decode()
    update.refresh_from_db()
    assert update.status_after == ""


@pytest.mark.django_db
def test_an_officer_may_still_correct_the_text_of_a_published_update(hackney_officer):
    update = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PUBLISHED)
    data = change_form_data(hackney_officer, update)
    data["body"] = "Corrected wording."
    assert client_for(hackney_officer).post(_url(update), data).status_code == 302
    update.refresh_from_db()
    assert update.body == "Corrected wording." and update.is_published


@pytest.mark.django_db
def test_an_officer_cannot_republish_a_withdrawn_status_change_through_revert(hackney_officer, editor):
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT, status_after="discontinued"
    )
    publish(record=update, by=editor)
    published_version = update.history.order_by("-history_date").first()
    withdraw(record=update, by=editor)

    officer = client_for(hackney_officer)
    revert_url = _url(update, "simple_history", published_version.history_id)
    page = officer.get(revert_url)
    assert page.status_code == 200
    data = form_data(page.context["adminform"].form)
    assert data["publication_status"] == "published"  # the old version, as it was
    response = officer.post(revert_url, data)
    assert response.status_code == 200
    assert "a portal editor will check it and publish it" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == WITHDRAWN


@pytest.mark.django_db
def test_a_revert_to_a_published_version_needs_a_published_source_now(editor):
    draft_source = SourceFactory(publication_status=DRAFT)
    update = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PUBLISHED)
    published_version = update.history.order_by("-history_date").first()
    withdraw(record=update, by=editor)
    page = client_for(editor).get(_url(update, "simple_history", published_version.history_id))
    data = form_data(page.context["adminform"].form)
    data["sources"] = [str(draft_source.pk)]
    response = client_for(editor).post(_url(update, "simple_history", published_version.history_id), data)
    assert response.status_code == 200
    assert "Add at least one published source" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == WITHDRAWN


@pytest.mark.django_db
def test_a_key_figure_is_not_published_citing_a_draft_source_chosen_in_the_same_save(editor):
    figure = KeyFigureFactory(source=SourceFactory(), publication_status=DRAFT)
    data = change_form_data(editor, figure)
    data.update(source=str(SourceFactory(publication_status=DRAFT).pk), publication_status="published")
    response = client_for(editor).post(_url(figure), data)
    assert response.status_code == 200
    assert "Add at least one published source" in response.content.decode()
    figure.refresh_from_db()
    assert figure.publication_status == DRAFT


@pytest.mark.django_db
def test_a_key_figure_is_published_once_the_source_being_saved_is_published(editor):
    figure = KeyFigureFactory(source=SourceFactory(publication_status=DRAFT), publication_status=DRAFT)
    data = change_form_data(editor, figure)
    data.update(source=str(SourceFactory().pk), publication_status="published")
    response = client_for(editor).post(_url(figure), data)
    assert response.status_code == 302, response.context["errors"]
    figure.refresh_from_db()
    assert figure.publication_status == PUBLISHED and figure.published_by == editor


@pytest.mark.django_db
def test_the_publish_action_refuses_an_officers_status_change(hackney_officer):
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT, status_after="completed"
    )
    response = client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [f"{update.pk},{update.version}"]},
        follow=True,
    )
    assert "a portal editor will check it and publish it" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == DRAFT


@pytest.mark.django_db
def test_the_publish_action_refuses_a_key_figure_whose_source_is_a_draft(editor):
    figure = KeyFigureFactory(source=SourceFactory(publication_status=DRAFT), publication_status=DRAFT)
    response = client_for(editor).post(
        reverse("admin:sources_keyfigure_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [f"{figure.pk},{figure.version}"]},
        follow=True,
    )
    assert "Add at least one published source" in response.content.decode()
    assert KeyFigure.objects.get(pk=figure.pk).publication_status == DRAFT
