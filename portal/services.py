"""Loading the shipped data (``fixtures/``) into the database.

Records are matched on their natural keys (GSS and ODS codes, ICS codes, slugs). A record that a
person has edited through the admin (its history names a user) is never touched again by the
loader; any other record is brought in line with the shipped files. Running it twice changes nothing.
"""

import csv
import datetime
import tomllib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus, Publishable
from core.statistics import refresh_statistics
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import KeyFigure, Source

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
LOAD_REASON = "Loaded from the portal's shipped data"


@dataclass
class LoadReport:
    """What the loader did, per model: created, updated, unchanged, or kept because a person edited it."""

    counts: dict[str, Counter] = field(default_factory=dict)

    def add(self, model: type[models.Model], outcome: str) -> None:
        self.counts.setdefault(model._meta.verbose_name_plural, Counter())[outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _read_csv(name: str, fixtures_dir: Path) -> list[dict[str, str]]:
    with open(fixtures_dir / name, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _read_toml(name: str, fixtures_dir: Path) -> dict[str, Any]:
    with open(fixtures_dir / name, "rb") as handle:
        return tomllib.load(handle)


def _split(value: str) -> list[str]:
    return [part for part in value.split(";") if part]


class _Loader:
    def __init__(self, report: LoadReport) -> None:
        self.report = report
        self.now = timezone.now()
        self.sources: dict[str, Source] = {}

    def upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        sources: list[str] | None = None,
    ) -> models.Model:
        instance = model.objects.filter(**lookup).first()
        if instance is None:
            instance = model(**lookup, **values)
            if isinstance(instance, Publishable):
                instance.publication_status = PublicationStatus.PUBLISHED
                instance.published_at = self.now
            self._save(instance)
            if sources is not None:
                instance.sources.set(self._sources(sources))
            self.report.add(model, "created")
            return instance
        if instance.history.filter(history_user__isnull=False).exists():
            self.report.add(model, "kept")
            return instance
        changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
        for name, value in changed.items():
            setattr(instance, name, value)
        if changed:
            self._save(instance)
        sources_changed = sources is not None and set(instance.sources.values_list("slug", flat=True)) != set(sources)
        if sources_changed:
            instance.sources.set(self._sources(sources))
        self.report.add(model, "updated" if changed or sources_changed else "unchanged")
        return instance

    def _save(self, instance: models.Model) -> None:
        instance.full_clean(exclude=["version"], validate_unique=False)
        instance._change_reason = LOAD_REASON
        instance.save()

    def _sources(self, slugs: list[str]) -> list[Source]:
        return [self.sources[slug] for slug in slugs]


LOADED_MODELS = (
    Source,
    KeyFigure,
    IntegratedCareSystem,
    PlacePartnership,
    LocalAuthority,
    Pilot,
    PilotParticipant,
    PilotUpdate,
    TimelineEvent,
)


def load_portal_data(*, fixtures_dir: Path = FIXTURES_DIR) -> LoadReport:
    """Fill or refresh the database from the shipped files, in one transaction, then refresh the planner
    statistics of the tables it fills (and of their history)."""
    report = LoadReport()
    loader = _Loader(report)
    with transaction.atomic():
        _load_sources(loader, fixtures_dir)
        _load_areas(loader, fixtures_dir)
        _load_pilots(loader, fixtures_dir)
        _load_timeline_events(loader, fixtures_dir)
        _load_key_figures(loader, fixtures_dir)
    refresh_statistics([*LOADED_MODELS, *(model.history.model for model in LOADED_MODELS)])
    return report


def _load_sources(loader: _Loader, fixtures_dir: Path) -> None:
    for row in _read_toml("sources.toml", fixtures_dir)["source"]:
        loader.sources[row["slug"]] = loader.upsert(
            Source,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "kind": row["kind"],
                "author": row.get("author", ""),
                "author_role": row.get("author_role", ""),
                "publisher": row.get("publisher", ""),
                "published_on": _date(row.get("published_on")),
                "published_on_precision": row.get("published_on_precision", ""),
                "url": row.get("url", ""),
                "summary": row.get("summary", ""),
            },
        )


