"""The living record in the admin: a pilot's status evidence, events' links and notes, figure qualifiers
and glossary terms are editable where they belong, and a source without a web address is never published."""

import pytest
from django.urls import reverse

from core.models import PublicationStatus
from pilots.models import Pilot, TimelineEvent
from sources.models import GlossaryTerm, Source
from tests.factories import SourceFactory

from .conftest import change_form_data, client_for

pytestmark = pytest.mark.django_db


def _change_page(user, obj) -> str:
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_editor_edits_a_pilots_status_with_its_date_source_and_evidence(editor):
    page = _change_page(editor, Pilot.objects.get(slug="haringey-prevention"))

    for field in ("status_as_of", "status_as_of_precision", "status_source", "status_evidence"):
        assert f'name="{field}"' in page


def test_an_editor_links_an_event_to_pilots_authorities_and_icss_and_records_a_note(editor):
    page = _change_page(editor, TimelineEvent.objects.get(slug="london-councils-five-ps"))

    for field in ("note", "london_wide", "pilots", "authorities", "integrated_care_systems"):
        assert f'name="{field}"' in page
    assert "selectfilter" in page.lower()  # filter_horizontal for the many-to-many links


def test_glossary_terms_are_kept_by_editors_only(editor, hackney_officer):
    term = GlossaryTerm.objects.get(slug="integrated-care-board")
    assert 'name="definition"' in _change_page(editor, term)

    url = reverse("admin:sources_glossaryterm_change", args=[term.pk])
    assert client_for(hackney_officer).get(url).status_code in (403, 404)
    listing = client_for(hackney_officer).get(reverse("admin:sources_glossaryterm_changelist"))
    assert listing.status_code == 403


def test_the_admin_form_refuses_to_publish_a_source_without_a_web_address(editor):
    source = SourceFactory(url="", publication_status=PublicationStatus.DRAFT)
    data = change_form_data(editor, source)
    data.update(publication_status=PublicationStatus.PUBLISHED, url="")

    response = client_for(editor).post(reverse("admin:sources_source_change", args=[source.pk]), data)

    assert response.status_code == 200
    assert "Enter the web address before publishing" in response.content.decode()
    source.refresh_from_db()
    assert source.publication_status == PublicationStatus.DRAFT
    assert not Source.objects.public().filter(url="").exists()
