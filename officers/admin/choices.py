"""Form fields in the admin: foreign-key and many-to-many choices (autocomplete included) limited to
what the user may see, web addresses completed to https, and each admin's help texts."""

from django.db import models
from django.http import HttpRequest

from officers.scoping import scope_queryset


class ScopedChoicesMixin:
    """Asks the related model's admin for its scoped queryset, so a pick-list never offers another
    borough's record."""

    help_texts: dict[str, str] = {}

    def _scoped_related(self, db_field: models.Field, request: HttpRequest) -> models.QuerySet:
        related_admin = self.admin_site._registry.get(db_field.remote_field.model)
        if related_admin is None:
            return scope_queryset(db_field.remote_field.model._default_manager.all(), request.user)
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
        if formfield is not None and db_field.name in self.help_texts:
            formfield.help_text = self.help_texts[db_field.name]
        return formfield
