"""Write paths for officers and publication. Admin actions, admin forms and the management command
all go through these functions, so the rules live in one place."""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from boroughs.models import LocalAuthority
from core.models import PublicationStatus, Publishable
from pilots.models import PilotUpdate
from sources.models import KeyFigure, Source

from .models import OFFICERS_GROUP, OfficerProfile
from .scoping import added_by, in_scope, is_editor

NO_SOURCE_MESSAGE = (
    "Add at least one published source before publishing: every fact on the public site must say where it comes from."
)
STATUS_CHANGE_MESSAGE = (
    "This update changes the pilot's status, which is a change to the pilot itself: save it as a draft and a "
    "portal editor will check it and publish it."
)


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


def cites_published_source(record: models.Model, *, sources: Sequence[Source] | None = None) -> bool:
    """Whether the record names at least one published source (``sources``: the values about to be saved)."""
    if isinstance(record, Source):
        return True
    if isinstance(record, KeyFigure):
        return record.source_id is not None and record.source.is_published
    if sources is not None:
        return any(source.is_published for source in sources)
    if record.pk is None:
        return False
    return record.sources.filter(publication_status=PublicationStatus.PUBLISHED).exists()


def can_publish(*, user: AbstractBaseUser, record: Publishable) -> bool:
    """Editors publish anything. Officers publish updates of their own pilots (except status changes,
    which are proposals for an editor) and sources they added themselves."""
    if is_editor(user):
        return True
    if isinstance(record, PilotUpdate):
        return user.has_perm("pilots.change_pilotupdate") and in_scope(record, user) and not record.status_after
    if isinstance(record, Source):
        return user.has_perm("sources.change_source") and (record.pk is None or added_by(record, user))
    return False


def check_publishable(*, record: Publishable, sources: Sequence[Source] | None = None) -> None:
    if not cites_published_source(record, sources=sources):
        raise ValidationError(NO_SOURCE_MESSAGE)


def mark_published(*, record: Publishable, by: AbstractBaseUser) -> None:
    """Set the publication fields in memory (the caller saves): who published, and when."""
    record.publication_status = PublicationStatus.PUBLISHED
    record.published_at = timezone.now()
    record.published_by = by


def publish(*, record: Publishable, by: AbstractBaseUser) -> Publishable:
    """Publish a record, recording who and when. Refused without a published source or permission."""
    if not can_publish(user=by, record=record):
        raise PermissionError(f"{by} may not publish {record}.")
    check_publishable(record=record)
    if record.is_published:
        return record
    mark_published(record=record, by=by)
    record._history_user = by
    record._change_reason = "Published"
    record.save()
    return record


def withdraw(*, record: Publishable, by: AbstractBaseUser) -> Publishable:
    """Take a record off the public site; it keeps its history and can be published again."""
    if not can_publish(user=by, record=record):
        raise PermissionError(f"{by} may not withdraw {record}.")
    if record.publication_status == PublicationStatus.WITHDRAWN:
        return record
    record.publication_status = PublicationStatus.WITHDRAWN
    record._history_user = by
    record._change_reason = "Withdrawn"
    record.save()
    return record
