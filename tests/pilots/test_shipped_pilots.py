"""The shipped pilots, updates, events and figures say what the sources say, and cite them."""

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


def test_updates_draw_on_every_one_of_the_five_source_texts():
    cited = set(Source.objects.filter(pilot_updates__isnull=False).values_list("pk", flat=True))
    texts = set(Source.objects.exclude(kind=Source.Kind.REFERENCE_LIST).values_list("pk", flat=True))

    assert len(texts) == 5
    assert texts <= cited


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
