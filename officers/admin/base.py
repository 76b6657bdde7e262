"""The admin behaviour every portal model shares, implemented once:

- **scoping**: querysets, object permissions, foreign-key and many-to-many choices, autocomplete,
  list filters, bulk actions, the CSV export, history and revert views all follow
  ``officers.scoping``; another borough's record is a 404 (or 403), never shown;
- **optimistic locking** (django-concurrency): a form whose version is stale is refused with an
  explanation and the user's typed values stay on screen; bulk actions check versions too;
- **history** (django-simple-history): who changed which fields when, and revert (scoped, and
  itself concurrency-checked);
- **publication**: draft, published, withdrawn; publishing records who and when, needs a published
  source, and follows ``officers.services.can_publish``; drafts can be previewed.
"""

import operator
import re
from collections.abc import Iterable
from functools import reduce
from typing import Any

from concurrency.admin import ConcurrencyActionMixin
from concurrency.exceptions import RecordModifiedError
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponseBase, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_m2m_reverse_field_name

from core.models import Publishable
from datasets.definitions import DATE, INTEGER, NUMBER, STRING, Column
from datasets.writers import python_csv_chunks
from officers.scoping import in_scope, is_editor, scope_queryset
from officers.services import PublicationRefused, check_publication_rules, publish, stamp_publication, withdraw

STALE_MESSAGE = (
    "Someone else saved this record after you opened it, so your changes have NOT been saved and nothing "
    "was overwritten. Your values are still in the form below. Open the latest version in a new tab, "
    "re-apply your changes there and save."
)


STALE_SELECTION = (
    "Nothing was changed: someone saved one or more of the selected records after you opened this list, "
    "or they are no longer in it. Reload the list, check the records and try again."
)
SELECTION_UNREADABLE = "The selection could not be read, so nothing was changed. Tick the records again and retry."
SELECT_ALL_REFUSED = (
    "Nothing was changed: \u201cselect all\u201d is only for downloading. Before changing a record the admin checks "
    "that nobody saved it since you saw it, and the records beyond this page were never shown to you. "
    "Select the records on this page instead."
)
# A selected row as the list posts it: "<id>,<version>", both positive integers that fit in 63 bits.
_SELECTED = re.compile(r"[1-9][0-9]{0,17},[0-9]{1,18}")


def _chosen_action(request: HttpRequest) -> str:
    """The action whose button was pressed (the list may show an action menu above and below)."""
    names = request.POST.getlist("action")
    index = request.POST.get("index", "0")
    position = int(index) if index.isdigit() and int(index) < len(names) else 0
    return names[position] if names else ""


def _column_type(field: models.Field) -> str:
    """The Table Schema type of a model field, as the CSV writer reads it: text is neutralised, numbers not."""
    if isinstance(field, models.CharField | models.TextField):
        return STRING
    if isinstance(field, models.DecimalField):
        return NUMBER
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return DATE
    return INTEGER if isinstance(field, models.IntegerField | models.ForeignKey) else "any"


def _version_field(model: type[models.Model]) -> models.Field | None:
    meta = getattr(model, "_concurrencymeta", None)
    return meta.field if meta is not None else None


class PortalAdminForm(forms.ModelForm):
    """Refuses a stale save (optimistic locking) and an unsourced or unpermitted publication.

    ``current_user`` is set on a per-request subclass by the admin (``bind_user``).
    """

    current_user = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self._check_version()
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()  # the instance now holds the submitted values: the rules read those
        self._check_publication()

    def _check_version(self) -> None:
        field = _version_field(self._meta.model)
        if field is None or field.name not in self.fields or self.instance.pk is None:
            return
        if field.name in self.errors:  # a tampered or missing version: treat it as stale
            del self.errors[field.name]
        version = self.cleaned_data.get(field.name)
        queryset = type(self.instance)._base_manager.filter(pk=self.instance.pk, **{field.attname: version})
        if connections[router.db_for_write(type(self.instance))].in_atomic_block:
            queryset = queryset.select_for_update()  # hold the row until this save commits
        if not version or not list(queryset.values_list("pk", flat=True)):
            self.add_error(None, ValidationError(STALE_MESSAGE, code="stale"))
            self.stale_fields = self._changed_since(version)

    def _changed_since(self, version: int | None) -> list[str]:
        """Names of the fields someone else changed since the version this form was opened at."""
        history = getattr(type(self.instance), "history", None)
        if history is None or not version:
            return []
        pk_name = type(self.instance)._meta.pk.attname
        opened = history.filter(**{pk_name: self.instance.pk, "version": version}).order_by("history_date").last()
        latest = history.filter(**{pk_name: self.instance.pk}).order_by("history_date").last()
        if opened is None or latest is None or opened.pk == latest.pk:
            return []
        delta = latest.diff_against(opened, excluded_fields=["version"])
        return [str(capfirst(type(self.instance)._meta.get_field(name).verbose_name)) for name in delta.changed_fields]

    def _check_publication(self) -> None:
        if not isinstance(self.instance, Publishable) or "publication_status" not in self.fields:
            return
        sources = self.cleaned_data.get("sources") if "sources" in self.fields else None
        try:
            check_publication_rules(record=self.instance, by=self.current_user, sources=sources)
        except PublicationRefused as error:
            self.add_error("publication_status", error)
        except ValidationError as error:
            self.add_error(next((name for name in ("sources", "source") if name in self.fields), None), error)


