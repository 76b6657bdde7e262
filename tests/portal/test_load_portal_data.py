import datetime
import shutil
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boroughs.models import LocalAuthority, PlacePartnership
from core.history import last_updated
from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate, TimelineEvent
from portal.services import FIXTURES_DIR, LoadError, load_portal_data
from sources.models import GlossaryTerm, KeyFigure, Source
from tests.factories import PilotUpdateFactory

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


def _shipped_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "fixtures"
    shutil.copytree(FIXTURES_DIR, copy)
    return copy


# The 2022 Five Ps article as the previous release shipped it: one copy per pilot.
OLD_FIVE_PS_COPIES = "".join(
    f"""
[[pilot]]
slug = "{pilot}"
title = "x"
theme = "integration"
status = "under_way"
summary = "x"
sources = ["london-councils-2022-03-02-five-ps"]

[[pilot.update]]
slug = "london-wide-five-ps-2022"
happened_on = "2022-03-02"
happened_on_precision = "day"
title = "London-wide: the Five Ps"
body = "A London-wide development."
sources = ["london-councils-2022-03-02-five-ps"]
"""
    for pilot in ("hackney-health-and-social-care-integration", "lewisham-physical-and-mental-health-integration")
)


def test_updates_the_shipped_files_no_longer_hold_are_withdrawn_with_a_reason_and_kept_in_history(tmp_path):
    old = _shipped_copy(tmp_path)
    (old / "pilots.toml").write_text((FIXTURES_DIR / "pilots.toml").read_text() + OLD_FIVE_PS_COPIES)
    load_portal_data(fixtures_dir=old)
    copies = PilotUpdate.objects.filter(slug="london-wide-five-ps-2022")
    assert copies.count() == 2 and all(copy.is_published for copy in copies)

    report = load_portal_data()

    assert report.counts["pilot updates"]["withdrawn"] == 2
    for copy in copies.all():
        assert copy.publication_status == PublicationStatus.WITHDRAWN
        assert copy.history.latest().history_change_reason == "Withdrawn: no longer in the portal's shipped data"
    assert load_portal_data().total("withdrawn") == 0


def test_a_record_a_person_made_is_never_withdrawn_by_the_loader():
    editor = get_user_model().objects.create_user("editor")
    pilot = Pilot.objects.get(slug="haringey-prevention")
    update = PilotUpdate(
        pilot=pilot, slug="written-by-an-editor", title="t", body="b", publication_status=PublicationStatus.PUBLISHED
    )
    update._history_user = editor
    update.save()

    load_portal_data()

    update.refresh_from_db()
    assert update.is_published


def test_the_loader_refuses_a_published_source_without_a_web_address_and_loads_nothing(tmp_path):
    fixtures = _shipped_copy(tmp_path)
    (fixtures / "sources.toml").write_text(
        (fixtures / "sources.toml").read_text()
        + '\n[[source]]\nslug = "no-address"\ntitle = "No address"\nkind = "report"\nurl = ""\n'
    )

    with pytest.raises(LoadError, match=r"no-address.*web address"):
        load_portal_data(fixtures_dir=fixtures)
    assert not Source.objects.filter(slug="no-address").exists()


def test_a_second_run_changes_none_of_the_new_fields():
    fields = lambda: (  # noqa: E731
        list(Pilot.objects.values_list("status_as_of", "status_as_of_precision", "status_source", "status_evidence")),
        list(
            TimelineEvent.objects.values_list("note", "london_wide", "pilots", "authorities", "integrated_care_systems")
        ),
        list(KeyFigure.objects.values_list("value_qualifier")),
        list(GlossaryTerm.objects.values_list("slug", "definition", "sources")),
        list(PlacePartnership.objects.values_list("description")),
    )
    before = fields()

    report = load_portal_data()

    assert fields() == before
    assert report.total("updated") == report.total("created") == 0


def test_last_updated_is_when_the_content_was_revised_not_when_the_loader_ran(tmp_path):
    """A deploy changes no fact: the history rows the loader writes are dated to fixtures/revision.toml."""
    fixtures = _shipped_copy(tmp_path)
    (fixtures / "revision.toml").write_text('revised_on = "2025-06-30"\n')
    (fixtures / "glossary.toml").write_text(
        (fixtures / "glossary.toml").read_text()
        + '\n[[term]]\nslug = "new-term"\nterm = "New term"\ndefinition = "d"\nsources = ["london-reference-codes"]\n'
    )

    load_portal_data(fixtures_dir=fixtures)

    term = GlossaryTerm.objects.get(slug="new-term")
    assert timezone.localdate(last_updated(term)) == datetime.date(2025, 6, 30)
    assert load_portal_data(fixtures_dir=fixtures).total("updated") == 0
    assert timezone.localdate(last_updated(term)) == datetime.date(2025, 6, 30)


def test_a_run_costs_the_same_queries_however_many_records_it_never_loaded():
    """Records the loader did not make (officers' own, or a bulk load's, which have no history) are never
    its to withdraw; a run does not look at them one by one (at scale, a million history look-ups)."""

    def queries_of_a_run() -> int:
        with CaptureQueriesContext(connection) as queries:
            load_portal_data()
        return len(queries)

    PilotUpdateFactory.create_batch(5)
    few = queries_of_a_run()
    PilotUpdateFactory.create_batch(15)
    assert queries_of_a_run() == few
