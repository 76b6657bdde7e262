"""Loading the shipped data (``fixtures/``) into the database.

Records are matched on their natural keys (GSS and ODS codes, ICS codes, slugs). A record that a
person has edited through the admin (its history names a user) is never touched again by the
loader; any other record is brought in line with the shipped files, and a published record the loader
made that the files no longer hold is withdrawn (never deleted). Running it twice changes nothing.
"""

import csv
import datetime
import tomllib
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus, Publishable
from core.statistics import refresh_statistics
from pilots.models import Pilot, PilotParticipant, PilotUpdate, TimelineEvent
from sources.models import GlossaryTerm, KeyFigure, Source

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
LOAD_REASON = "Loaded from the portal's shipped data"
WITHDRAW_REASON = "Withdrawn: no longer in the portal's shipped data"


class LoadError(Exception):
    """The shipped files break a rule (a published source without a web address, an unknown slug...)."""


@dataclass
class LoadReport:
    """What the loader did, per model: created, updated, unchanged, withdrawn, or kept because a person edited it."""

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


def _revised_at(fixtures_dir: Path) -> datetime.datetime:
    """When the shipped content was last revised (fixtures/revision.toml), as the start of that day in
    London; never later than now."""
    day = datetime.date.fromisoformat(_read_toml("revision.toml", fixtures_dir)["revised_on"])
    moment = datetime.datetime.combine(day, datetime.time.min, tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return min(moment, timezone.now())


class _Loader:
    """Upserts records on their natural keys and remembers which ones the shipped files still hold.

    Every history row it writes is dated when the shipped content was revised, not when the loader ran:
    a deploy changes no fact, so "Last updated" (and ``?as_of=`` exports) must not move with it."""

    def __init__(self, report: LoadReport, revised_at: datetime.datetime) -> None:
        self.report = report
        self.revised_at = revised_at
        self.now = timezone.now()
        self.sources: dict[str, Source] = {}
        self.shipped: dict[type[models.Model], set[int]] = defaultdict(set)

    def upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        values: dict[str, Any],
        m2m: dict[str, list[models.Model]] | None = None,
    ) -> models.Model:
        m2m = m2m or {}
        instance = model.objects.filter(**lookup).first()
        if instance is None:
            instance = model(**lookup, **values)
            if isinstance(instance, Publishable):
                instance.publication_status = PublicationStatus.PUBLISHED
                instance.published_at = self.now
            self._save(instance, lookup)
            for name, related in m2m.items():
                self._stamp(instance)
                getattr(instance, name).set(related)
            self.shipped[model].add(instance.pk)
            self.report.add(model, "created")
            return instance
        self.shipped[model].add(instance.pk)
        if _edited_by_a_person(instance):
            self.report.add(model, "kept")
            return instance
        changed = {name: value for name, value in values.items() if getattr(instance, name) != value}
        if isinstance(instance, Publishable) and _withdrawn_by_the_loader(instance):
            # Back in the shipped files: published again.
            changed |= {"publication_status": PublicationStatus.PUBLISHED, "published_at": self.now}
        for name, value in changed.items():
            setattr(instance, name, value)
        if changed:
            self._save(instance, lookup)
        m2m_changed = False
        for name, related in m2m.items():
            manager = getattr(instance, name)
            if set(manager.values_list("pk", flat=True)) != {item.pk for item in related}:
                self._stamp(instance)
                manager.set(related)
                m2m_changed = True
        self.report.add(model, "updated" if changed or m2m_changed else "unchanged")
        return instance

    def withdraw_unshipped(self, model: type[Publishable]) -> None:
        """Withdraw the published records this loader once created that the shipped files no longer hold
        (e.g. the 2022 Five Ps article once copied onto three pilots, now one timeline event). Records a
        person made or edited are never touched; nothing is deleted, so the history keeps what was said."""
        # Only records with a history row of the loader's own can be the loader's: one semi-join, not a
        # history look-up for each of (at scale) a million records a bulk load or a person made.
        loaded = model.history.filter(**{model._meta.pk.attname: OuterRef("pk")}, history_change_reason=LOAD_REASON)
        candidates = model.objects.public().exclude(pk__in=self.shipped[model]).filter(Exists(loaded))
        for instance in candidates:
            first = instance.history.order_by("history_id").first()
            if first is None or first.history_change_reason != LOAD_REASON or _edited_by_a_person(instance):
                continue
            instance.publication_status = PublicationStatus.WITHDRAWN
            self._stamp(instance, reason=WITHDRAW_REASON)
            instance.save()
            self.report.add(model, "withdrawn")

    def _stamp(self, instance: models.Model, reason: str = LOAD_REASON) -> None:
        """Date the next history row when the content was revised, but never before the record's own
        latest row, so its history stays in order."""
        latest = instance.history.order_by("-history_date").values_list("history_date", flat=True).first()
        moment = self.revised_at
        if latest is not None and latest >= moment:
            moment = latest + datetime.timedelta(microseconds=1)
        instance._history_date = moment
        instance._change_reason = reason

    def _save(self, instance: models.Model, lookup: dict[str, Any]) -> None:
        try:
            instance.full_clean(exclude=["version"], validate_unique=False)
        except ValidationError as error:
            key = ", ".join(f"{name}={value}" for name, value in lookup.items())
            raise LoadError(f"{instance._meta.verbose_name} {key}: {error.message_dict}") from error
        if instance.pk is None:
            instance._history_date = self.revised_at
            instance._change_reason = LOAD_REASON
        else:
            self._stamp(instance)
        instance.save()

    def source_list(self, slugs: list[str]) -> list[Source]:
        missing = [slug for slug in slugs if slug not in self.sources]
        if missing:
            raise LoadError(f"Unknown source slug(s): {', '.join(missing)}")
        return [self.sources[slug] for slug in slugs]


