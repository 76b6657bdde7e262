from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from bench.synthetic import Plan
from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import KeyFigure, Source

from .planner import analysed_tables, forget_statistics

pytestmark = pytest.mark.django_db


def generate(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("generate_load_data", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in ("sources", "boroughs", "pilots")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    }


def test_scale_n_means_n_times_fifty_pilots_and_ten_thousand_updates():
    assert Plan.for_scale(100).as_dict() == {
        "pilots": 5_000,
        "updates": 1_000_000,
        "sources": 20_000,
        "timeline_events": 8_000,
        "key_figures": 12_000,
    }
    assert Plan.for_scale(0.01).as_dict() == {
        "pilots": 1,
        "updates": 100,
        "sources": 2,
        "timeline_events": 1,
        "key_figures": 2,
    }


def test_a_small_scale_adds_clearly_marked_published_records_and_no_areas():
    def area_counts() -> tuple[int, int, int]:
        return tuple(model.objects.count() for model in (LocalAuthority, IntegratedCareSystem, PlacePartnership))

    areas_before = area_counts()

    _, progress = generate("--scale", "0.02")

    synthetic = {"slug__startswith": "synthetic-"}
    assert Pilot.objects.filter(**synthetic).count() == 1
    assert PilotUpdate.objects.filter(**synthetic).count() == 200
    assert Source.objects.filter(**synthetic).count() == 4
    assert TimelineEvent.objects.filter(**synthetic).count() == 2
    assert KeyFigure.objects.filter(**synthetic).count() == 3
    for model in (Pilot, PilotUpdate, Source, TimelineEvent):
        rows = model.objects.filter(**synthetic)
        assert not rows.exclude(title__startswith="[Synthetic] ").exists()
        assert not rows.exclude(publication_status=PublicationStatus.PUBLISHED).exists()
    assert not KeyFigure.objects.filter(**synthetic).exclude(label__startswith="[Synthetic] ").exists()
    assert area_counts() == areas_before == (33, 5, 32)

    pilot = Pilot.objects.get(**synthetic)
    assert 1 <= pilot.participants.count() <= 5
    assert pilot.sources.exists()
    updates = PilotUpdate.objects.filter(**synthetic)
    assert not updates.filter(sources=None).exists()
    assert (
        updates.filter(happened_on__year__gte=2015, happened_on__year__lte=2025).count()
        == updates.exclude(happened_on=None).count()
    )
    assert set(updates.exclude(happened_on=None).values_list("happened_on_precision", flat=True)) == {
        "day",
        "month",
        "year",
    }
    assert "pilot updates" in progress and "100%" in progress


def test_the_same_seed_gives_the_same_data():
    generate("--scale", "0.01", "--no-progress")
    first = list(PilotUpdate.objects.filter(slug__startswith="synthetic-").order_by("slug").values_list("title"))

    generate("--clear", "--scale", "0.01", "--no-progress")

    again = list(PilotUpdate.objects.filter(slug__startswith="synthetic-").order_by("slug").values_list("title"))
    assert again == first


def test_it_refuses_a_database_that_people_have_edited_unless_forced():
    officer = get_user_model().objects.create_user("officer")
    hackney = LocalAuthority.objects.get(gss_code="E09000012")
    hackney.description = "Written by the borough's officer."
    hackney._history_user = officer
    hackney.save()

    with pytest.raises(CommandError, match="edits made by people"):
        generate("--scale", "0.01", "--no-progress")
    assert not Pilot.objects.filter(slug__startswith="synthetic-").exists()

    generate("--scale", "0.01", "--no-progress", "--force")
    assert Pilot.objects.filter(slug__startswith="synthetic-").count() == 1


def test_it_refuses_to_add_synthetic_data_twice():
    generate("--scale", "0.01", "--no-progress")

    with pytest.raises(CommandError, match="already holds synthetic records"):
        generate("--scale", "0.01", "--no-progress")


def test_clear_removes_only_the_synthetic_records_and_leaves_the_shipped_data():
    shipped = row_counts()
    shipped_hackney_pilots = set(LocalAuthority.objects.get(gss_code="E09000012").pilots.values_list("slug", flat=True))
    generate("--scale", "0.05", "--no-progress")
    assert row_counts() != shipped

    output, _ = generate("--clear")

    assert row_counts() == shipped
    assert set(LocalAuthority.objects.get(gss_code="E09000012").pilots.values_list("slug", flat=True)) == (
        shipped_hackney_pilots
    )
    assert not PilotParticipant.objects.filter(pilot__slug__startswith="synthetic-").exists()
    assert "Removed synthetic records" in output


def test_clear_writes_no_history_for_the_rows_it_deletes():
    generate("--scale", "0.01", "--no-progress")
    history_before = PilotUpdate.history.count()

    generate("--clear")

    assert PilotUpdate.history.count() == history_before


def test_a_bulk_load_leaves_planner_statistics_for_the_tables_it_filled():
    """Without statistics PostgreSQL plans a million-row export for empty tables (issue 14: no first
    byte in ten minutes); the load must not wait for autovacuum."""
    before = forget_statistics()

    generate("--scale", "0.01", "--no-progress")

    analysed = analysed_tables()
    for table in ("pilots_pilotupdate", "pilots_pilotupdate_sources", "pilots_pilot", "sources_source"):
        assert table in analysed, table
        if before is not None:
            assert analysed[table] >= before, table


def test_a_bulk_load_leaves_every_whole_dataset_prepared(client):
    """The first download after a bulk load is a stored file, not a million rows built while a visitor waits."""
    out, _ = generate("--scale", "0.01", "--no-progress")

    assert "Prepared the whole-dataset exports" in out
    response = client.get("/data/pilot-updates.csv")
    assert response.status_code == 200 and response["ETag"]  # only a stored file has one
    assert b"synthetic-" in b"".join(response.streaming_content)
