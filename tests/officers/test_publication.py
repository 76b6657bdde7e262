"""Publication: drafts stay off every public page, feed and export until published; publishing records
who and when and needs a published source; staff can preview a draft; officers publish only what is theirs."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.urls import reverse

from boroughs.models import LocalAuthority
from core.models import PublicationStatus
from officers.services import PublicationRefused, can_publish, publish, withdraw
from pilots.models import Pilot, PilotUpdate
from tests.factories import PilotFactory, PilotParticipantFactory, PilotUpdateFactory, SourceFactory

from .conftest import change_form_data, client_for

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
DRAFT = PublicationStatus.DRAFT


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def _text(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _public_pages(pilot, source):
    return [
        reverse("portal:home"),
        reverse("pilots:list"),
        reverse("pilots:detail", kwargs={"slug": pilot.slug}),
        reverse("pilots:timeline"),
        reverse("pilots:feed"),
        reverse("boroughs:detail", kwargs={"slug": "hackney"}),
        reverse("sources:detail", kwargs={"slug": source.slug}),
        reverse("datasets:csv", kwargs={"dataset": "pilot-updates"}),
    ]


@pytest.mark.django_db
def test_a_draft_is_invisible_on_every_public_page_feed_and_export_until_published(editor, client):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    source = pilot.sources.public().first()
    draft = PilotUpdateFactory(
        pilot=pilot,
        publication_status=DRAFT,
        title="Zebra crossing draft headline",
        sources=[source],
        happened_on=datetime.date(2026, 1, 1),  # newer than the shipped record, so among the feed's 50
        happened_on_precision="year",
    )
    draft_pilot = PilotFactory(publication_status=DRAFT, title="Quokka draft pilot", sources=[source])
    PilotParticipantFactory(pilot=draft_pilot, authority=LocalAuthority.objects.get(slug="hackney"))

    for url in _public_pages(pilot, source):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _text(response)
        assert "Zebra crossing draft headline" not in body, url
        assert "Quokka draft pilot" not in body, url
    assert client.get(reverse("pilots:detail", kwargs={"slug": draft_pilot.slug})).status_code == 404

    publish(record=draft, by=editor)
    publish(record=draft_pilot, by=editor)
    for url in (
        reverse("pilots:detail", kwargs={"slug": pilot.slug}),
        reverse("pilots:feed"),
        reverse("datasets:csv", kwargs={"dataset": "pilot-updates"}),
    ):
        assert "Zebra crossing draft headline" in _text(client.get(url)), url
    assert "Quokka draft pilot" in _text(client.get(reverse("pilots:list")))
    assert client.get(reverse("pilots:detail", kwargs={"slug": draft_pilot.slug})).status_code == 200


@pytest.mark.django_db
def test_a_draft_source_has_no_public_page(client):
    source = SourceFactory(publication_status=DRAFT)
    assert client.get(reverse("sources:detail", kwargs={"slug": source.slug})).status_code == 404


@pytest.mark.django_db
def test_publishing_records_who_and_when_and_needs_a_published_source(hackney_officer):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    update = PilotUpdateFactory(
        pilot=pilot, publication_status=DRAFT, sources=[SourceFactory(publication_status=DRAFT)]
    )
    with pytest.raises(ValidationError, match="published source"):
        publish(record=update, by=hackney_officer)
    update.sources.add(SourceFactory())
    publish(record=update, by=hackney_officer)
    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.PUBLISHED
    assert update.published_by == hackney_officer
    assert update.published_at is not None
    assert update.history.order_by("-history_date").first().history_user == hackney_officer

    withdraw(record=update, by=hackney_officer)
    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.WITHDRAWN


@pytest.mark.django_db
def test_who_may_publish(hackney_officer, lewisham_officer, editor):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    update = PilotUpdateFactory(pilot=pilot, publication_status=DRAFT)
    status_change = PilotUpdateFactory(pilot=pilot, publication_status=DRAFT, status_after="completed")
    assert can_publish(user=hackney_officer, record=update)
    assert not can_publish(user=lewisham_officer, record=update)
    assert not can_publish(user=hackney_officer, record=status_change)  # a proposal: an editor publishes it
    assert not can_publish(user=hackney_officer, record=pilot)  # pilots themselves: editors only
    assert can_publish(user=editor, record=status_change)
    with pytest.raises(PublicationRefused):
        publish(record=update, by=lewisham_officer)


@pytest.mark.django_db
def test_publishing_in_the_change_form(hackney_officer):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    update = PilotUpdateFactory(
        pilot=pilot, publication_status=DRAFT, sources=[SourceFactory(publication_status=DRAFT)]
    )
    data = change_form_data(hackney_officer, update)
    data["publication_status"] = "published"
    response = client_for(hackney_officer).post(_url(update), data)
    assert response.status_code == 200
    assert "Add at least one published source" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == DRAFT

    data["sources"] = [str(SourceFactory().pk)]
    assert client_for(hackney_officer).post(_url(update), data).status_code == 302
    update.refresh_from_db()
    assert update.publication_status == PublicationStatus.PUBLISHED
    assert update.published_by == hackney_officer


@pytest.mark.django_db
def test_an_officer_cannot_publish_a_proposed_status_change(hackney_officer):
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT, status_after="completed"
    )
    data = change_form_data(hackney_officer, update)
    data["publication_status"] = "published"
    response = client_for(hackney_officer).post(_url(update), data)
    assert response.status_code == 200
    assert "a portal editor will check it and publish it" in response.content.decode()
    update.refresh_from_db()
    assert update.publication_status == DRAFT


@pytest.mark.django_db
def test_publish_action_only_reaches_the_officers_own_records(hackney_officer):
    own = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT)
    other = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug="lewisham-physical-and-mental-health-integration"), publication_status=DRAFT
    )
    response = client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {
            "action": "publish_selected",
            ACTION_CHECKBOX_NAME: [f"{own.pk},{own.version}", f"{other.pk},{other.version}"],
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    other.refresh_from_db()
    assert other.publication_status == DRAFT  # not in the officer's list, so not selectable
    # the selection named a record outside the list, so the whole action was refused
    assert own.publication_status == DRAFT

    client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [f"{own.pk},{own.version}"]},
    )
    own.refresh_from_db()
    assert own.publication_status == PublicationStatus.PUBLISHED


@pytest.mark.django_db
def test_csv_export_action_is_scoped(hackney_officer):
    own = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), title="Own update for export")
    PilotUpdateFactory(
        pilot=Pilot.objects.get(slug="lewisham-physical-and-mental-health-integration"), title="Other update for export"
    )
    response = client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "export_csv", "select_across": "1", ACTION_CHECKBOX_NAME: [f"{own.pk},{own.version}"]},
    )
    body = _text(response)
    assert response["Content-Type"].startswith("text/csv")
    assert "Own update for export" in body
    assert "Other update for export" not in body


@pytest.mark.django_db
def test_staff_preview_a_draft_scoped(hackney_officer, lewisham_officer, client):
    draft = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=DRAFT, body="<script>alert(1)</script>"
    )
    url = _url(draft, "preview")
    response = client_for(hackney_officer).get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "not published" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert(1)" not in body
    assert client_for(lewisham_officer).get(url).status_code == 404
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    # the change form's "view on site" goes to the preview while it is a draft
    page = client_for(hackney_officer).get(_url(draft)).content.decode()
    assert url in page


@pytest.mark.django_db
def test_officers_delete_drafts_not_published_updates(hackney_officer):
    published = PilotUpdate.objects.get(pilot__slug=HACKNEY_PILOT, slug="announced")
    draft = PilotUpdateFactory(pilot=published.pilot, publication_status=DRAFT)
    assert client_for(hackney_officer).post(_url(published, "delete"), {"post": "yes"}).status_code == 403
    assert client_for(hackney_officer).post(_url(draft, "delete"), {"post": "yes"}).status_code == 302
    assert PilotUpdate.objects.filter(pk=published.pk).exists()
    assert not PilotUpdate.objects.filter(pk=draft.pk).exists()
