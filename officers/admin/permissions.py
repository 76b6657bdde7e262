"""Object permissions in the admin, from the one scoping rule (``officers.scoping``): querysets, the
record behind every URL, view / change / delete, and the fields an officer sees but never changes."""

from collections.abc import Iterable

from django.db import models
from django.http import Http404, HttpRequest

from core.models import Publishable
from officers.scoping import in_scope, is_editor, scope_queryset


class ScopedPermissionsMixin:
    """``officer_readonly_fields``: fields a borough officer sees but never changes (codes, names);
    ``officer_may_change(request, obj)`` / ``officer_may_delete(request, obj)``: extra per-record rules."""

    officer_readonly_fields: Iterable[str] = ()

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such record, or it belongs to another borough.")
        return obj

    def officer_may_change(self, request: HttpRequest, obj: models.Model) -> bool:
        return True

    def officer_may_delete(self, request: HttpRequest, obj: models.Model) -> bool:
        return True

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or in_scope(obj, request.user))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if not allowed or obj is None or is_editor(request.user):
            return allowed
        return in_scope(obj, request.user) and self.officer_may_change(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if not allowed or obj is None or is_editor(request.user):
            return allowed
        return in_scope(obj, request.user) and self.officer_may_delete(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if issubclass(self.model, Publishable):
            fields += ["published_at", "published_by"]
        if not is_editor(request.user):
            fields += [name for name in self.officer_readonly_fields if name not in fields]
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        readonly = set(self.get_readonly_fields(request, obj))
        prepopulated = super().get_prepopulated_fields(request, obj)
        return {name: sources for name, sources in prepopulated.items() if name not in readonly}
