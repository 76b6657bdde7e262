"""The admin's start page (``templates/admin/index.html``): what an officer's borough holds, their drafts,
and what needs attention. Editors see the same across every borough. Every read goes through the one
scoping rule (``officers.scoping.scope_queryset``), so an officer's page holds nothing of another borough.

The page is a list of panels, ``PANELS``: each is a function ``(user, today) -> Panel`` (or None to leave
it out for this user), and the template renders every panel alike. To add one, write such a function,
scoped the same way, and add it to ``PANELS`` where it should appear. Each panel costs a fixed number of
queries (its rows, sliced, and its count), whatever the data: ``tests/officers/test_start_page.py`` holds
the page's count constant.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.prefetch import GenericPrefetch
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from boroughs.models import LocalAuthority, PlacePartnership
from core.dates import older_than_years_condition, years_before
from core.models import PublicationStatus
from feedback.models import ProblemReport
from pilots.models import Pilot, PilotUpdate
from sources.models import Source

from .models import Proposal
from .review import awaiting_review, proposals_of, returned_to
from .scoping import authority_ids, is_editor, scope_queryset

# A pilot's status evidence, and any record, is due a look once this old.
ATTENTION_YEARS = 1
# Rows shown per panel section; the section says how many there are in all and links to the full list.
ROWS_SHOWN = 10


@dataclass(frozen=True)
class Row:
    label: str
    url: str
    detail: str = ""


@dataclass(frozen=True)
class Section:
    """One kind of record in a panel: up to ``ROWS_SHOWN`` rows, how many there are, the full list."""

    title: str
    rows: list[Row]
    total: int
    list_url: str = ""


@dataclass(frozen=True)
class Panel:
    key: str  # the section's HTML id
    heading: str
    description: str
    sections: list[Section]
    empty: str  # said when no section has a row

    @property
    def total(self) -> int:
        return sum(section.total for section in self.sections)


PanelBuilder = Callable[[AbstractBaseUser, datetime.date], Panel | None]


def _change_url(obj: models.Model) -> str:
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def _list_url(model: type[models.Model], query: str = "") -> str:
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    return f"{url}?{query}" if query else url


def _section(
    title: str,
    queryset: models.QuerySet,
    detail: Callable[[models.Model], str],
    list_url: str,
    label: Callable[[models.Model], str] = str,
) -> Section:
    rows = [Row(label(obj), _change_url(obj), detail(obj)) for obj in queryset[:ROWS_SHOWN]]
    return Section(title, rows, queryset.count(), list_url)


# --- selectors ---------------------------------------------------------------------------------------


def records_of(model: type[models.Model], user: AbstractBaseUser) -> models.QuerySet:
    """The records of ``model`` the user keeps (an editor: all)."""
    return scope_queryset(model._default_manager.all(), user)


def drafts_of(model: type[models.Model], user: AbstractBaseUser) -> models.QuerySet:
    """Drafts the user may work on: their borough's, and for sources (shared by every borough) those they added."""
    queryset = records_of(model, user).filter(publication_status=PublicationStatus.DRAFT)
    if model is Source and not is_editor(user):
        queryset = queryset.filter(created_by=user)
    return queryset


def stale_evidence_pilots(user: AbstractBaseUser, today: datetime.date) -> models.QuerySet:
    """The user's pilots (not withdrawn) whose status rests on evidence more than ``ATTENTION_YEARS`` old, even
    reading its partial date at its latest (``core.dates.older_than_years_condition``), or on undated evidence."""
    return (
        records_of(Pilot, user)
        .exclude(publication_status=PublicationStatus.WITHDRAWN)
        .filter(older_than_years_condition("status_as_of", ATTENTION_YEARS, today) | Q(status_as_of__isnull=True))
        .order_by("status_as_of", "title", "pk")
    )


