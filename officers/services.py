"""Write paths for officers and publication. Admin actions, admin forms and the management command
all go through these functions, so the rules live in one place."""

from collections.abc import Iterable, Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from boroughs.models import LocalAuthority
from core.history import save_with_reason
from core.models import PublicationStatus, Publishable
from pilots.models import PilotUpdate
from sources.models import KeyFigure, Source

from .models import OFFICERS_GROUP, OfficerProfile
from .scoping import added_by, in_scope, is_editor

NO_SOURCE_MESSAGE = (
    "Add at least one published source before publishing: every fact on the public site must say where it comes from."
)
STATUS_CHANGE_MESSAGE = (
    "This update changes the pilot's status, which is a change to the pilot itself: save it as a draft, then "
    "send it to an editor for publication; a portal editor will check it and publish it."
)
EDITOR_PUBLISHES_MESSAGE = (
    "You may save this as a draft and send it to an editor for publication; a portal editor will publish it."
)
CHECKED_REASON = "Checked: still correct"


def find_authorities(*, references: Sequence[str]) -> list[LocalAuthority]:
    """Authorities by slug or GSS code (e.g. ``hackney`` or ``E09000012``); unknown ones are an error."""
    found: list[LocalAuthority] = []
    unknown: list[str] = []
    for reference in references:
        value = reference.strip()
        authority = LocalAuthority.objects.filter(Q(slug=value.lower()) | Q(gss_code=value.upper())).first()
        if authority is None:
            unknown.append(reference)
        elif authority not in found:
            found.append(authority)
    if unknown:
        raise ValidationError(f"No London authority has the slug or GSS code: {', '.join(unknown)}.")
    return found


@transaction.atomic
def create_officer(
    *,
    username: str,
    email: str,
    authorities: Sequence[LocalAuthority],
    password: str | None = None,
    created_by: AbstractBaseUser | None = None,
) -> AbstractBaseUser:
    """A staff account in the "Borough officers" group, attached to ``authorities``.

    With no password the account cannot sign in until an editor sets one in the admin.
    """
    if not authorities:
        raise ValidationError("A borough officer needs at least one authority.")
    user_model = get_user_model()
    if user_model._default_manager.filter(username__iexact=username).exists():
        raise ValidationError(f"The user name {username!r} is already taken.")
    user = user_model(username=username, email=email, is_staff=True, is_active=True)
    if password:
        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.add(Group.objects.get(name=OFFICERS_GROUP))
    profile = OfficerProfile(user=user)
    if created_by is not None:
        profile._history_user = created_by
    profile.save()
    profile.authorities.set(authorities)
    return user


@transaction.atomic
def start_two_factor_enrolment(*, user: AbstractBaseUser, confirmed: bool = False) -> TOTPDevice:
    """A new authenticator-app key (TOTP) for ``user``, replacing any they have not confirmed yet.

    Unconfirmed, it is confirmed by the first right code on the set-up page; ``confirmed`` (for
    ``create_officer --two-factor``, which prints the key) makes it the account's second factor at once.
    """
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=confirmed)


class PublicationRefused(ValidationError):
    """The user may not make this publication change; an editor must (the message says why)."""


def cites_published_source(*, record: Publishable, sources: Iterable[Source] | None = None) -> bool:
    """Whether the record names at least one published source. ``sources``: the many-to-many values
    about to be saved (None: as stored); a key figure's ``source`` is read from the record itself."""
    if isinstance(record, Source):
        return True
    if isinstance(record, KeyFigure):
        return (
            record.source_id is not None
            and Source.objects.filter(pk=record.source_id, publication_status=PublicationStatus.PUBLISHED).exists()
        )
    if sources is not None:
        return any(source.is_published for source in sources)
    if record.pk is None:
        return False
    return record.sources.filter(publication_status=PublicationStatus.PUBLISHED).exists()


