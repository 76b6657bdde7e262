"""History and Revert through django-simple-history's own views, with its extension points: the
history list and the old version are scoped, the version number is left out of the changes shown,
and Revert opens the ordinary change form (``forms.revert_form``) inside one transaction."""

import copy
import dataclasses

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import router, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from simple_history.template_utils import HistoricalRecordContextHelper

from officers.admin.forms import revert_form


class VersionlessContextHelper(HistoricalRecordContextHelper):
    """The changes of a history entry without the version number (it changes on every save and means
    nothing to people)."""

    def context_for_delta_changes(self, delta):
        changes = [change for change in delta.changes if change.field != "version"]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=changes))


class PortalHistoryMixin:
    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        self.get_object(request, object_id)  # 404 if gone or another borough's
        return super().get_history_queryset(request, history_manager, pk_name, object_id)

    def get_historical_record_context_helper(self, request, historical_record):
        return VersionlessContextHelper(self.model, historical_record)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Revert: the record as it was, in the change form; saving it is an ordinary, checked change."""
        current = self.get_object(request, unquote(object_id))  # 404 if gone or another borough's
        if not version_id.isdigit():
            raise Http404("No such version.")
        record = get_object_or_404(self.model.history, **{self.opts.pk.attname: current.pk, "history_id": version_id})
        if not self.has_change_permission(request, current):
            raise PermissionDenied
        request.portal_revert = (current, record)  # read by get_form below
        subtitle = f"As it was on {timezone.localtime(record.history_date):%d %B %Y at %H:%M}"
        # simple_history reads the ``prepopulated_fields`` attribute, not get_prepopulated_fields(): give
        # it this request's (an officer's read-only slug is not prepopulated) on a copy of this admin.
        model_admin = copy.copy(self)
        model_admin.prepopulated_fields = self.get_prepopulated_fields(request, current)
        with transaction.atomic(using=router.db_for_write(self.model)):
            return super(PortalHistoryMixin, model_admin).history_form_view(
                request, object_id, version_id, {"subtitle": subtitle, **(extra_context or {})}
            )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        revert = getattr(request, "portal_revert", None)
        if revert is None:
            return form_class
        current, record = revert
        return revert_form(form_class, current=current, record=record)
