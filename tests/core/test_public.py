"""What the public may see is decided in one place: each model's ``public()`` (core.models), read from
the model's own ``publication_paths`` by the live pages and by the point-in-time exports alike."""

import ast
from pathlib import Path

import pytest
from django.utils import timezone

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import GlossaryTerm, KeyFigure, Source
from tests.datasets.helpers import read_csv
from tests.factories import (
    KeyFigureFactory,
    LocalAuthorityFactory,
    PilotFactory,
    PilotParticipantFactory,
    PilotUpdateFactory,
    SourceFactory,
    TimelineEventFactory,
)

ROOT = Path(__file__).resolve().parents[2]
DRAFT, PUBLISHED, WITHDRAWN = PublicationStatus.DRAFT, PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN

# The read path: what pages, feeds, search, sitemaps and exports are built from. Writes (portal/services.py
# loads the shipped data) and the admin (officers) may name publication states; these may not.
READ_PATH = [
    *sorted((ROOT / "portal").rglob("*.py")),
    *sorted((ROOT / "datasets").rglob("*.py")),
    *(ROOT / app / name for app in ("sources", "boroughs", "pilots") for name in ("selectors.py", "filters.py")),
]
EXEMPT = {ROOT / "portal" / "services.py"}
FORBIDDEN_NAMES = {"PublicationStatus", "publication_status", "published"}


def mentions_of_publication_state(path: Path) -> list[str]:
    """Names, attributes, keyword arguments and string lookups that spell out publication states."""
    found = []
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            found.append(f"{path.name}:{node.lineno} {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_NAMES:
            found.append(f"{path.name}:{node.lineno} .{node.attr}")
        elif isinstance(node, ast.keyword) and node.arg and "publication_status" in node.arg:
            found.append(f"{path.name}:{node.lineno} {node.arg}=")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "publication_status" in node.value:
            if id(node) in docstrings:
                continue
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
        elif isinstance(node, ast.alias) and node.name in FORBIDDEN_NAMES:
            found.append(f"{path.name}:{node.lineno} import {node.name}")
    return found


def test_the_read_path_never_spells_out_the_publication_rule():
    paths = [path for path in READ_PATH if path not in EXEMPT and "migrations" not in path.parts]
    assert any(path.name == "views.py" and path.parent.name == "datasets" for path in paths)
    assert any(path.name == "search.py" for path in paths) and any(path.name == "feeds.py" for path in paths)

    mentions = [mention for path in paths for mention in mentions_of_publication_state(path)]

    assert mentions == []


def test_the_check_finds_a_hand_written_rule(tmp_path):
    module = tmp_path / "view.py"
    module.write_text(
        "from core.models import PublicationStatus\n"
        "rows = Update.objects.filter(pilot__publication_status=PublicationStatus.PUBLISHED)\n"
        "pilots = Pilot.objects.published()\n"
    )
    assert len(mentions_of_publication_state(module)) == 4


@pytest.mark.django_db
def test_public_is_published_records_of_published_parents():
    pilot, draft_pilot = PilotFactory(), PilotFactory(publication_status=DRAFT)
    shown = PilotUpdateFactory(pilot=pilot)
    PilotUpdateFactory(pilot=pilot, publication_status=WITHDRAWN)
    PilotUpdateFactory(pilot=draft_pilot)  # published, but its pilot is not
    draft_source = SourceFactory(publication_status=DRAFT, url="")
    figure = KeyFigureFactory()
    KeyFigureFactory(source=draft_source)  # published, but its source is not
    participant = PilotParticipantFactory(pilot=pilot)
    PilotParticipantFactory(pilot=draft_pilot)
    event = TimelineEventFactory()
    TimelineEventFactory(publication_status=DRAFT)

    assert set(PilotUpdate.objects.filter(pilot__in=[pilot, draft_pilot]).public()) == {shown}
    assert set(KeyFigure.objects.filter(slug__startswith="test-").public()) == {figure}
    assert set(PilotParticipant.objects.filter(pilot__in=[pilot, draft_pilot]).public()) == {participant}
    assert set(TimelineEvent.objects.filter(slug__startswith="test-").public()) == {event}
    assert set(Pilot.objects.filter(pk__in=[pilot.pk, draft_pilot.pk]).public()) == {pilot}
    assert draft_source not in Source.objects.public()
    assert GlossaryTerm.objects.public().filter(publication_status=DRAFT).count() == 0


@pytest.mark.django_db
def test_every_area_is_public():
    LocalAuthorityFactory()
    for model in (LocalAuthority, IntegratedCareSystem, PlacePartnership):
        assert model.objects.public().count() == model.objects.count() > 0


@pytest.mark.django_db
def test_the_point_in_time_export_reads_the_rule_from_the_model(client, monkeypatch):
    """Change what makes a key figure public in the model, and the live and the as_of exports both follow:
    neither keeps a list of its own."""
    figure = KeyFigureFactory(source=SourceFactory(publication_status=DRAFT, url=""))
    today = timezone.localdate().isoformat()

    def exported(query: str = "") -> set[str]:
        return {row["slug"] for row in read_csv(client.get(f"/data/key-figures.csv?{query}"))[1]}

    assert figure.slug not in exported() | exported(f"as_of={today}")

    monkeypatch.setattr(KeyFigure, "publication_paths", ("publication_status",))
    assert figure.slug in exported()
    assert figure.slug in exported(f"as_of={today}")


@pytest.mark.django_db
@pytest.mark.parametrize("state", [DRAFT, PUBLISHED, WITHDRAWN])
def test_a_record_in_memory_is_public_exactly_when_public_finds_it(state):
    """The pilot page reads its status source's visibility off the record it already has: the same rule."""
    from core.models import is_public

    source = SourceFactory(publication_status=state, url="https://example.org/a")
    figure = KeyFigureFactory(source=source, publication_status=PUBLISHED)
    assert is_public(source) == Source.objects.public().filter(pk=source.pk).exists()
    assert is_public(figure) == KeyFigure.objects.public().filter(pk=figure.pk).exists()