def bind_user(form_class: type[forms.BaseForm], user: Any) -> type[forms.BaseForm]:
    return type(form_class.__name__, (form_class,), {"current_user": user})


class ScopedChoicesMixin:
    """Foreign-key and many-to-many choices (including autocomplete widgets) limited to what the user
    may see, by asking the related model's admin for its scoped queryset."""

    def _scoped_related(self, db_field: models.Field, request: HttpRequest) -> models.QuerySet | None:
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if related_admin is None:
            queryset = db_field.remote_field.model._default_manager.all()
            return scope_queryset(queryset, request.user)
        return related_admin.get_queryset(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs:
            kwargs["queryset"] = self._scoped_related(db_field, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and db_field.remote_field.through._meta.auto_created:
            kwargs["queryset"] = self._scoped_related(db_field, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.URLField):
            kwargs.setdefault("assume_scheme", "https")  # a bare "example.org" becomes https://example.org
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        help_text = getattr(self, "help_texts", {}).get(db_field.name)
        if formfield is not None and help_text:
            formfield.help_text = help_text
        return formfield


class PortalModelAdmin(ScopedChoicesMixin, ConcurrencyActionMixin, SimpleHistoryAdmin):
    """Base admin for every portal model. Subclasses set the usual options plus:

    ``officer_readonly_fields``: fields a borough officer sees but never changes (codes, names);
    ``officer_may_change(request, obj)`` / ``officer_may_delete(request, obj)``: extra per-record rules.
    """

    form = PortalAdminForm
    officer_readonly_fields: Iterable[str] = ()
    help_texts: dict[str, str] = {}
    preview_template = "admin/portal_preview.html"
    list_per_page = 50

    # ---- scoping -----------------------------------------------------------------------------

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

    def get_form(self, request, obj=None, change=False, **kwargs):
        return bind_user(super().get_form(request, obj, change, **kwargs), request.user)

    # ---- saving ------------------------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        if change and not form.has_changed() and not getattr(request, "_portal_reverting", False):
            return  # nothing typed into this record (an inline may still change): no empty history entry
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
        adminform = context.get("adminform")
        stale = getattr(getattr(adminform, "form", None), "stale_fields", None)
        if stale is not None and obj is not None:
            changed = f" They changed: {', '.join(stale)}." if stale else ""
            self.message_user(
                request,
                format_html(
                    'Not saved: someone else saved this record after you opened it.{} <a href="{}" target="_blank" '
                    'rel="noopener">Open the latest version in a new tab</a>.',
                    changed,
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[obj.pk],
                        current_app=self.admin_site.name,
                    ),
                ),
                messages.ERROR,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # ---- actions -----------------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not is_editor(request.user):
            actions.pop("delete_selected", None)  # officers delete one record at a time, each checked
        if not issubclass(self.model, Publishable):
            actions.pop("publish_selected", None)
            actions.pop("withdraw_selected", None)
        return actions

    def _publication_action(self, request, queryset, service, verb: str) -> None:
        done, refused = 0, []
        for record in queryset:
            if not self.has_change_permission(request, record):
                refused.append(f"{record} (not yours to change)")
                continue
            try:
                service(record=record, by=request.user)
            except ValidationError as error:
                refused.append(f"{record} ({' '.join(error.messages)})")
            else:
                done += 1
        if done:
            self.message_user(request, f"{verb} {done} record(s).", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"Not {verb.lower()}: {line}", messages.ERROR)

    @admin.action(description="Publish the selected records", permissions=["change"])
    def publish_selected(self, request, queryset):
        self._publication_action(request, queryset, publish, "Published")

    @admin.action(description="Withdraw the selected records from the public site", permissions=["change"])
    def withdraw_selected(self, request, queryset):
        self._publication_action(request, queryset, withdraw, "Withdrew")

    @admin.action(description="Download the selected records as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """Through the public exports' formula-safe writer: a cell such as ``=HYPERLINK(...)`` is
        neutralised, numbers stay numbers."""
        fields = [field for field in self.model._meta.concrete_fields if field.name != "version"]
        columns = [Column(name=field.name, type=_column_type(field), description="", example="") for field in fields]
        rows = queryset.order_by("pk").values_list(*(field.attname for field in fields)).iterator()
        response = StreamingHttpResponse(python_csv_chunks(columns, rows), content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}-{stamp}.csv"'
        return response

    actions = ["publish_selected", "withdraw_selected", "export_csv"]
    delete_selected_confirmation_template = "concurrency/delete_selected_confirmation.html"  # posts versions too
    read_only_actions = frozenset({"export_csv"})

    def response_action(self, request, queryset):
        """Runs a list action on the selected records, each checked against the version the list showed.

        A selection that cannot be read (tampered with, or longer than any list page) is refused with a
        message, and so is "select all" for an action that changes records: the check compares each
        record with the version the user saw, and records beyond the page were never shown.
        """
        actions = self.get_actions(request)
        name = _chosen_action(request)
        if name not in actions:
            self.message_user(request, "Choose an action from the list.", messages.WARNING)
            return HttpResponseRedirect(".")
        selection = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        limit = max(self.list_per_page, self.list_max_show_all)
        if len(selection) > limit or not all(_SELECTED.fullmatch(value) for value in selection):
            self.message_user(request, SELECTION_UNREADABLE, messages.ERROR)
            return HttpResponseRedirect(".")
        if request.POST.get("select_across") not in (None, "", "0"):
            if name not in self.read_only_actions:
                self.message_user(request, SELECT_ALL_REFUSED, messages.ERROR)
                return HttpResponseRedirect(".")
        else:
            version = _version_field(self.model).attname
            pairs = {tuple(value.split(",")) for value in selection}
            queryset = queryset.filter(reduce(operator.or_, (Q(pk=pk, **{version: v}) for pk, v in pairs)))
            if queryset.count() != len(pairs):
                self.message_user(request, STALE_SELECTION, messages.ERROR)
                return HttpResponseRedirect(".")
        response = actions[name][0](self, request, queryset)
        return response if isinstance(response, HttpResponseBase) else HttpResponseRedirect(".")

    # ---- history -----------------------------------------------------------------------------

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        """As simple_history's, without the version number (it changes on every save and means nothing to people)."""
        previous = None
        for current in historical_records:
            if previous is not None:
                delta = previous.diff_against(
                    current, foreign_keys_are_objs=foreign_keys_are_objs, excluded_fields=["version"]
                )
                helper = self.get_historical_record_context_helper(request, previous)
                previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def history_view(self, request, object_id, extra_context=None):
        if not is_editor(request.user):
            self.get_object(request, unquote(object_id))  # 404 for another borough's record
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Revert: the form shows the record as it was; saving it is an ordinary, checked change.

        Unlike simple_history's view, this one is scoped, restores many-to-many values from the
        historical record, keeps fields the user may not change at their current values, and
        carries the record's *current* version so that a revert is itself concurrency-checked.
        """
        request.current_app = self.admin_site.name
        current = self.get_object(request, unquote(object_id))  # 404 if gone or not in scope
        history_model = self.model.history.model
        record = get_object_or_404(
            history_model, **{self.opts.pk.attname: current.pk, "history_id": unquote(version_id)}
        )
        if not self.has_change_permission(request, current):
            raise PermissionDenied
        obj = record.instance
        obj._state.adding = False
        readonly = set(self.get_readonly_fields(request, current))
        for field in self.opts.concrete_fields:
            if field.name in readonly or not field.editable:
                setattr(obj, field.attname, getattr(current, field.attname))
        version = _version_field(self.model)
        if version is not None:
            setattr(obj, version.attname, getattr(current, version.attname))
        initial = {}
        for field in getattr(record, "_history_m2m_fields", []):
            reverse_name = get_m2m_reverse_field_name(field)
            initial[field.name] = [getattr(row, f"{reverse_name}_id") for row in getattr(record, field.name).all()]

        form_class = self.get_form(request, obj, change=True)
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, instance=obj, initial=initial)
            if form.is_valid():
                request._portal_reverting = True  # the form is unchanged from the old version: save it anyway
                new_object = self.save_form(request, form, change=True)
                new_object._change_reason = f"Reverted to the version of {record.history_date:%d %B %Y %H:%M}"
                self.save_model(request, new_object, form, change=True)
                form.save_m2m()
                self.log_change(request, new_object, self.construct_change_message(request, form, []))
                return self.response_change(request, new_object)
        else:
            form = form_class(instance=obj, initial=initial)

        admin_form = helpers.AdminForm(
            form,
            self.get_fieldsets(request, obj),
            self.get_prepopulated_fields(request, obj),
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        url_name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": f"Revert {obj}",
            "subtitle": f"As it was on {timezone.localtime(record.history_date):%d %B %Y at %H:%M}",
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "media": mark_safe(self.media + admin_form.media),
            "errors": helpers.AdminErrorList(form, []),
            "app_label": self.opts.app_label,
            "original_opts": self.opts,
            "changelist_url": reverse(f"{url_name}_changelist"),
            "change_url": reverse(f"{url_name}_change", args=(obj.pk,)),
            "history_url": reverse(f"{url_name}_history", args=(obj.pk,)),
            "change_history": False,
            "revert_disabled": False,
            "add": False,
            "change": True,
            "has_add_permission": self.has_add_permission(request),
            "has_view_permission": True,
            "has_change_permission": True,
            "has_delete_permission": self.has_delete_permission(request, current),
            "has_file_field": True,
            "has_absolute_url": False,
            "form_url": "",
            "opts": history_model._meta,
            "content_type_id": self.content_type_model_cls.objects.get_for_model(self.model).id,
            "save_as": self.save_as,
            "save_on_top": self.save_on_top,
            "root_path": getattr(self.admin_site, "root_path", None),
            **(extra_context or {}),
        }
        if form.errors and getattr(form, "stale_fields", None) is not None:
            self.message_user(request, STALE_MESSAGE, messages.ERROR)
        return self.render_history_view(request, self.object_history_form_template, context)

    # ---- preview -----------------------------------------------------------------------------

    def get_urls(self):
        urls = super().get_urls()
        if not issubclass(self.model, Publishable):
            return urls
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        return [
            path("<path:object_id>/preview/", self.admin_site.admin_view(self.preview_view), name=name),
            *urls,
        ]

    def preview_view(self, request, object_id):
        """The record as the public would see it once published; for staff who may view it."""
        obj = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, obj):
            raise PermissionDenied
        rows = []
        for field in self.opts.concrete_fields:
            if field.name in {"id", "version", "slug"}:
                continue
            if field.choices:
                value = getattr(obj, f"get_{field.name}_display")()
            elif field.is_relation:
                value = getattr(obj, field.name)
            else:
                value = field.value_from_object(obj)
            rows.append((capfirst(field.verbose_name), value, isinstance(field, models.TextField)))
        sources = list(obj.sources.all()) if hasattr(obj, "sources") else []
        context = {
            "record": obj,
            "model_name": self.opts.verbose_name,
            "rows": rows,
            "sources": sources,
            "is_published": obj.is_published,
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[obj.pk],
                current_app=self.admin_site.name,
            ),
        }
        return TemplateResponse(request, self.preview_template, context)

    def get_view_on_site_url(self, obj=None):
        if obj is not None and isinstance(obj, Publishable) and not obj.is_published:
            return reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_preview",
                args=[obj.pk],
                current_app=self.admin_site.name,
            )
        return super().get_view_on_site_url(obj)

    @admin.display(description="preview")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_preview", args=[obj.pk])
        return format_html('<a href="{}">Preview</a>', url)


class PortalInlineMixin(ScopedChoicesMixin):
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
