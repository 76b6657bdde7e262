"""Synthetic load data for benchmarks: many clearly marked records, written in bulk.

Every record this module writes is marked twice: its slug starts with ``synthetic-`` and its title
(a key figure's label) starts with ``[Synthetic]``. It never adds areas: each synthetic pilot takes
part with one to five of the real 33 authorities. Records are published so that they appear on the
public pages. Nothing here ever goes into ``fixtures/``.

Scale N means N x (50 pilots, 10,000 pilot updates, 200 sources, 80 timeline events, 120 key
figures), added to the shipped data; scale 100 is about 5,000 pilots, 1,000,000 updates and 20,000
sources. Fractions are allowed (``0.01``), each count rounded up to at least one.

Rows are written with ``bulk_create`` (and the many-to-many through tables the same way), so no
per-row history is recorded: django-simple-history listens to ``save()``, which bulk inserts skip.
That is deliberate for throw-away load data. ``clear_synthetic_data`` deletes with direct SQL
deletes for the same reason (a per-row delete would load a million rows and write a million
history records).
"""

from __future__ import annotations

import datetime
import io
import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import IO, Any, TypeVar

from django.apps import apps
from django.db import models, reset_queries, transaction
from django.utils import timezone

from boroughs.models import LocalAuthority
from core.caching import invalidate_cached_pages
from core.dates import DatePrecision
from core.models import PublicationStatus
from core.statistics import refresh_statistics
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import KeyFigure, Source

# What generate_synthetic_data fills (with their source link tables) and clear_synthetic_data empties.
FILLED_MODELS = (Source, Pilot, PilotParticipant, PilotUpdate, TimelineEvent, KeyFigure)

SLUG_PREFIX = "synthetic-"
TITLE_PREFIX = "[Synthetic] "
DEFAULT_SEED = 20151215
DEFAULT_BATCH_SIZE = 5000
DATA_APPS = ("sources", "boroughs", "pilots")

PER_SCALE = {"pilots": 50, "updates": 10_000, "sources": 200, "timeline_events": 80, "key_figures": 120}

FIRST_DAY = datetime.date(2015, 1, 1)
LAST_DAY = datetime.date(2025, 12, 31)

T = TypeVar("T", bound=models.Model)


class SyntheticDataError(Exception):
    """The database is not in a state where synthetic data may be added."""


