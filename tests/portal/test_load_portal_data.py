import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from boroughs.models import LocalAuthority
from pilots.models import Pilot
from portal.services import load_portal_data

from .planner import analysed_tables, forget_statistics

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("sources", "boroughs", "pilots")
        for model in apps.get_app_config(app).get_models()
    }


def test_a_second_run_changes_nothing():
    before = row_counts()

    report = load_portal_data()

    assert row_counts() == before
    assert report.total("created") == 0
    assert report.total("updated") == 0


def test_a_field_an_officer_edited_survives_the_next_run():
    officer = get_user_model().objects.create_user("officer")
    hackney = LocalAuthority.objects.get(gss_code="E09000012")
    hackney.description = "Written by the borough's officer."
    hackney._history_user = officer
    hackney.save()

    report = load_portal_data()

    hackney.refresh_from_db()
    assert hackney.description == "Written by the borough's officer."
    assert report.counts["local authorities"]["kept"] == 1


def test_a_record_nobody_edited_is_brought_back_in_line_with_the_shipped_data():
    pilot = Pilot.objects.get(slug="north-central-london-estates")
    shipped_title = pilot.title
    Pilot.objects.filter(pk=pilot.pk).update(title="Changed outside the admin")

    load_portal_data()

    pilot.refresh_from_db()
    assert pilot.title == shipped_title


def test_loaded_records_are_published_and_their_history_says_where_they_came_from():
    pilot = Pilot.objects.get(slug="hackney-health-and-social-care-integration")

    assert pilot.is_published
    assert pilot.history.earliest().history_change_reason == "Loaded from the portal's shipped data"


def test_loading_the_shipped_data_leaves_planner_statistics():
    before = forget_statistics()

    load_portal_data()

    analysed = analysed_tables()
    for table in ("pilots_pilot", "pilots_pilotupdate", "boroughs_localauthority", "sources_source"):
        assert table in analysed, table
        if before is not None:
            assert analysed[table] >= before, table
