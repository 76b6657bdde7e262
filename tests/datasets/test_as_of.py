"""?as_of=YYYY-MM-DD: the published records as they stood at the end of that day, from the history."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.utils import timezone

from core.models import PublicationStatus
from datasets.definitions import DATASETS
from pilots.models import Pilot
from tests.factories import PilotFactory, PilotParticipantFactory, PilotUpdateFactory, SourceFactory

from .helpers import csv_text, read_csv, read_json_pages

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
IN_2020 = datetime.datetime(2020, 6, 30, 23, 30, tzinfo=LONDON)  # late in the evening, London time


def test_the_timeline_refuses_as_of_and_says_which_datasets_take_it(client):
    today = timezone.localdate(timezone=LONDON).isoformat()

    csv_response = client.get(f"/data/timeline.csv?as_of={today}")
    json_response = client.get(f"/data/timeline.json?as_of={today}")

    assert csv_response.status_code == json_response.status_code == 400
    assert "timeline-events and pilot-updates" in csv_response.content.decode()
    assert json_response.json()["error"].startswith("as_of: the timeline")


def everything_happened_at(moment: datetime.datetime) -> None:
    """Move every recorded change so far to ``moment``: the database as it is now is how it stood then."""
    for model in apps.get_models():
        if model.__name__.startswith("Historical") and hasattr(model, "history_date"):
            model.objects.update(history_date=moment)


@pytest.mark.parametrize("name", [name for name, dataset in DATASETS.items() if not dataset.no_as_of_reason])
def test_as_of_today_gives_the_same_file_as_now(client, name):
    PilotUpdateFactory(sources=[SourceFactory(slug="b-source"), SourceFactory(slug="a-source")])
    today = timezone.localdate(timezone=LONDON).isoformat()

    now = csv_text(client.get(f"/data/{name}.csv"))
    response = client.get(f"/data/{name}.csv?as_of={today}")

    assert response.status_code == 200
    assert csv_text(response) == now
    assert response["Content-Disposition"].endswith(f'-{name}-as-of-{today}.csv"')


def test_as_of_returns_the_earlier_value_of_a_record_edited_later(client):
    pilot = PilotFactory(slug="renamed-later", title="The first title")
    everything_happened_at(IN_2020)

    pilot.title = "A later title"
    pilot.save()

    _, then = read_csv(client.get("/data/pilots.csv?as_of=2020-06-30"))
    _, now = read_csv(client.get("/data/pilots.csv"))
    assert next(row for row in then if row["slug"] == "renamed-later")["title"] == "The first title"
    assert next(row for row in now if row["slug"] == "renamed-later")["title"] == "A later title"

    json_then = read_json_pages(client, "/data/pilots.json?as_of=2020-06-30")
    assert next(row for row in json_then if row["slug"] == "renamed-later")["title"] == "The first title"


def test_as_of_ends_at_midnight_london_time(client):
    PilotFactory(slug="late-evening")
    everything_happened_at(IN_2020)

    _, that_day = read_csv(client.get("/data/pilots.csv?as_of=2020-06-30"))
    _, day_before = read_csv(client.get("/data/pilots.csv?as_of=2020-06-29"))

    assert "late-evening" in {row["slug"] for row in that_day}
    assert day_before == []


def test_as_of_keeps_records_unpublished_or_deleted_later_and_leaves_out_later_ones(client):
    withdrawn = PilotFactory(slug="withdrawn-later")
    deleted = PilotFactory(slug="deleted-later")
    everything_happened_at(IN_2020)

    withdrawn.publication_status = PublicationStatus.WITHDRAWN
    withdrawn.save()
    deleted.delete()
    PilotFactory(slug="created-later")

    _, then = read_csv(client.get("/data/pilots.csv?as_of=2020-06-30"))
    _, now = read_csv(client.get("/data/pilots.csv"))

    assert {"withdrawn-later", "deleted-later"} <= {row["slug"] for row in then}
    assert "created-later" not in {row["slug"] for row in then}
    assert {"withdrawn-later", "deleted-later"}.isdisjoint(row["slug"] for row in now)


def test_as_of_reads_related_records_and_sources_from_their_history(client):
    source = SourceFactory(slug="the-original-source")
    update = PilotUpdateFactory(slug="an-update", pilot=PilotFactory(slug="old-pilot-slug"), sources=[source])
    draft_at_the_time = PilotFactory(slug="draft-at-the-time", publication_status=PublicationStatus.DRAFT)
    PilotUpdateFactory(slug="update-of-a-draft", pilot=draft_at_the_time)
    everything_happened_at(IN_2020)

    pilot = update.pilot
    pilot.slug = "new-pilot-slug"
    pilot.save()
    update.sources.set([SourceFactory(slug="a-newer-source")])
    draft_at_the_time.publication_status = PublicationStatus.PUBLISHED
    draft_at_the_time.save()

    _, then = read_csv(client.get("/data/pilot-updates.csv?as_of=2020-06-30"))
    row = next(row for row in then if row["slug"] == "an-update")
    assert row["pilot_slug"] == "old-pilot-slug"
    assert row["source_slugs"] == "the-original-source"
    assert "update-of-a-draft" not in {row["slug"] for row in then}

    _, now = read_csv(client.get("/data/pilot-updates.csv"))
    row = next(row for row in now if row["slug"] == "an-update")
    assert (row["pilot_slug"], row["source_slugs"]) == ("new-pilot-slug", "a-newer-source")
    assert "update-of-a-draft" in {row["slug"] for row in now}


def test_filters_on_the_records_own_fields_work_with_as_of(client):
    estates = PilotFactory(slug="estates-then", theme=Pilot.Theme.ESTATES)
    everything_happened_at(IN_2020)
    estates.theme = Pilot.Theme.PREVENTION
    estates.save()

    _, then = read_csv(client.get("/data/pilots.csv?as_of=2020-06-30&theme=estates"))
    _, now = read_csv(client.get("/data/pilots.csv?theme=estates"))

    assert "estates-then" in {row["slug"] for row in then}
    assert all(row["theme"] == "estates" for row in then)
    assert "estates-then" not in {row["slug"] for row in now}


def test_as_of_keeps_the_lists_order_and_sort(client):
    today = timezone.localdate(timezone=LONDON).isoformat()
    for query in ("sort=-gss_code", "sort=ics&ics=nel", ""):
        _, now = read_csv(client.get(f"/data/boroughs.csv?{query}"))
        _, then = read_csv(client.get(f"/data/boroughs.csv?{query}&as_of={today}"))
        assert then == now


@pytest.mark.parametrize(
    ("name", "query"),
    [
        ("pilots", "ics=NCL"),
        ("pilots", "borough=hackney"),
        ("pilot-updates", "borough=hackney"),
        ("pilot-participants", "ics=NEL"),
    ],
)
def test_a_filter_that_cannot_apply_to_the_past_is_refused_not_ignored(client, name, query):
    PilotParticipantFactory()
    response = client.get(f"/data/{name}.csv?{query}&as_of=2020-06-30")

    assert response.status_code == 400
    assert "cannot be combined with as_of" in response.content.decode()


def test_a_future_date_is_refused(client):
    tomorrow = timezone.localdate(timezone=LONDON) + datetime.timedelta(days=1)
    response = client.get(f"/data/pilots.csv?as_of={tomorrow.isoformat()}")
    assert response.status_code == 400
    assert "future" in response.content.decode()