@dataclass(frozen=True)
class Plan:
    """How many records of each kind one run adds."""

    pilots: int
    updates: int
    sources: int
    timeline_events: int
    key_figures: int

    @classmethod
    def for_scale(cls, scale: float) -> Plan:
        if scale <= 0:
            raise ValueError("The scale must be greater than zero.")
        return cls(**{name: max(1, math.ceil(per * scale - 1e-9)) for name, per in PER_SCALE.items()})

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class ProgressBar:
    """A one-line progress bar on a stream (stderr by default); redraws at most once per per cent."""

    width = 30

    def __init__(self, label: str, total: int, stream: IO[str] | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self.started = time.monotonic()
        self._last_drawn = -1
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._draw()

    def advance(self, count: int) -> None:
        self.done = min(self.done + count, self.total)
        self._draw()

    def close(self) -> None:
        self.done = self.total
        self._draw()
        if self._interactive:
            self.stream.write("\n")
        self.stream.flush()

    def _draw(self) -> None:
        percent = self.done * 100 // self.total
        # On a terminal: redraw in place every per cent. In a log file: one line every 10 per cent.
        step = 1 if self._interactive else 10
        if percent // step == self._last_drawn // step or (not self._interactive and percent < step):
            return
        self._last_drawn = percent
        filled = self.width * self.done // self.total
        bar = "#" * filled + "." * (self.width - filled)
        elapsed = time.monotonic() - self.started
        line = f"{self.label:<16} [{bar}] {percent:3d}% {self.done:>10,}/{self.total:,} {elapsed:7.1f}s"
        self.stream.write("\r" + line if self._interactive else line + "\n")
        self.stream.flush()


ProgressFactory = Callable[[str, int], ProgressBar]


def silent_progress(label: str, total: int) -> ProgressBar:
    return ProgressBar(label, total, stream=io.StringIO())


# ---------------------------------------------------------------- what is already there


def synthetic_counts() -> dict[str, int]:
    """How many synthetic records of each kind the database holds."""
    return {
        "pilots": Pilot.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "updates": PilotUpdate.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "sources": Source.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "timeline_events": TimelineEvent.objects.filter(slug__startswith=SLUG_PREFIX).count(),
        "key_figures": KeyFigure.objects.filter(slug__startswith=SLUG_PREFIX).count(),
    }


def non_synthetic_edit_count() -> int:
    """Historical records of the portal's data (sources, areas, pilots) that name a user, i.e. a
    person edited the record through the admin; edits of synthetic records aside."""
    synthetic_pilots = Pilot.objects.filter(slug__startswith=SLUG_PREFIX).values("pk")
    total = 0
    for model in (model for app in DATA_APPS for model in apps.get_app_config(app).get_models()):
        field_names = {field.name for field in model._meta.get_fields()}
        if "history_user" not in field_names or "history_id" not in field_names:
            continue
        edits = model._default_manager.filter(history_user__isnull=False)
        if "slug" in field_names:
            edits = edits.exclude(slug__startswith=SLUG_PREFIX)
        if model is PilotParticipant.history.model:
            edits = edits.exclude(pilot_id__in=synthetic_pilots)
        total += edits.count()
    return total


# ---------------------------------------------------------------- generating


_VOCABULARY = (
    "care health borough council integrated partnership residents services hospital community "
    "primary prevention estates budget board commissioning social adult children mental wellbeing "
    "neighbourhood practice workforce housing data shared outcomes funding review pilot agreement "
    "devolution London local system place team network clinical public pathway discharge capacity "
    "digital records pharmacy dementia frailty diabetes homelessness employment carers volunteers"
)
_WORDS = tuple(_VOCABULARY.split())
_NAMES = ("Alex Morgan", "Sam Patel", "Jo Okafor", "Chris Nowak", "Priya Shah", "Tom Evans", "Ana Silva")
_ROLES = ("Director of Public Health", "Council Leader", "GP", "Chief Executive", "Programme Manager")
_PUBLISHERS = ("Synthetic Health Journal", "Example Borough News", "Load Test Review", "")


class _Generator:
    def __init__(self, plan: Plan, seed: int, batch_size: int, progress: ProgressFactory) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self.batch_size = batch_size
        self.progress = progress
        self.now = timezone.now()
        self.day_span = (LAST_DAY - FIRST_DAY).days

    # --- small random pieces

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(_WORDS, k=self.rng.randint(low, high)))

    def sentences(self, count: int) -> str:
        return " ".join(self.words(8, 16).capitalize() + "." for _ in range(count))

    def partial_date(self, undated_share: float) -> tuple[datetime.date | None, str]:
        """A date in 2015-2025 with a mix of precisions (and, if allowed, some undated)."""
        roll = self.rng.random()
        if roll < undated_share:
            return None, ""
        day = FIRST_DAY + datetime.timedelta(days=self.rng.randint(0, self.day_span))
        roll = self.rng.random()
        if roll < 0.6:
            return day, DatePrecision.DAY
        if roll < 0.85:
            return day.replace(day=1), DatePrecision.MONTH
        return day.replace(month=1, day=1), DatePrecision.YEAR

    def published(self) -> dict[str, Any]:
        return {"publication_status": PublicationStatus.PUBLISHED, "published_at": self.now}

    def pick_sources(self, sources: Sequence[int], low: int, high: int) -> list[int]:
        return self.rng.sample(sources, k=min(len(sources), self.rng.randint(low, high)))

    # --- writing in batches

    def bulk(self, model: type[T], rows: Iterator[T], total: int, label: str) -> list[T]:
        bar = self.progress(label, total)
        created: list[T] = []
        for batch in _batched(rows, self.batch_size):
            created.extend(model.objects.bulk_create(batch, batch_size=self.batch_size))
            bar.advance(len(batch))
            reset_queries()
        bar.close()
        return created

    def through(self, model: type[models.Model], rows: list[models.Model]) -> None:
        for batch in _batched(iter(rows), self.batch_size):
            model.objects.bulk_create(batch, batch_size=self.batch_size)
            reset_queries()

    # --- each kind

    def sources(self) -> list[Source]:
        kinds = [kind for kind, _ in Source.Kind.choices]

        def rows() -> Iterator[Source]:
            for number in range(1, self.plan.sources + 1):
                published_on, precision = self.partial_date(undated_share=0.05)
                with_author = self.rng.random() < 0.7
                yield Source(
                    slug=f"{SLUG_PREFIX}source-{number:06d}",
                    title=f"{TITLE_PREFIX}Source {number}: {self.words(3, 8)}",
                    kind=self.rng.choice(kinds),
                    author=self.rng.choice(_NAMES) if with_author else "",
                    author_role=self.rng.choice(_ROLES) if with_author else "",
                    publisher=self.rng.choice(_PUBLISHERS),
                    published_on=published_on,
                    published_on_precision=precision,
                    url=f"https://example.org/synthetic/source-{number}",
                    summary=self.sentences(2),
                    **self.published(),
                )

        return self.bulk(Source, rows(), self.plan.sources, "sources")

    def pilots(self, source_ids: list[int], authority_ids: list[int]) -> list[Pilot]:
        themes = [theme for theme, _ in Pilot.Theme.choices]
        statuses = [status for status, _ in Pilot.Status.choices]
        chosen_sources: list[list[int]] = []
        chosen_authorities: list[list[int]] = []

        def rows() -> Iterator[Pilot]:
            for number in range(1, self.plan.pilots + 1):
                announced_on, precision = self.partial_date(undated_share=0.05)
                chosen_sources.append(self.pick_sources(source_ids, 1, 3))
                chosen_authorities.append(self.rng.sample(authority_ids, k=self.rng.randint(1, 5)))
                yield Pilot(
                    slug=f"{SLUG_PREFIX}pilot-{number:06d}",
                    title=f"{TITLE_PREFIX}Pilot {number}: {self.words(2, 5)}",
                    theme=self.rng.choice(themes),
                    status=self.rng.choice(statuses),
                    announced_on=announced_on,
                    announced_on_precision=precision,
                    summary=self.sentences(3),
                    aims="\n".join(self.sentences(1) for _ in range(self.rng.randint(1, 4))),
                    **self.published(),
                )

        pilots = self.bulk(Pilot, rows(), self.plan.pilots, "pilots")
        _require_pks(pilots)
        Through = Pilot.sources.through
        self.through(
            Through,
            [
                Through(pilot_id=pilot.pk, source_id=source_id)
                for pilot, ids in zip(pilots, chosen_sources, strict=True)
                for source_id in ids
            ],
        )
        self.through(
            PilotParticipant,
            [
                PilotParticipant(pilot_id=pilot.pk, authority_id=authority_id)
                for pilot, ids in zip(pilots, chosen_authorities, strict=True)
                for authority_id in ids
            ],
        )
        return pilots

    def updates(self, pilots: list[Pilot], source_ids: list[int]) -> int:
        statuses = [status for status, _ in Pilot.Status.choices]
        Through = PilotUpdate.sources.through
        per_pilot, extra = divmod(self.plan.updates, len(pilots))
        bar = self.progress("pilot updates", self.plan.updates)
        batch: list[PilotUpdate] = []
        batch_sources: list[list[int]] = []
        number = 0

        def flush() -> None:
            created = PilotUpdate.objects.bulk_create(batch, batch_size=self.batch_size)
            _require_pks(created)
            Through.objects.bulk_create(
                [
                    Through(pilotupdate_id=update.pk, source_id=source_id)
                    for update, ids in zip(created, batch_sources, strict=True)
                    for source_id in ids
                ],
                batch_size=self.batch_size,
            )
            bar.advance(len(batch))
            reset_queries()  # with DEBUG on, Django would otherwise keep every multi-megabyte INSERT
            batch.clear()
            batch_sources.clear()

        for index, pilot in enumerate(pilots):
            for _ in range(per_pilot + (1 if index < extra else 0)):
                number += 1
                happened_on, precision = self.partial_date(undated_share=0.03)
                quoted = self.rng.random() < 0.2
                batch_sources.append(self.pick_sources(source_ids, 1, 2))
                batch.append(
                    PilotUpdate(
                        pilot_id=pilot.pk,
                        slug=f"{SLUG_PREFIX}update-{number:07d}",
                        happened_on=happened_on,
                        happened_on_precision=precision,
                        title=f"{TITLE_PREFIX}Update {number}: {self.words(3, 7)}",
                        body=self.sentences(self.rng.randint(2, 4)),
                        status_after=self.rng.choice(statuses) if self.rng.random() < 0.15 else "",
                        quotation=self.sentences(1) if quoted else "",
                        quotation_by=self.rng.choice(_NAMES) if quoted else "",
                        **self.published(),
                    )
                )
                if len(batch) >= self.batch_size:
                    flush()
        if batch:
            flush()
        bar.close()
        return number

    def timeline_events(self, source_ids: list[int]) -> list[TimelineEvent]:
        chosen_sources: list[list[int]] = []

        def rows() -> Iterator[TimelineEvent]:
            for number in range(1, self.plan.timeline_events + 1):
                happened_on, precision = self.partial_date(undated_share=0)
                chosen_sources.append(self.pick_sources(source_ids, 1, 2))
                yield TimelineEvent(
                    slug=f"{SLUG_PREFIX}event-{number:06d}",
                    title=f"{TITLE_PREFIX}Event {number}: {self.words(3, 7)}",
                    happened_on=happened_on,
                    happened_on_precision=precision,
                    description=self.sentences(2),
                    **self.published(),
                )

        events = self.bulk(TimelineEvent, rows(), self.plan.timeline_events, "timeline events")
        _require_pks(events)
        Through = TimelineEvent.sources.through
        self.through(
            Through,
            [
                Through(timelineevent_id=event.pk, source_id=source_id)
                for event, ids in zip(events, chosen_sources, strict=True)
                for source_id in ids
            ],
        )
        return events

    def key_figures(self, source_ids: list[int]) -> list[KeyFigure]:
        units = [unit for unit, _ in KeyFigure.Unit.choices]

        def rows() -> Iterator[KeyFigure]:
            for number in range(1, self.plan.key_figures + 1):
                unit = self.rng.choice(units)
                amount = self.rng.randint(1, 5_000_000)
                stated = {"gbp": f"£{amount:,}", "percent": f"{amount % 100} per cent"}.get(unit, f"{amount:,}")
                yield KeyFigure(
                    slug=f"{SLUG_PREFIX}figure-{number:06d}",
                    label=f"{TITLE_PREFIX}Figure {number}: {self.words(3, 6)}",
                    value=Decimal(amount % 100 if unit == "percent" else amount),
                    value_as_stated=stated,
                    unit=unit,
                    period=str(self.rng.randint(2015, 2025)),
                    note=self.sentences(1),
                    source_id=self.rng.choice(source_ids),
                    **self.published(),
                )

        return self.bulk(KeyFigure, rows(), self.plan.key_figures, "key figures")


