"""History: every admin change names the user and the fields changed; the pilot's history includes
who joined or left it; a revert restores the old values (many-to-many too) and is scoped."""

import pytest
from django.urls import reverse

from boroughs.models import LocalAuthority
from pilots.models import Pilot, PilotParticipant, PilotUpdate
from sources.models import Source
from tests.factories import SourceFactory

from .conftest import change_form_data, client_for


def _url(obj, view="change", *extra):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk, *extra])


@pytest.mark.django_db
def test_history_records_user_and_changed_fields_and_the_admin_shows_them(hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    data = change_form_data(hackney_officer, hackney)
    data["description"] = "Hackney's health and care services are planned together."
    assert client_for(hackney_officer).post(_url(hackney), data).status_code == 302

    latest, previous = hackney.history.order_by("-history_date")[:2]
    assert latest.history_user == hackney_officer
    assert latest.diff_against(previous, excluded_fields=["version"]).changed_fields == ["description"]

    page = client_for(hackney_officer).get(_url(hackney, "history")).content.decode()
    assert "officer-hackney" in page
    assert "Description" in page  # the changed field, named
    assert "Hackney&#x27;s health and care services are planned together." in page


@pytest.mark.django_db
def test_saving_without_changes_adds_no_empty_history_entry(hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    count = hackney.history.count()
    assert (
        client_for(hackney_officer).post(_url(hackney), change_form_data(hackney_officer, hackney)).status_code == 302
    )
    assert hackney.history.count() == count


@pytest.mark.django_db
def test_changes_to_who_takes_part_are_recorded_and_shown(editor):
    pilot = Pilot.objects.get(slug="haringey-prevention")
    data = change_form_data(editor, pilot)
    total = int(data["participants-TOTAL_FORMS"])
    data["participants-TOTAL_FORMS"] = str(total + 1)
    data[f"participants-{total}-authority"] = str(LocalAuthority.objects.get(slug="enfield").pk)
    data[f"participants-{total}-role"] = ""
    response = client_for(editor).post(_url(pilot), data)
    assert response.status_code == 302, response.context["errors"]

    entry = PilotParticipant.history.filter(pilot_id=pilot.pk, authority__slug="enfield").get()
    assert entry.history_type == "+"
    assert entry.history_user == editor

    page = client_for(editor).get(_url(pilot, "history")).content.decode()
    assert "Changes to who takes part" in page
    assert "Enfield" in page and "joined" in page and "editor" in page


@pytest.mark.django_db
def test_revert_restores_old_values_including_sources(editor, hackney_officer):
    update = PilotUpdate.objects.get(pilot__slug="hackney-health-and-social-care-integration", slug="plans-2016")
    old_body = update.body
    old_sources = set(update.sources.values_list("pk", flat=True))
    old_record = update.history.order_by("-history_date").first()

    data = change_form_data(hackney_officer, update)
    data["body"] = "A mistaken edit."
    data["sources"] = [str(SourceFactory().pk)]
    assert client_for(hackney_officer).post(_url(update), data).status_code == 302
    update.refresh_from_db()
    assert update.body == "A mistaken edit."

    revert_url = _url(update, "simple_history", old_record.history_id)
    page = client_for(editor).get(revert_url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    assert form["body"].value() == old_body
    assert {int(pk) for pk in form["sources"].value()} == old_sources

    data = {bf.html_name: bf.value() for bf in form}
    data = {key: value for key, value in data.items() if value not in (None, "")}
    data["sources"] = [str(pk) for pk in data["sources"]]
    data["version"] = str(data["version"])
    data["happened_on"] = str(data["happened_on"])
    response = client_for(editor).post(revert_url, data)
    assert response.status_code == 302, response.context["errors"]

    update.refresh_from_db()
    assert update.body == old_body
    assert set(update.sources.values_list("pk", flat=True)) == old_sources
    latest = update.history.order_by("-history_date").first()
    assert latest.history_user == editor


@pytest.mark.django_db
def test_revert_and_history_of_another_boroughs_record_are_not_found(lewisham_officer, hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    record = hackney.history.first()
    lewisham = client_for(lewisham_officer)
    before = hackney.description
    assert lewisham.get(_url(hackney, "history")).status_code == 404
    assert lewisham.get(_url(hackney, "simple_history", record.history_id)).status_code == 404
    assert lewisham.post(_url(hackney, "simple_history", record.history_id), {"description": "x"}).status_code == 404
    hackney.refresh_from_db()
    assert hackney.description == before
    # and the Hackney officer may revert their own
    assert client_for(hackney_officer).get(_url(hackney, "simple_history", record.history_id)).status_code == 200


@pytest.mark.django_db
def test_a_revert_keeps_codes_an_officer_may_not_change(editor, hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    old_record = hackney.history.order_by("-history_date").first()
    data = change_form_data(editor, hackney)
    data["name"] = "Hackney (renamed by an editor)"
    assert client_for(editor).post(_url(hackney), data).status_code == 302

    page = client_for(hackney_officer).get(_url(hackney, "simple_history", old_record.history_id))
    form = page.context["adminform"].form
    assert "name" not in form.fields and "gss_code" not in form.fields
    data = {"description": "Reverted by the officer", "version": str(form["version"].value())}
    data["sources"] = [str(pk) for pk in form["sources"].value()]
    assert (
        client_for(hackney_officer).post(_url(hackney, "simple_history", old_record.history_id), data).status_code
        == 302
    )
    hackney.refresh_from_db()
    assert hackney.name == "Hackney (renamed by an editor)"
    assert hackney.description == "Reverted by the officer"


@pytest.mark.django_db
def test_a_stale_revert_is_refused(editor):
    source = Source.objects.first()
    old_record = source.history.order_by("-history_date").first()
    page = client_for(editor).get(_url(source, "simple_history", old_record.history_id))
    form = page.context["adminform"].form
    data = {bf.html_name: str(bf.value()) for bf in form if bf.value() not in (None, "")}

    other = change_form_data(editor, source)
    other["summary"] = "Saved while the revert page was open."
    assert client_for(editor).post(_url(source), other).status_code == 302

    response = client_for(editor).post(_url(source, "simple_history", old_record.history_id), data)
    assert response.status_code == 200
    assert "Someone else saved this record after you opened it" in response.content.decode()
    source.refresh_from_db()
    assert source.summary == "Saved while the revert page was open."
