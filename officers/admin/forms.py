"""The admin's forms: optimistic locking (django-concurrency) and the publishing rules, both checked
on the values being submitted; the same form serves the change page, the inlines and Revert."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.utils.text import capfirst
from simple_history.models import HistoricalChanges
from simple_history.utils import get_m2m_reverse_field_name

from core.models import Publishable
from officers.services import PublicationRefused, check_publication_rules

STALE_MESSAGE = (
    "Someone else saved this record after you opened it, so your changes have NOT been saved and nothing "
    "was overwritten. Your values are still in the form below. Open the latest version in a new tab, "
    "re-apply your changes there and save."
)


def version_field(model: type[models.Model]) -> models.Field | None:
    meta = getattr(model, "_concurrencymeta", None)
    return meta.field if meta is not None else None


class PortalAdminForm(forms.ModelForm):
    """Refuses a stale save (optimistic locking) and a publication the rules do not allow.

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
        field = version_field(self._meta.model)
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


def revert_form(
    form_class: type[PortalAdminForm], *, current: models.Model, record: HistoricalChanges
) -> type[PortalAdminForm]:
    """The change form opened on an old version (``record``) for Revert, saving it an ordinary change.

    Fields the form does not edit (codes an officer may not change, publication stamps) keep their
    current values; the version is the record's current one, so a revert is concurrency-checked;
    many-to-many values come from the old version too (simple_history's instance has none).
    """
    opts = type(current)._meta
    locked = version_field(type(current))
    m2m_initial = {
        field.name: [
            getattr(row, f"{get_m2m_reverse_field_name(field)}_id") for row in getattr(record, field.name).all()
        ]
        for field in getattr(record, "_history_m2m_fields", [])
    }

    class RevertForm(form_class):
        reverts_to = record

        def __init__(self, *args: Any, instance: models.Model, **kwargs: Any) -> None:
            for field in opts.concrete_fields:
                if field.name not in self.base_fields or field is locked:
                    setattr(instance, field.attname, getattr(current, field.attname))
            kwargs["initial"] = {**m2m_initial, **kwargs.get("initial", {})}
            super().__init__(*args, instance=instance, **kwargs)

    return RevertForm
