"""What a proposal changes: the record as proposed (as it is stored now) against its last published
version in its history, field by field, with the pilot's status change an update would make. Read for a
whole page of proposals at once, in a fixed number of queries per kind of record."""

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.text import capfirst
from simple_history.utils import get_m2m_reverse_field_name

from core.models import PublicationStatus, Publishable
from pilots.models import PilotUpdate
from sources.models import Source

from .models import Proposal

# Bookkeeping rather than content: the version, the publication state the queue itself changes.
NOT_COMPARED = frozenset({"id", "version", "publication_status"})


@dataclass(frozen=True)
class Change:
    label: str
    before: str
    after: str


@dataclass
class Review:
    proposal: Proposal
    record: Publishable | None  # None: deleted since (the proposal goes with it)
    published_before: bool = False
    changes: list[Change] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

    @property
    def admin_url(self) -> str:
        opts = self.record._meta
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[self.record.pk])


def _compared(model: type[models.Model]) -> tuple[list[models.Field], list[models.ManyToManyField]]:
    concrete = [f for f in model._meta.concrete_fields if f.editable and f.name not in NOT_COMPARED]
    return concrete, [f for f in model._meta.many_to_many if f.editable]


def _display(model_field: models.Field, obj: models.Model) -> str:
    value = getattr(obj, model_field.attname)
    if value is None or value == "":
        return ""
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.many_to_one:
        return str(getattr(obj, model_field.name))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _recorded_links(history: type[models.Model], m2m: models.ManyToManyField) -> str:
    """The name, on a history row, of the links it recorded through ``m2m`` (simple-history's table of them)."""
    links = getattr(history, m2m.name).model
    return next(rel.get_accessor_name() for rel in history._meta.related_objects if rel.related_model is links)


def _linked(m2m: models.ManyToManyField, obj: models.Model, *, historical: bool) -> dict[int, models.Model]:
    """The records ``obj`` links to through ``m2m`` (on a history row, through the links it recorded)."""
    if not historical:
        return {item.pk: item for item in getattr(obj, m2m.name).all()}
    target = get_m2m_reverse_field_name(m2m)
    rows = getattr(obj, _recorded_links(type(obj), m2m)).all()
    return {getattr(row, f"{target}_id"): getattr(row, target) for row in rows}


def _changes(record: Publishable, published: models.Model | None) -> list[Change]:
    concrete, many = _compared(type(record))
    changes = []
    for model_field in concrete:
        before = _display(model_field, published) if published is not None else ""
        after = _display(model_field, record)
        if before != after:
            changes.append(Change(str(capfirst(model_field.verbose_name)), before, after))
    for m2m in many:
        before_links = _linked(m2m, published, historical=True) if published is not None else {}
        after_links = _linked(m2m, record, historical=False)
        if before_links.keys() != after_links.keys():
            changes.append(
                Change(
                    str(capfirst(m2m.verbose_name)),
                    "; ".join(sorted(str(item) for item in before_links.values())),
                    "; ".join(sorted(str(item) for item in after_links.values())),
                )
            )
    if _changes_pilot_status(record, published):
        changes.append(
            Change(
                f"The pilot's status ({record.pilot}; set it on the pilot's page)",
                record.pilot.get_status_display(),
                record.get_status_after_display(),
            )
        )
    return changes


def _changes_pilot_status(record: Publishable, published: models.Model | None) -> bool:
    """An update proposing a status the pilot does not have, that its published version did not propose."""
    if not isinstance(record, PilotUpdate) or not record.status_after or record.status_after == record.pilot.status:
        return False
    return published is None or published.status_after != record.status_after


def _sources(record: Publishable) -> list[Source]:
    return [record] if isinstance(record, Source) else list(getattr(record, "sources", Source.objects.none()).all())


def reviews(proposals: Sequence[Proposal]) -> list[Review]:
    """One :class:`Review` per proposal, in the given order."""
    ids: dict[int, list[int]] = defaultdict(list)
    for proposal in proposals:
        ids[proposal.content_type_id].append(proposal.object_id)
    records: dict[tuple[int, int], Publishable] = {}
    published: dict[tuple[int, int], models.Model] = {}
    for content_type_id, object_ids in ids.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        concrete, many = _compared(model)
        related = [f.name for f in concrete if f.many_to_one]
        for pk, record in (
            model._base_manager.select_related(*related)
            .prefetch_related(*(m.name for m in many))
            .in_bulk(object_ids)
            .items()
        ):
            records[content_type_id, pk] = record
        history = model.history.model
        latest = (
            history.objects.filter(id=OuterRef("id"), publication_status=PublicationStatus.PUBLISHED)
            .order_by("-history_date", "-history_id")
            .values("history_id")[:1]
        )
        rows = (
            history.objects.filter(id__in=object_ids, history_id=Subquery(latest))
            .select_related(*related)
            .prefetch_related(*(f"{_recorded_links(history, m)}__{get_m2m_reverse_field_name(m)}" for m in many))
        )
        for row in rows:
            published[content_type_id, row.id] = row
    result = []
    for proposal in proposals:
        key = (proposal.content_type_id, proposal.object_id)
        record = records.get(key)
        if record is None:
            result.append(Review(proposal=proposal, record=None))
            continue
        before = published.get(key)
        result.append(
            Review(
                proposal=proposal,
                record=record,
                published_before=before is not None,
                changes=_changes(record, before),
                sources=_sources(record),
            )
        )
    return result
