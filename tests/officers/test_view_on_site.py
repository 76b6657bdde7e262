"""The admin's "view on site" shortcut (``/admin/r/<content type>/<id>/``) leads to a public page only
when the public may see the record and the user may see it in the admin; otherwise "not found", so the
address of a draft (its slug, its anchor) or of another borough's record is never given away."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from boroughs.models import LocalAuthority
from core.models import PublicationStatus
from pilots.models import Pilot
from tests.factories import PilotFactory, PilotUpdateFactory

from .conftest import client_for

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
LEWISHAM_PILOT = "lewisham-physical-and-mental-health-integration"


def _shortcut(obj) -> str:
    return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(obj).pk, obj.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("status", [PublicationStatus.DRAFT, PublicationStatus.WITHDRAWN])
def test_view_on_site_never_gives_away_the_address_of_an_unpublished_update(hackney_officer, editor, status):
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), slug="secret-plan", publication_status=status
    )
    for user in (hackney_officer, editor):
        response = client_for(user).get(_shortcut(update))
        assert response.status_code == 404
        assert "secret-plan" not in response.get("Location", "")


@pytest.mark.django_db
def test_view_on_site_never_gives_away_a_published_update_of_a_draft_pilot(editor):
    pilot = PilotFactory(slug="unannounced-pilot", publication_status=PublicationStatus.DRAFT)
    update = PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.PUBLISHED)
    assert client_for(editor).get(_shortcut(update)).status_code == 404
    assert client_for(editor).get(_shortcut(pilot)).status_code == 404


@pytest.mark.django_db
def test_view_on_site_of_another_boroughs_record_is_not_found(lewisham_officer):
    other = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PublicationStatus.DRAFT)
    assert client_for(lewisham_officer).get(_shortcut(other)).status_code == 404
    assert client_for(lewisham_officer).get(_shortcut(LocalAuthority.objects.get(slug="hackney"))).status_code == 404


@pytest.mark.django_db
def test_view_on_site_of_a_public_record_opens_its_public_page(hackney_officer):
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), publication_status=PublicationStatus.PUBLISHED
    )
    response = client_for(hackney_officer).get(_shortcut(update))
    assert response.status_code == 302
    assert response["Location"] == update.get_absolute_url()
    hackney = LocalAuthority.objects.get(slug="hackney")
    assert client_for(hackney_officer).get(_shortcut(hackney))["Location"] == hackney.get_absolute_url()


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["r/abc/1/", "r/99999999999999999999/1/", "r/1/abc/", "r/1/99999999999999999999/"])
def test_a_view_on_site_address_that_cannot_be_read_is_not_found(editor, path):
    assert client_for(editor).get(reverse("admin:index") + path).status_code == 404