def can_publish(*, user: AbstractBaseUser, record: Publishable) -> bool:
    """Editors publish anything. Officers publish updates of their own pilots (except status changes,
    which are proposals for an editor) and sources they added themselves. Judged on ``record``'s
    values as they are in memory: the values about to be saved."""
    if is_editor(user):
        return True
    if isinstance(record, PilotUpdate):
        return user.has_perm("pilots.change_pilotupdate") and in_scope(record, user) and not record.status_after
    if isinstance(record, Source):
        return user.has_perm("sources.change_source") and (record.pk is None or added_by(record, user))
    return False


def check_publication_rules(
    *, record: Publishable, by: AbstractBaseUser, sources: Iterable[Source] | None = None
) -> None:
    """The publishing rules, on the values about to be saved (``record`` as modified in memory,
    ``sources`` as submitted) compared with the stored record; every route that saves a publishable
    record calls this before saving: the change and add forms, Revert, and the list actions.

    - moving a record to published or withdrawn needs someone who may publish it, judged on the new
      values (an officer's update that also sets "Status after" is a status change: an editor's);
    - a published update whose "Status after" changes is a new status change: an editor's too;
    - a published record cites at least one published source (a key figure: the source being saved).
    """
    stored = _stored(record)
    stored_status = stored.publication_status if stored is not None else None
    moves = record.publication_status != stored_status and record.publication_status != PublicationStatus.DRAFT
    changes_status = (
        isinstance(record, PilotUpdate)
        and record.is_published
        and record.status_after != (stored.status_after if stored is not None else "")
    )
    if (moves or changes_status) and not can_publish(user=by, record=record):
        if getattr(record, "status_after", ""):
            raise PublicationRefused(STATUS_CHANGE_MESSAGE, code="status_change")
        raise PublicationRefused(EDITOR_PUBLISHES_MESSAGE, code="editor_publishes")
    if record.is_published and not cites_published_source(record=record, sources=sources):
        raise ValidationError(NO_SOURCE_MESSAGE, code="no_published_source")


def stamp_publication(*, record: Publishable, by: AbstractBaseUser) -> None:
    """When a save moves a record to published, record who and when (in memory: the caller saves)."""
    stored = _stored(record)
    if record.is_published and (stored is None or not stored.is_published):
        record.published_at = timezone.now()
        record.published_by = by


def _stored(record: Publishable) -> Publishable | None:
    """The record as it is in the database (None for a new one), to compare the values being saved with."""
    return type(record)._base_manager.filter(pk=record.pk).first() if record.pk else None


@transaction.atomic
def mark_checked(*, record: models.Model, by: AbstractBaseUser) -> models.Model:
    """Record that ``by`` read the record again and found it still correct: a save that changes no field,
    so its history holds who checked it and when (what the start page reads as its last review). Like
    any save a person makes, it keeps the shipped-data loader from overwriting the record."""
    return save_with_reason(record, by=by, reason=CHECKED_REASON)


@transaction.atomic
def publish(*, record: Publishable, by: AbstractBaseUser, reason: str = "Published") -> Publishable:
    """Publish a record, recording who and when (``reason``: the history's note). Refused
    (PublicationRefused, ValidationError) unless ``by`` may publish it and it cites a published source."""
    return _change_publication(record=record, by=by, status=PublicationStatus.PUBLISHED, reason=reason)


@transaction.atomic
def withdraw(*, record: Publishable, by: AbstractBaseUser) -> Publishable:
    """Take a record off the public site; it keeps its history and can be published again."""
    return _change_publication(record=record, by=by, status=PublicationStatus.WITHDRAWN, reason="Withdrawn")


def _change_publication(*, record: Publishable, by: AbstractBaseUser, status: str, reason: str) -> Publishable:
    if record.publication_status == status:
        return record
    previous, record.publication_status = record.publication_status, status
    try:
        check_publication_rules(record=record, by=by)
    except ValidationError:
        record.publication_status = previous
        raise
    stamp_publication(record=record, by=by)
    return save_with_reason(record, by=by, reason=reason)
