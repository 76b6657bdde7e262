"""Input rules in the admin: http(s)-only links, codes an officer cannot change, help texts for officers,
choices limited to the officer's own records, sources an officer adds."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from boroughs.models import LocalAuthority
from pilots.models import Pilot
from sources.models import GlossaryTerm, Source
from tests.factories import (
    KeyFigureFactory,
    LocalAuthorityFactory,
    PilotFactory,
    PilotUpdateFactory,
    PlacePartnershipFactory,
    SourceFactory,
    TimelineEventFactory,
)

from .conftest import change_form_data, client_for


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/file", "data:text/html,hi"])
def test_source_links_must_be_http_or_https(editor, url):
    source = Source.objects.first()
    data = change_form_data(editor, source)
    data["url"] = url
    response = client_for(editor).post(_url(source), data)
    assert response.status_code == 200
    assert "url" in response.context["adminform"].form.errors
    source.refresh_from_db()
    assert source.url != url


@pytest.mark.django_db
def test_officers_cannot_change_codes_even_by_posting_them(hackney_officer, editor):
    hackney = LocalAuthority.objects.get(slug="hackney")
    data = change_form_data(editor, hackney)  # includes the code fields an editor sees
    data.update(gss_code="E09000099", name="Renamed", slug="renamed", description="Officer text")
    assert client_for(hackney_officer).post(_url(hackney), data).status_code == 302
    hackney.refresh_from_db()
    assert (hackney.gss_code, hackney.name, hackney.slug) == ("E09000012", "Hackney", "hackney")
    assert hackney.description == "Officer text"
    page = client_for(hackney_officer).get(_url(hackney)).content.decode()
    assert 'name="gss_code"' not in page and "E09000012" in page  # shown, not editable


@pytest.mark.django_db
def test_officer_forms_offer_only_their_own_pilots_and_help_texts(hackney_officer):
    response = client_for(hackney_officer).get(reverse("admin:pilots_pilotupdate_add"))
    form = response.context["adminform"].form
    assert set(form.fields["pilot"].queryset.values_list("slug", flat=True)) == {
        "hackney-health-and-social-care-integration"
    }
    assert "portal editor will check and publish it" in form.fields["status_after"].help_text
    lewisham_pilot = Pilot.objects.get(slug="lewisham-physical-and-mental-health-integration")
    response = client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_add"),
        {"pilot": lewisham_pilot.pk, "title": "Sneaky", "slug": "sneaky", "body": "x", "publication_status": "draft"},
    )
    assert response.status_code == 200
    assert "pilot" in response.context["adminform"].form.errors
    assert not lewisham_pilot.updates.filter(slug="sneaky").exists()


@pytest.mark.django_db
def test_officers_add_sources_and_change_only_their_own(hackney_officer, lewisham_officer):
    response = client_for(hackney_officer).post(
        reverse("admin:sources_source_add"),
        {
            "title": "Hackney board minutes",
            "slug": "hackney-board-minutes",
            "kind": "report",
            "url": "https://example.org/minutes",
            "publication_status": "published",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    source = Source.objects.get(slug="hackney-board-minutes")
    assert source.published_by == hackney_officer
    assert client_for(hackney_officer).get(_url(source)).context["has_change_permission"]
    assert not client_for(lewisham_officer).get(_url(source)).context["has_change_permission"]


@pytest.mark.django_db
def test_who_added_a_source_is_kept_on_it_so_pruning_history_changes_no_permission(hackney_officer):
    response = client_for(hackney_officer).post(
        reverse("admin:sources_source_add"),
        {
            "title": "Hackney scrutiny notes",
            "slug": "hackney-scrutiny-notes",
            "kind": "report",
            "url": "https://example.org/n",
            "publication_status": "draft",
        },
    )
    assert response.status_code == 302, response.context["errors"]
    source = Source.objects.get(slug="hackney-scrutiny-notes")
    assert source.created_by == hackney_officer
    source.history.all().delete()  # e.g. django-simple-history's clean_old_history
    page = client_for(hackney_officer).get(_url(source))
    assert page.context["has_change_permission"]


@pytest.mark.django_db
@pytest.mark.parametrize("slug", ["-1", "-minus", "=1", "+cmd", "@SUM"])
def test_a_slug_a_spreadsheet_would_read_as_a_formula_is_refused(editor, slug):
    source = Source.objects.first()
    data = change_form_data(editor, source)
    data["slug"] = slug
    response = client_for(editor).post(_url(source), data)
    assert response.status_code == 200
    assert "slug" in response.context["adminform"].form.errors
    source.refresh_from_db()
    assert source.slug != slug


SLUGGED = {
    "place partnership": lambda slug: PlacePartnershipFactory(slug=slug),
    "local authority": lambda slug: LocalAuthorityFactory(slug=slug),
    "pilot": lambda slug: PilotFactory(slug=slug),
    "pilot update": lambda slug: PilotUpdateFactory(slug=slug),
    "timeline event": lambda slug: TimelineEventFactory(slug=slug),
    "source": lambda slug: SourceFactory(slug=slug),
    "key figure": lambda slug: KeyFigureFactory(slug=slug),
    "glossary term": lambda slug: GlossaryTerm.objects.create(slug=slug, term="Term", definition="Meaning."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("model", SLUGGED)
def test_the_database_refuses_a_slug_beginning_with_a_hyphen_on_every_model(model):
    with pytest.raises(IntegrityError), transaction.atomic():
        SLUGGED[model]("-1")
    SLUGGED[model]("a-1")  # an ordinary slug is fine
