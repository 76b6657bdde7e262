"""The timeline view (pilots/migrations/0006) works out in SQL whether each entry is public, so that the
database can read the timeline in index order. The rule itself is stated once, in core.models: these
tests hold the view's ``public`` column to ``public_condition`` for every combination of the states the
rule reads, so a change to either that the other does not follow fails here."""

import itertools

import pytest

from core.models import PublicationStatus, public_condition, public_rule
from pilots.models import PilotUpdate, TimelineEntry, TimelineEvent
from pilots.selectors import timeline_entries
from tests.factories import PilotUpdateFactory, TimelineEventFactory

pytestmark = pytest.mark.django_db


def every_combination_of_states(factory, model) -> list:
    """One record for each way of setting every publication state ``public_rule(model)`` reads (the
    record's own and its parents'), each reached by its path from the record."""
    paths = list(public_rule(model))
    records = []
    for states in itertools.product(PublicationStatus.values, repeat=len(paths)):
        record = factory()
        for path, state in zip(paths, states, strict=True):
            *relations, field = path.split("__")
            target = record
            for name in relations:
                target = getattr(target, name)
            type(target)._base_manager.filter(pk=target.pk).update(**{field: state})
        records.append(record)
    return records


@pytest.mark.parametrize(
    ("model", "factory", "kind"),
    [(PilotUpdate, PilotUpdateFactory, "update"), (TimelineEvent, TimelineEventFactory, "event")],
)
def test_the_view_says_public_exactly_when_the_models_rule_does(model, factory, kind):
    records = every_combination_of_states(factory, model)
    ids = [record.pk for record in records]
    by_rule = set(model._base_manager.filter(public_condition(model), pk__in=ids).values_list("pk", flat=True))
    entries = TimelineEntry.objects.filter(kind=kind, **{f"{kind}_id__in": ids})
    by_view = {entry.record_id for entry in entries if entry.public}

    assert entries.count() == len(records) == len(PublicationStatus.values) ** len(public_rule(model))
    assert by_view == by_rule
    assert 0 < len(by_rule) < len(records)


def test_the_timeline_is_oldest_first_undated_last_and_events_before_updates_on_a_day():
    day = TimelineEventFactory(happened_on="2019-03-01", happened_on_precision="day").happened_on
    update = PilotUpdateFactory(happened_on=day, happened_on_precision="day")
    later_event = TimelineEventFactory(happened_on=day, happened_on_precision="day")
    undated = PilotUpdateFactory(happened_on=None, happened_on_precision="")

    order = [(entry.kind, entry.record_id) for entry in timeline_entries()]
    on_the_day = [key for key in order if key in {("update", update.pk), ("event", later_event.pk)}]

    assert on_the_day == [("event", later_event.pk), ("update", update.pk)]
    assert order[-1] == ("update", undated.pk) or all(
        kind == "update" and PilotUpdate.objects.get(pk=pk).happened_on is None
        for kind, pk in order[order.index(("update", undated.pk)) :]
    )
    assert all(entry.undated == (entry.happened_on is None) for entry in timeline_entries())