def _batched(rows: Iterator[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _require_pks(objects: Sequence[models.Model]) -> None:
    if objects and objects[-1].pk is None:
        raise SyntheticDataError(
            "This database does not return ids from bulk inserts (needs PostgreSQL or SQLite 3.35+)."
        )


def generate_synthetic_data(
    plan: Plan,
    *,
    seed: int = DEFAULT_SEED,
    batch_size: int = DEFAULT_BATCH_SIZE,
    force: bool = False,
    progress: ProgressFactory = ProgressBar,
) -> dict[str, int]:
    """Add the planned synthetic records in one transaction; returns how many of each were added.

    Refuses (SyntheticDataError) if synthetic records are already there, if the shipped areas are
    missing, or, unless ``force``, if a person has edited any non-synthetic record.
    """
    if any(synthetic_counts().values()):
        raise SyntheticDataError("The database already holds synthetic records: clear them first (--clear).")
    if not force and (edits := non_synthetic_edit_count()):
        raise SyntheticDataError(
            f"The database holds {edits} historical record(s) of edits made by people; "
            "synthetic data is for benchmark databases only (use --force to add it anyway)."
        )
    authority_ids = list(LocalAuthority.objects.order_by("gss_code").values_list("pk", flat=True))
    if not authority_ids:
        raise SyntheticDataError("No local authorities: load the shipped data first (load_portal_data).")

    generator = _Generator(plan, seed, batch_size, progress)
    with transaction.atomic():
        sources = generator.sources()
        _require_pks(sources)
        source_ids = [source.pk for source in sources]
        pilots = generator.pilots(source_ids, authority_ids)
        updates = generator.updates(pilots, source_ids)
        events = generator.timeline_events(source_ids)
        figures = generator.key_figures(source_ids)
    invalidate_cached_pages()  # bulk inserts send no signals
    refresh_statistics(FILLED_MODELS)  # a million new rows and no statistics: plans made for empty tables
    return {
        "pilots": len(pilots),
        "updates": updates,
        "sources": len(sources),
        "timeline_events": len(events),
        "key_figures": len(figures),
    }


# ---------------------------------------------------------------- clearing


def _raw_delete(queryset: models.QuerySet) -> int:
    """One DELETE statement: no per-row signals (no history records), no objects loaded."""
    return queryset._raw_delete(queryset.db)


def clear_synthetic_data() -> dict[str, int]:
    """Delete every ``synthetic-`` record, children first, in bulk; nothing else is touched."""
    synthetic = {"slug__startswith": SLUG_PREFIX}
    synthetic_sources = Source.objects.filter(**synthetic).values("pk")
    deleted: dict[str, int] = {}
    with transaction.atomic():
        deleted["key_figures"] = _raw_delete(KeyFigure.objects.filter(**synthetic))
        # Links to synthetic sources from any record, then the synthetic records' own links.
        links = 0
        for model in apps.get_models(include_auto_created=True):
            if model._meta.auto_created and any(
                getattr(field, "related_model", None) is Source for field in model._meta.fields
            ):
                source_field = next(f.name for f in model._meta.fields if f.related_model is Source)
                links += _raw_delete(model.objects.filter(**{f"{source_field}__in": synthetic_sources}))
        synthetic_pilots = Pilot.objects.filter(**synthetic).values("pk")
        # An update can only go with its pilot, so updates of synthetic pilots go too.
        updates = PilotUpdate.objects.filter(models.Q(**synthetic) | models.Q(pilot__in=synthetic_pilots))
        for owners, field in (
            (synthetic_pilots, "pilot"),
            (updates.values("pk"), "pilotupdate"),
            (TimelineEvent.objects.filter(**synthetic).values("pk"), "timelineevent"),
        ):
            through = owners.model.sources.through
            links += _raw_delete(through.objects.filter(**{f"{field}__in": owners}))
        deleted["source_links"] = links
        deleted["updates"] = _raw_delete(updates)
        deleted["participants"] = _raw_delete(PilotParticipant.objects.filter(pilot__in=synthetic_pilots))
        deleted["pilots"] = _raw_delete(Pilot.objects.filter(**synthetic))
        deleted["timeline_events"] = _raw_delete(TimelineEvent.objects.filter(**synthetic))
        deleted["sources"] = _raw_delete(Source.objects.filter(**synthetic))
    invalidate_cached_pages()
    refresh_statistics(FILLED_MODELS)
    return deleted
