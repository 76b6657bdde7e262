import pytest

from pilots.models import Pilot, PilotUpdate
from tests.factories import grow_data

pytestmark = pytest.mark.django_db


def test_grow_data_multiplies_the_published_pilots_and_updates():
    pilots, updates = Pilot.objects.public().count(), PilotUpdate.objects.public().count()

    grow_data(times=2)

    assert Pilot.objects.public().count() == pilots + 10
    assert PilotUpdate.objects.public().count() == updates + 40