def not_reviewed(model: type[models.Model], user: AbstractBaseUser, today: datetime.date) -> models.QuerySet:
    """The user's records of ``model`` (not withdrawn) that nobody has saved for ``ATTENTION_YEARS``: the records
    hold no "last reviewed" date, so the last entry in their history stands for it (an edit, or the list
    action "Mark … as checked", ``officers.services.mark_checked``); ``last_saved`` is annotated, oldest first."""
    cutoff = timezone.make_aware(datetime.datetime.combine(years_before(today, ATTENTION_YEARS), datetime.time()))
    pk_name = model._meta.pk.attname
    latest = model.history.filter(**{pk_name: OuterRef("pk")}).order_by("-history_date").values("history_date")[:1]
    queryset = records_of(model, user).annotate(last_saved=Subquery(latest))
    if any(field.name == "publication_status" for field in model._meta.concrete_fields):
        queryset = queryset.exclude(publication_status=PublicationStatus.WITHDRAWN)
    return queryset.filter(Q(last_saved__lt=cutoff) | Q(last_saved__isnull=True)).order_by("last_saved", "pk")


def open_reports(user: AbstractBaseUser) -> models.QuerySet:
    """Residents' problem reports about the user's borough's pages (an editor: all) that are not closed."""
    return (
        records_of(ProblemReport, user)
        .exclude(status=ProblemReport.Status.CLOSED)
        .select_related("authority")
        .order_by("-received_at", "-pk")
    )


# --- panels ------------------------------------------------------------------------------------------


def _boroughs_name(user: AbstractBaseUser) -> str:
    if is_editor(user):
        return "Every borough"
    names = list(LocalAuthority.objects.filter(pk__in=authority_ids(user)).values_list("name", flat=True))
    return " and ".join(names) if names else "Your borough"


def _records_count(count: int) -> str:
    return f"{count} record{pluralize(count)}"


def records_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    kinds = [
        ("Pilots", Pilot),
        ("Pilot updates", PilotUpdate),
        ("Place partnerships", PlacePartnership),
        ("Local authorities", LocalAuthority),
        ("Sources (shared by every borough)", Source),
    ]
    rows = [Row(title, _list_url(model), _records_count(records_of(model, user).count())) for title, model in kinds]
    return Panel(
        key="your-records",
        heading=f"{_boroughs_name(user)}: records",
        description="Everything you keep current, by kind.",
        sections=[Section("", rows, len(rows))],
        empty="",
    )


def drafts_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    draft = f"publication_status__exact={PublicationStatus.DRAFT}"
    return Panel(
        key="drafts",
        heading="Drafts",
        description="Only admin users see these until they are published.",
        sections=[
            _section(
                "Pilot updates",
                drafts_of(PilotUpdate, user).select_related("pilot"),
                lambda update: update.happened_on_display,
                _list_url(PilotUpdate, draft),
            ),
            _section(
                "Pilots", drafts_of(Pilot, user), lambda pilot: pilot.get_status_display(), _list_url(Pilot, draft)
            ),
            _section(
                "Sources" if is_editor(user) else "Sources you added",
                drafts_of(Source, user),
                lambda source: source.published_on_display,
                _list_url(Source, draft),
            ),
        ],
        empty="You have no drafts.",
    )


def _proposal_label(proposal: Proposal) -> str:
    return str(proposal.record) if proposal.record is not None else "(deleted)"


def _record_url(proposal: Proposal) -> str:
    """The record's own page, where the proposal's state and any reason for returning it are shown."""
    return _change_url(proposal.record) if proposal.record is not None else _list_url(Proposal)


def _proposals_section(
    queryset: models.QuerySet,
    detail: Callable[[Proposal], str],
    url: Callable[[Proposal], str] = _record_url,
    list_url: str = "",
) -> Section:
    """Up to ``ROWS_SHOWN`` proposals with their records fetched together (one query per kind of record)."""
    records = GenericPrefetch("record", [PilotUpdate.objects.select_related("pilot"), Source.objects.all()])
    proposals = list(queryset.prefetch_related(records)[:ROWS_SHOWN])
    rows = [Row(_proposal_label(proposal), url(proposal), detail(proposal)) for proposal in proposals]
    return Section("Proposals", rows, queryset.count(), list_url)


def _on(moment: datetime.datetime) -> str:
    return f"{timezone.localtime(moment):%d %B %Y}"


