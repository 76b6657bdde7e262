"""The shipped pilots, updates, events and figures say what the sources say, and cite them."""

import re
from collections import defaultdict
from difflib import SequenceMatcher
from itertools import combinations

import pytest
from django.core.exceptions import ValidationError

from pilots.models import Pilot, PilotUpdate, TimelineEvent
from sources.models import KeyFigure, Source

pytestmark = pytest.mark.django_db

PILOT_AUTHORITIES = {
    "hackney-health-and-social-care-integration": ["Hackney"],
    "lewisham-physical-and-mental-health-integration": ["Lewisham"],
    "north-central-london-estates": ["Barnet", "Camden", "Enfield", "Haringey", "Islington"],
    "haringey-prevention": ["Haringey"],
    "barking-dagenham-havering-redbridge-accountable-care": ["Barking and Dagenham", "Havering", "Redbridge"],
}


def test_the_five_2015_pilots_have_the_authorities_the_sources_name():
    shipped = {pilot.slug: sorted(pilot.authorities.values_list("name", flat=True)) for pilot in Pilot.objects.all()}

    assert shipped == PILOT_AUTHORITIES


def test_every_pilot_was_announced_on_15_december_2015():
    assert {p.announced_on_display for p in Pilot.objects.all()} == {"15 December 2015"}


@pytest.mark.parametrize("model", [Pilot, PilotUpdate, TimelineEvent])
def test_every_pilot_update_and_event_cites_a_source(model):
    assert model.objects.exists()
    assert not model.objects.filter(sources=None).exists()


def test_every_key_figure_names_its_source():
    assert KeyFigure.objects.count() >= 5
    assert all(figure.source_id for figure in KeyFigure.objects.all())


def test_the_record_has_at_least_60_published_entries_reaching_2025():
    updates = PilotUpdate.objects.public()
    events = TimelineEvent.objects.public()
    dates = [
        d for d in [*updates.values_list("happened_on", flat=True), *events.values_list("happened_on", flat=True)] if d
    ]

    assert updates.count() + events.count() >= 60
    assert max(dates).year == 2025


def _normalised_title(update: PilotUpdate) -> str:
    """The title without the pilot's own place names, punctuation or case, so copies compare equal."""
    title = update.title.lower()
    for name in update.pilot.authorities.values_list("name", flat=True):
        title = title.replace(name.lower(), "")
    return re.sub(r"[^a-z0-9]+", " ", title).strip()


def test_no_development_appears_as_separate_updates_on_three_or_more_pilots():
    """A London-wide development is one timeline event. Updates on three or more pilots that share a
    normalised title, or the same date and sources with bodies mostly alike (the 2022 Five Ps article
    once copied onto three pilots), are copies of one development."""
    updates = list(PilotUpdate.objects.public().select_related("pilot").prefetch_related("sources"))
    by_title = defaultdict(set)
    by_citation = defaultdict(list)
    for update in updates:
        by_title[_normalised_title(update)].add(update.pilot_id)
        by_citation[(update.happened_on, frozenset(s.pk for s in update.sources.all()))].append(update)

    assert not [title for title, pilots in by_title.items() if len(pilots) >= 3]
    for group in by_citation.values():
        if len({update.pilot_id for update in group}) < 3:
            continue
        alike = [
            (a.title, b.title) for a, b in combinations(group, 2) if SequenceMatcher(None, a.body, b.body).ratio() > 0.6
        ]
        assert not alike
    assert not [
        u.title for u in updates if re.match(r"(london-wide|national|area) context|london-wide:", u.title.lower())
    ]


def test_every_pilot_has_a_status_with_its_date_and_source():
    for pilot in Pilot.objects.public().select_related("status_source"):
        assert pilot.status_as_of and pilot.status_as_of_precision
        assert pilot.status_source.is_published and pilot.status_source.url.startswith(("http://", "https://"))
        assert pilot.status_evidence
        assert pilot.status in {"announced", "under_way"}  # no source says a pilot completed or stopped


def test_the_haringey_summary_and_the_five_ps_record_say_no_more_than_their_sources():
    assert "was seeking a whole-system approach" in Pilot.objects.get(slug="haringey-prevention").summary
    five_ps = TimelineEvent.objects.get(slug="london-councils-five-ps")
    assert "could mean primary care having a voice" in five_ps.description
    assert "back" not in five_ps.title.lower()
    agreement = TimelineEvent.objects.get(slug="london-health-and-care-collaboration-agreement")
    assert agreement.note and "separate devolution agreement" in agreement.description


def test_no_shipped_date_claims_more_precision_than_the_model_allows():
    for model in (Pilot, PilotUpdate, TimelineEvent, Source):
        for record in model.objects.all():
            record.full_clean(exclude=["version"])


def test_a_month_precise_date_must_be_the_first_of_the_month():
    event = TimelineEvent.objects.first()
    event.happened_on = event.happened_on.replace(day=15)
    event.happened_on_precision = "month"

    with pytest.raises(ValidationError, match="1st of that month"):
        event.full_clean(exclude=["version"])
