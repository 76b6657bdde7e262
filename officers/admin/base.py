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

import csv
from collections.abc import Iterable
from typing import Any

from concurrency.admin import ConcurrencyActionMixin
from concurrency.exceptions import RecordModifiedError
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models, router
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin
from simple_history.utils import get_m2m_reverse_field_name

from core.models import PublicationStatus, Publishable
from officers.scoping import in_scope, is_editor, scope_queryset
from officers.services import STATUS_CHANGE_MESSAGE, can_publish, check_publishable, mark_published, publish, withdraw

STALE_MESSAGE = (
    "Someone else saved this record after you opened it, so your changes have NOT been saved and nothing "
    "was overwritten. Your values are still in the form below. Open the latest version in a new tab, "
    "re-apply your changes there and save."
)


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
        self._check_publication(cleaned)
        return cleaned

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

    def _check_publication(self, cleaned: dict[str, Any]) -> None:
        if not isinstance(self.instance, Publishable) or "publication_status" not in self.fields:
            return
        new_status = cleaned.get("publication_status")
        old_status = self.initial.get("publication_status") if self.instance.pk else None
        if new_status != old_status and new_status in (PublicationStatus.PUBLISHED, PublicationStatus.WITHDRAWN):
            user = self.current_user
            if user is None or not can_publish(user=user, record=self.instance):
                if getattr(self.instance, "status_after", ""):
                    message = STATUS_CHANGE_MESSAGE
                else:
                    message = "You may save this as a draft; a portal editor will publish it."
                self.add_error("publication_status", message)
                return
        if new_status == PublicationStatus.PUBLISHED:
            sources = cleaned.get("sources") if "sources" in self.fields else None
            try:
                check_publishable(record=self.instance, sources=sources)
            except ValidationError as error:
                self.add_error("sources" if "sources" in self.fields else None, error)


def bind_user(form_class: type[forms.BaseForm], user: Any) -> type[forms.BaseForm]:
    return type(form_class.__name__, (form_class,), {"current_user": user})


def apply_publication(request: HttpRequest, form: forms.ModelForm) -> None:
    """When a form moves a record to 'published', record who and when."""
    instance = form.instance
    if not isinstance(instance, Publishable) or "publication_status" not in form.fields:
        return
    was = form.initial.get("publication_status") if instance.pk else None
    if instance.publication_status == PublicationStatus.PUBLISHED and was != PublicationStatus.PUBLISHED:
        mark_published(record=instance, by=request.user)


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
        apply_publication(request, form)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for inline_form in formset.forms:
            if inline_form.has_changed() and not formset._should_delete_form(inline_form):
                apply_publication(request, inline_form)
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
            except PermissionError:
                reason = STATUS_CHANGE_MESSAGE if getattr(record, "status_after", "") else "an editor must do this"
                refused.append(f"{record} ({reason})")
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
        fields = [
            field
            for field in self.model._meta.concrete_fields
            if field.name not in {"version"} and not field.name.startswith("_")
        ]
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        stamp = timezone.now().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{self.opts.model_name}-{stamp}.csv"'
        writer = csv.writer(response)
        writer.writerow([field.name for field in fields])
        for record in queryset:
            writer.writerow([field.value_from_object(record) for field in fields])
        return response

    actions = ["publish_selected", "withdraw_selected", "export_csv"]

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