def proposals_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    """Editors: the review queue's oldest proposals. Officers: what they have sent that waits for an editor."""
    if is_editor(user):
        return Panel(
            key="review-queue",
            heading="Waiting for your review",
            description="Drafts officers have sent for publication, oldest first. Publish each one, or return it "
            "with a reason the officer will read.",
            sections=[
                _proposals_section(
                    awaiting_review(),
                    lambda proposal: f"sent by {proposal.proposed_by} on {_on(proposal.proposed_at)}",
                    url=lambda proposal: reverse("admin:officers_proposal_publish", args=[proposal.pk]),
                    list_url=_list_url(Proposal),
                )
            ],
            empty="Nothing is waiting for review.",
        )
    return Panel(
        key="sent-for-review",
        heading="Sent to an editor",
        description="Your drafts waiting for an editor to publish them.",
        sections=[
            _proposals_section(
                proposals_of(user).filter(state=Proposal.State.AWAITING),
                lambda proposal: f"sent on {_on(proposal.proposed_at)}",
            )
        ],
        empty="Nothing of yours is waiting for an editor.",
    )


def returned_panel(user: AbstractBaseUser, today: datetime.date) -> Panel | None:
    """Proposals an editor returned to the user, with the reason, until the user sends them again."""
    returned = returned_to(user)
    if is_editor(user) and not returned.exists():
        return None  # editors publish their own drafts; the panel is for those who send them
    return Panel(
        key="returned",
        heading="Returned to you for changes",
        description="An editor read these and asked for changes. Open each one, change it as the reason says, "
        "save it and send it to an editor again.",
        sections=[
            _proposals_section(
                returned,
                lambda proposal: (
                    f"returned by {proposal.decided_by} on {_on(proposal.decided_at)}: "
                    f"{Truncator(proposal.reason).chars(120)}"
                ),
            )
        ],
        empty="Nothing has been returned to you.",
    )


def stale_evidence_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    return Panel(
        key="stale-evidence",
        heading="Pilots whose status evidence is more than 12 months old",
        description=(
            "Check whether a newer source says where the pilot stands; if it does, add an update saying so, "
            "with that source."
        ),
        sections=[
            _section(
                "Pilots",
                stale_evidence_pilots(user, today),
                lambda pilot: f"{pilot.get_status_display()}, as of {pilot.status_as_of_display}",
                _list_url(Pilot),
            )
        ],
        empty="Every pilot's status rests on evidence from the last 12 months.",
    )


def not_reviewed_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    def last_saved(obj: models.Model) -> str:
        saved = obj.last_saved
        return f"last saved {timezone.localtime(saved):%d %B %Y}" if saved else "never saved in the admin"

    kinds = [
        ("Pilots", Pilot),
        ("Pilot updates", PilotUpdate),
        ("Place partnerships", PlacePartnership),
        ("Local authorities", LocalAuthority),
    ]
    sections = []
    for title, model in kinds:
        queryset = not_reviewed(model, user, today)
        if model is PilotUpdate:
            queryset = queryset.select_related("pilot")
        sections.append(_section(title, queryset, last_saved, _list_url(model)))
    return Panel(
        key="not-reviewed",
        heading="Records nobody has saved or checked for 12 months",
        description=(
            "Read each one again. Correct it and save it; or, if it is still right, tick it in its list and choose "
            "“Mark the selected records as checked: still correct”. A pilot is kept by editors: if yours is out "
            "of date, add a draft update saying what should change."
        ),
        sections=sections,
        empty="Every record has been saved or checked in the last 12 months.",
    )


def open_reports_panel(user: AbstractBaseUser, today: datetime.date) -> Panel:
    def detail(report: ProblemReport) -> str:
        summary = Truncator(report.description).chars(80)
        return f"{report.get_status_display()}, received {timezone.localtime(report.received_at):%d %B %Y}: {summary}"

    return Panel(
        key="reports",
        heading="Residents' reports not yet closed",
        description="Problems residents reported with your pages. Set each one to in hand, then closed when done.",
        sections=[
            _section("Reports", open_reports(user), detail, _list_url(ProblemReport), lambda report: report.page)
        ],
        empty="No open reports.",
    )


# The start page's panels, in order. Add a panel here (see the module's docstring).
PANELS: list[PanelBuilder] = [
    records_panel,
    returned_panel,
    proposals_panel,
    drafts_panel,
    stale_evidence_panel,
    not_reviewed_panel,
    open_reports_panel,
]


def start_page_panels(user: AbstractBaseUser, today: datetime.date | None = None) -> list[Panel]:
    today = today or timezone.localdate()
    return [panel for build in PANELS if (panel := build(user, today)) is not None]
