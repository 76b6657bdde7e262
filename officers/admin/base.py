"""The admin classes every portal model uses, composed from one mixin per concern:

- ``permissions``: querysets, object permissions and read-only fields follow ``officers.scoping``;
  another borough's record is a 404 (or 403), never shown;
- ``choices``: foreign-key and many-to-many choices (autocomplete too) are scoped the same way;
- ``forms``: optimistic locking (django-concurrency) and the publishing rules, on the submitted values;
- ``actions``: publish, withdraw and CSV download of selected records, each version-checked;
- ``history``: django-simple-history's history and Revert views, scoped, Revert itself checked;
- ``preview``: drafts as the public would see them;
- ``review``: sending a draft to an editor for publication, and where its proposal stands;
- ``request_input``: tampered ids, ``_to_field`` values and selections are messages or 404s, never 500s.
"""

from concurrency.admin import ConcurrencyActionMixin
from concurrency.exceptions import RecordModifiedError
from django.contrib import messages
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.models import Publishable
from officers.admin.actions import PortalActionsMixin
from officers.admin.choices import ScopedChoicesMixin
from officers.admin.forms import STALE_MESSAGE, PortalAdminForm, bind_user
from officers.admin.history import PortalHistoryMixin
from officers.admin.permissions import ScopedPermissionsMixin
from officers.admin.preview import PreviewMixin
from officers.admin.request_input import CheckedChoicesMixin, RequestInputMixin
from officers.admin.review import ProposeMixin
from officers.scoping import is_editor, scope_queryset
from officers.services import stamp_publication


class PortalModelAdmin(
    RequestInputMixin,
    ScopedPermissionsMixin,
    ScopedChoicesMixin,
    PortalActionsMixin,
    PortalHistoryMixin,
    PreviewMixin,
    ProposeMixin,
    ConcurrencyActionMixin,
    SimpleHistoryAdmin,
):
    """Base admin for every portal model. Subclasses set the usual options, plus ``help_texts``,
    ``officer_readonly_fields`` and ``officer_may_change`` / ``officer_may_delete`` (see the mixins)."""

    form = PortalAdminForm
    list_per_page = 50

    def get_form(self, request, obj=None, change=False, **kwargs):
        return bind_user(super().get_form(request, obj, change, **kwargs), request.user)

    def save_model(self, request, obj, form, change):
        reverting = getattr(form, "reverts_to", None)
        if change and not form.has_changed() and reverting is None:
            return  # nothing typed into this record (an inline may still change): no empty history entry
        if reverting is not None:
            obj._change_reason = f"Reverted to the version of {reverting.history_date:%d %B %Y %H:%M}"
        if not change and _records_creator(obj):
            obj.created_by = request.user
        if isinstance(obj, Publishable):
            stamp_publication(record=obj, by=request.user)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            instance = inline_form.instance
            if isinstance(instance, Publishable) and inline_form.has_changed():
                stamp_publication(record=instance, by=request.user)
        super().save_formset(request, form, formset, change)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RecordModifiedError:
            # Someone saved between our check and our write: the transaction was rolled back.
            self.message_user(request, STALE_MESSAGE, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        stale = getattr(getattr(context.get("adminform"), "form", None), "stale_fields", None)
        if stale is not None and obj is not None:
            changed = f" They changed: {', '.join(stale)}." if stale else ""
            latest = reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
            )
            self.message_user(
                request,
                format_html(
                    'Not saved: someone else saved this record after you opened it.{} <a href="{}" target="_blank" '
                    'rel="noopener">Open the latest version in a new tab</a>.',
                    changed,
                    latest,
                ),
                messages.ERROR,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)


def _records_creator(obj: models.Model) -> bool:
    """Records whose permissions depend on who added them carry ``created_by`` (a source, today)."""
    return any(field.name == "created_by" for field in obj._meta.concrete_fields)


class PortalInlineMixin(CheckedChoicesMixin, ScopedChoicesMixin):
    """Inlines: same scoped choices and checked forms; editable only by editors (officers edit
    pilot updates on their own page, where each record is checked on its own)."""

    form = PortalAdminForm

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = bind_user(formset.form, request.user)
        return formset

    def has_add_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_editor(request.user) and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request.user)


def object_link(obj: models.Model | None) -> str:
    if obj is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)
