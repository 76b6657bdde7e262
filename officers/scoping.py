"""The one rule for 'which records belong to this user', used by every admin route and service.

A portal editor (superuser, or holder of ``officers.edit_all_boroughs``) is unscoped. Anyone else
sees only records linked to the authorities on their :class:`~officers.models.OfficerProfile`:

| model | a borough officer's records |
|---|---|
| local authority | their authorities |
| place partnership | the partnerships of their authorities |
| pilot | pilots one of their authorities takes part in |
| pilot update | updates of those pilots |
| pilot participant | participations in those pilots (read only) |
| source | every source (sources are shared); they may change only sources they added |
| email notification | the emails sent to them |
| problem report | reports about their authorities' pages |
| anything else | nothing |
"""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.db.models import Q

from boroughs.models import LocalAuthority, PlacePartnership
from feedback.models import ProblemReport
from pilots.models import Pilot, PilotParticipant, PilotUpdate
from sources.models import Source

from .models import EDIT_ALL_PERMISSION, SentNotification

User = AbstractBaseUser | AnonymousUser

_CACHE_ATTR = "_officer_authority_ids"


def is_editor(user: User) -> bool:
    return bool(user.is_active and (user.is_superuser or user.has_perm(EDIT_ALL_PERMISSION)))


def authority_ids(user: User) -> frozenset[int]:
    """The ids of the authorities a (non-editor) user is attached to; cached on the user object."""
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    ids: frozenset[int] = frozenset()
    if user.is_authenticated and user.is_active:
        ids = frozenset(
            LocalAuthority.objects.filter(officers__user=user).values_list("pk", flat=True)  # type: ignore[misc]
        )
    setattr(user, _CACHE_ATTR, ids)
    return ids


def _pilot_ids(user: User) -> models.QuerySet:
    return PilotParticipant.objects.filter(authority__in=authority_ids(user)).values("pilot")


def _scope_filter(model: type[models.Model], user: User) -> Q | None:
    """The filter selecting a scoped user's records of ``model``; None means all, Q(pk__in=[]) none."""
    ids = authority_ids(user)
    if model is LocalAuthority:
        return Q(pk__in=ids)
    if model is PlacePartnership:
        return Q(pk__in=LocalAuthority.objects.filter(pk__in=ids).values("place_partnership"))
    if model is Pilot:
        return Q(pk__in=_pilot_ids(user))
    if model is PilotUpdate or model is PilotParticipant:
        return Q(pilot__in=_pilot_ids(user))
    if model is Source:
        return None
    if model is SentNotification:
        return Q(recipient=user.pk)
    if model is ProblemReport:
        return Q(authority__in=ids)
    return Q(pk__in=[])


def scope_queryset(queryset: models.QuerySet, user: User) -> models.QuerySet:
    """Restrict ``queryset`` to what ``user`` may see."""
    if is_editor(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    condition = _scope_filter(queryset.model, user)
    return queryset if condition is None else queryset.filter(condition)


def in_scope(obj: models.Model, user: User) -> bool:
    """Whether ``user`` may see ``obj`` (judged on the stored record, not on unsaved values)."""
    if is_editor(user):
        return True
    if not user.is_authenticated or not user.is_active or obj.pk is None:
        return False
    model = type(obj)._meta.concrete_model
    return scope_queryset(model._default_manager.filter(pk=obj.pk), user).exists()


def added_by(obj: models.Model, user: User) -> bool:
    """Whether ``user`` added the record, as its ``created_by`` says (kept on the record, not read
    back from its history, so pruning history changes no permission)."""
    return user.is_authenticated and obj.pk is not None and getattr(obj, "created_by_id", None) == user.pk