def _load_areas(loader: _Loader, fixtures_dir: Path) -> None:
    systems = {}
    for row in _read_csv("integrated_care_systems.csv", fixtures_dir):
        systems[row["code"]] = loader.upsert(
            IntegratedCareSystem,
            {"code": row["code"]},
            {
                "name": row["name"],
                "icb_name": row["icb_name"],
                "icb_ods_code": row["icb_ods_code"],
                "icb_gss_code": row["icb_gss_code"],
                "icb_established_on": _date(row["icb_established_on"]),
                "earlier_partnership_name": row["earlier_partnership_name"],
            },
            sources=_split(row["sources"]),
        )
    places = {}
    for row in _read_csv("place_partnerships.csv", fixtures_dir):
        places[row["slug"]] = loader.upsert(
            PlacePartnership,
            {"slug": row["slug"]},
            {"name": row["name"], "ics": systems[row["ics_code"]]},
            sources=_split(row["sources"]),
        )
    for row in _read_csv("local_authorities.csv", fixtures_dir):
        loader.upsert(
            LocalAuthority,
            {"gss_code": row["gss_code"]},
            {
                "name": row["name"],
                "slug": row["slug"],
                "kind": row["kind"],
                "ics": systems[row["ics_code"]],
                "place_partnership": places[row["place_partnership_slug"]],
            },
            sources=_split(row["sources"]),
        )


def _load_pilots(loader: _Loader, fixtures_dir: Path) -> None:
    authorities = {authority.gss_code: authority for authority in LocalAuthority.objects.all()}
    for row in _read_toml("pilots.toml", fixtures_dir)["pilot"]:
        pilot = loader.upsert(
            Pilot,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "theme": row["theme"],
                "status": row["status"],
                "announced_on": _date(row.get("announced_on")),
                "announced_on_precision": row.get("announced_on_precision", ""),
                "summary": row["summary"],
                "aims": "\n".join(row.get("aims", [])),
            },
            sources=row["sources"],
        )
        for participant in row.get("participant", []):
            loader.upsert(
                PilotParticipant,
                {"pilot": pilot, "authority": authorities[participant["authority"]]},
                {"role": participant.get("role", "")},
            )
        for update in row.get("update", []):
            loader.upsert(
                PilotUpdate,
                {"pilot": pilot, "slug": update["slug"]},
                {
                    "happened_on": _date(update.get("happened_on")),
                    "happened_on_precision": update.get("happened_on_precision", ""),
                    "title": update["title"],
                    "body": update["body"],
                    "status_after": update.get("status_after", ""),
                    "quotation": update.get("quotation", ""),
                    "quotation_by": update.get("quotation_by", ""),
                },
                sources=update["sources"],
            )


def _load_timeline_events(loader: _Loader, fixtures_dir: Path) -> None:
    for row in _read_toml("timeline_events.toml", fixtures_dir)["event"]:
        loader.upsert(
            TimelineEvent,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "happened_on": _date(row["happened_on"]),
                "happened_on_precision": row["happened_on_precision"],
                "description": row["description"],
            },
            sources=row["sources"],
        )


def _load_key_figures(loader: _Loader, fixtures_dir: Path) -> None:
    for row in _read_toml("key_figures.toml", fixtures_dir)["figure"]:
        loader.upsert(
            KeyFigure,
            {"slug": row["slug"]},
            {
                "label": row["label"],
                "value": Decimal(row["value"]) if row.get("value") else None,
                "value_as_stated": row["value_as_stated"],
                "unit": row["unit"],
                "period": row.get("period", ""),
                "note": row.get("note", ""),
                "source": loader.sources[row["source"]],
            },
        )
