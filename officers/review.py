"""The review queue: an officer sends a draft to the portal editors ("proposes" it); an editor publishes
it or returns it with a reason, which the officer reads on the record's page, edits and proposes again.

Each step is one transaction, a line in the record's history naming the step, and an email
(``officers.notifications``) sent once the step is committed. An officer proposes only records they may
change (their borough's, a source they added); only editors decide.
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core.history import save_with_reason
from core.models import PublicationStatus, Publishable
from pilots.models import PilotUpdate
from sources.models import Source

from .models import Proposal, SentNotification
from .notifications import notify_after_commit
from .scoping import added_by, in_scope, is_editor, scope_queryset
from .services import publish

# The kinds of record an officer drafts for an editor to publish.
PROPOSABLE: tuple[type[Publishable], ...] = (PilotUpdate, Source)

PROPOSED_REASON = "Sent to an editor for publication"
NOT_A_DRAFT = "Only a draft is sent for publication; this record is {status}."
ALREADY_AWAITING = "This record is already with an editor, waiting for a decision."
ALREADY_DECIDED = "Nothing was done: this proposal was decided already ({state}{who}, {when:%d %B %Y at %H:%M})."
CHANGED_SINCE = (
    "Nothing was done: the record was changed after you opened this page. Reload it, check what is proposed "
    "now, and decide again."
)
REASON_REQUIRED = "Say why you are returning it: the officer reads this on the record's page."
EDITORS_DECIDE = "Only a portal editor publishes or returns a proposal."


class ProposalRefused(ValidationError):
    """The step cannot be taken on this proposal or record as it now stands (the message says why)."""


def may_propose(*, user: AbstractBaseUser, record: models.Model) -> bool:
    """Whether ``user`` may send ``record`` for publication: anyone who may change it (an officer: their
    own borough's update, a source they added)."""
    if not isinstance(record, PROPOSABLE) or record.pk is None:
        return False
    opts = record._meta
    if not (user.has_perm(f"{opts.app_label}.change_{opts.model_name}") and in_scope(record, user)):
        return False
    return not isinstance(record, Source) or is_editor(user) or added_by(record, user)


def _content_type(record: models.Model) -> ContentType:
    return ContentType.objects.get_for_model(record, for_concrete_model=True)


def _proposals_of_record(record: models.Model) -> models.QuerySet[Proposal]:
    return Proposal.objects.filter(content_type=_content_type(record), object_id=record.pk)


def _locked(record: Publishable) -> Publishable:
    return type(record)._base_manager.select_for_update().get(pk=record.pk)


def _check_version(record: Publishable, version: int | None) -> None:
    """Refuses a step taken on a page showing an older version of the record than is stored."""
    if version is not None and record.version != version:
        raise ProposalRefused(CHANGED_SINCE, code="stale")


@transaction.atomic
def propose(*, record: Publishable, by: AbstractBaseUser, version: int | None = None) -> Proposal:
    """Send a draft to the editors. ``version``: the record's version on the page the officer used."""
    if not may_propose(user=by, record=record):
        raise PermissionDenied("This record is not yours to send for publication.")
    record = _locked(record)
    _check_version(record, version)
    if record.publication_status != PublicationStatus.DRAFT:
        raise ProposalRefused(NOT_A_DRAFT.format(status=record.get_publication_status_display().lower()))
    try:
        with transaction.atomic():
            proposal = Proposal.objects.create(content_type=_content_type(record), object_id=record.pk, proposed_by=by)
    except IntegrityError:  # one awaiting proposal per record (the database's constraint)
        raise ProposalRefused(ALREADY_AWAITING, code="awaiting") from None
    save_with_reason(record, by=by, reason=PROPOSED_REASON)
    notify_after_commit(proposal, SentNotification.Event.PROPOSED)
    return proposal


def _open_for_decision(proposal: Proposal, by: AbstractBaseUser) -> tuple[Proposal, Publishable]:
    """The proposal and its record, locked, if ``by`` is an editor and nobody has decided yet."""
    if not is_editor(by):
        raise PermissionDenied(EDITORS_DECIDE)
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if proposal.state != Proposal.State.AWAITING:
        raise ProposalRefused(
            ALREADY_DECIDED.format(
                state=proposal.get_state_display(),
                who=f" by {proposal.decided_by}" if proposal.decided_by_id else "",
                when=timezone.localtime(proposal.decided_at),
            ),
            code="decided",
        )
    return proposal, _locked(proposal.record)


def _decide(proposal: Proposal, *, by: AbstractBaseUser, state: str, reason: str = "") -> None:
    proposal.state, proposal.reason = state, reason
    proposal.decided_by, proposal.decided_at = by, timezone.now()
    proposal.save(update_fields=["state", "reason", "decided_by", "decided_at"])


@transaction.atomic
def return_proposal(*, proposal: Proposal, by: AbstractBaseUser, reason: str, version: int | None = None) -> Proposal:
    """Send a proposal back to its officer with the reason, which their record's page then shows."""
    reason = reason.strip()
    if not reason:
        raise ProposalRefused(REASON_REQUIRED, code="reason")
    proposal, record = _open_for_decision(proposal, by)
    _check_version(record, version)
    _decide(proposal, by=by, state=Proposal.State.RETURNED, reason=reason)
    save_with_reason(record, by=by, reason=f"Returned to {proposal.proposed_by} for changes: {reason}")
    notify_after_commit(proposal, SentNotification.Event.RETURNED)
    return proposal


@transaction.atomic
def publish_proposal(*, proposal: Proposal, by: AbstractBaseUser, version: int | None = None) -> Proposal:
    """Publish the proposed record (the publishing rules apply: it must cite a published source)."""
    proposal, record = _open_for_decision(proposal, by)
    _check_version(record, version)
    _decide(proposal, by=by, state=Proposal.State.PUBLISHED)  # first: publishing closes what still awaits
    publish(record=record, by=by, reason=f"Published from the review queue, as proposed by {proposal.proposed_by}")
    notify_after_commit(proposal, SentNotification.Event.PUBLISHED)
    return proposal


def close_when_no_longer_a_draft(sender: type[models.Model], instance: Publishable, **kwargs) -> None:
    """A draft published or withdrawn by another route (its own page, a list action) leaves the queue,
    and may be proposed again once it is a draft again (connected in ``officers.apps``)."""
    if instance.publication_status == PublicationStatus.DRAFT:
        return
    _proposals_of_record(instance).filter(state=Proposal.State.AWAITING).update(
        state=Proposal.State.WITHDRAWN, decided_at=timezone.now()
    )


def forget_deleted_record(sender: type[models.Model], instance: models.Model, **kwargs) -> None:
    """A deleted draft takes its proposals with it (connected in ``officers.apps``)."""
    _proposals_of_record(instance).delete()


# Selectors


def awaiting_review() -> models.QuerySet[Proposal]:
    """Every proposal waiting for an editor, oldest first."""
    return (
        Proposal.objects.filter(state=Proposal.State.AWAITING)
        .select_related("content_type", "proposed_by")
        .order_by("proposed_at", "pk")
    )


def _records_in_scope(user: AbstractBaseUser) -> Q:
    """Proposals whose record ``user`` may see (an officer moved to another borough no longer sees theirs)."""
    condition = Q(pk__in=[])
    for model in PROPOSABLE:
        visible = scope_queryset(model._default_manager.all(), user).values("pk")
        condition |= Q(content_type=ContentType.objects.get_for_model(model), object_id__in=visible)
    return condition


def proposals_of(user: AbstractBaseUser) -> models.QuerySet[Proposal]:
    """What ``user`` has proposed, newest first, on records still in their scope."""
    return (
        Proposal.objects.filter(_records_in_scope(user), proposed_by=user)
        .select_related("content_type", "proposed_by", "decided_by")
        .order_by("-proposed_at", "-pk")
    )


def returned_to(user: AbstractBaseUser) -> models.QuerySet[Proposal]:
    """``user``'s proposals an editor returned and that they have not proposed again since."""
    later = Proposal.objects.filter(
        content_type=OuterRef("content_type"), object_id=OuterRef("object_id"), proposed_at__gt=OuterRef("proposed_at")
    )
    return proposals_of(user).filter(state=Proposal.State.RETURNED).filter(~Exists(later))


def latest_proposal(record: models.Model) -> Proposal | None:
    """The record's most recent proposal (the change page says where it stands)."""
    return _proposals_of_record(record).select_related("decided_by").order_by("-proposed_at", "-pk").first()