def _edited_by_a_person(instance: models.Model) -> bool:
    return instance.history.filter(history_user__isnull=False).exists()


def _withdrawn_by_the_loader(instance: Publishable) -> bool:
    if instance.publication_status != PublicationStatus.WITHDRAWN:
        return False
    latest = instance.history.order_by("-history_date", "-history_id").first()
    return latest is not None and latest.history_change_reason == WITHDRAW_REASON


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
    GlossaryTerm,
)


def load_portal_data(*, fixtures_dir: Path = FIXTURES_DIR) -> LoadReport:
    """Fill or refresh the database from the shipped files, in one transaction. Sources come first, so
    every record cites sources that already exist, each published only with its web address; then
    refresh the planner statistics of the tables it fills (and of their history)."""
    report = LoadReport()
    loader = _Loader(report, _revised_at(fixtures_dir))
    with transaction.atomic():
        _load_sources(loader, fixtures_dir)
        _load_areas(loader, fixtures_dir)
        _load_pilots(loader, fixtures_dir)
        _load_timeline_events(loader, fixtures_dir)
        _load_key_figures(loader, fixtures_dir)
        _load_glossary(loader, fixtures_dir)
        for model in (PilotUpdate, TimelineEvent, KeyFigure, GlossaryTerm, Pilot, Source):
            loader.withdraw_unshipped(model)
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
            m2m={"sources": loader.source_list(_split(row["sources"]))},
        )
    places = {}
    for row in _read_csv("place_partnerships.csv", fixtures_dir):
        places[row["slug"]] = loader.upsert(
            PlacePartnership,
            {"slug": row["slug"]},
            {"name": row["name"], "ics": systems[row["ics_code"]], "description": row.get("description", "")},
            m2m={"sources": loader.source_list(_split(row["sources"]))},
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
            m2m={"sources": loader.source_list(_split(row["sources"]))},
        )


def _load_pilots(loader: _Loader, fixtures_dir: Path) -> None:
    authorities = {authority.gss_code: authority for authority in LocalAuthority.objects.all()}
    for row in _read_toml("pilots.toml", fixtures_dir)["pilot"]:
        status_source = row.get("status_source", "")
        pilot = loader.upsert(
            Pilot,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "theme": row["theme"],
                "status": row["status"],
                "status_as_of": _date(row.get("status_as_of")),
                "status_as_of_precision": row.get("status_as_of_precision", ""),
                "status_source": loader.source_list([status_source])[0] if status_source else None,
                "status_evidence": row.get("status_evidence", ""),
                "announced_on": _date(row.get("announced_on")),
                "announced_on_precision": row.get("announced_on_precision", ""),
                "summary": row["summary"],
                "aims": "\n".join(row.get("aims", [])),
            },
            m2m={"sources": loader.source_list(row["sources"])},
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
                m2m={"sources": loader.source_list(update["sources"])},
            )


def _load_timeline_events(loader: _Loader, fixtures_dir: Path) -> None:
    pilots = {pilot.slug: pilot for pilot in Pilot.objects.all()}
    authorities = {authority.gss_code: authority for authority in LocalAuthority.objects.all()}
    systems = {system.code: system for system in IntegratedCareSystem.objects.all()}
    for row in _read_toml("timeline_events.toml", fixtures_dir)["event"]:
        try:
            links = {
                "pilots": [pilots[slug] for slug in row.get("pilots", [])],
                "authorities": [authorities[code] for code in row.get("authorities", [])],
                "integrated_care_systems": [systems[code] for code in row.get("ics", [])],
            }
        except KeyError as error:
            raise LoadError(f"timeline event {row['slug']}: unknown pilot, GSS or ICS code {error}") from error
        loader.upsert(
            TimelineEvent,
            {"slug": row["slug"]},
            {
                "title": row["title"],
                "happened_on": _date(row["happened_on"]),
                "happened_on_precision": row["happened_on_precision"],
                "description": row["description"],
                "note": row.get("note", ""),
                "london_wide": row.get("london_wide", False),
            },
            m2m={"sources": loader.source_list(row["sources"]), **links},
        )


def _load_key_figures(loader: _Loader, fixtures_dir: Path) -> None:
    for row in _read_toml("key_figures.toml", fixtures_dir)["figure"]:
        loader.upsert(
            KeyFigure,
            {"slug": row["slug"]},
            {
                "label": row["label"],
                "value": Decimal(row["value"]) if row.get("value") else None,
                "value_qualifier": row.get("value_qualifier", ""),
                "value_as_stated": row["value_as_stated"],
                "unit": row["unit"],
                "period": row.get("period", ""),
                "note": row.get("note", ""),
                "source": loader.source_list([row["source"]])[0],
            },
        )


def _load_glossary(loader: _Loader, fixtures_dir: Path) -> None:
    for row in _read_toml("glossary.toml", fixtures_dir)["term"]:
        loader.upsert(
            GlossaryTerm,
            {"slug": row["slug"]},
            {"term": row["term"], "abbreviation": row.get("abbreviation", ""), "definition": row["definition"]},
            m2m={"sources": loader.source_list(row["sources"])},
        )
