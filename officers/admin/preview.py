"""Staff preview: a record as the public would see it once published, for anyone who may view it;
"view on site" of an unpublished record goes here."""

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst

from core.models import Publishable


class PreviewMixin:
    preview_template = "admin/portal_preview.html"

    def get_urls(self):
        urls = super().get_urls()
        if not issubclass(self.model, Publishable):
            return urls
        name = f"{self.opts.app_label}_{self.opts.model_name}_preview"
        return [path("<path:object_id>/preview/", self.admin_site.admin_view(self.preview_view), name=name), *urls]

    def _preview_url(self, obj: models.Model) -> str:
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_preview"
        return reverse(name, args=[obj.pk])

    def preview_view(self, request, object_id):
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
        context = {
            "record": obj,
            "model_name": self.opts.verbose_name,
            "rows": rows,
            "sources": list(obj.sources.all()) if hasattr(obj, "sources") else [],
            "is_published": obj.is_published,
            "change_url": reverse(
                f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk]
            ),
        }
        return TemplateResponse(request, self.preview_template, context)

    def get_view_on_site_url(self, obj=None):
        if obj is not None and isinstance(obj, Publishable) and not obj.is_published:
            return self._preview_url(obj)
        return super().get_view_on_site_url(obj)

    @admin.display(description="preview")
    def preview_link(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html('<a href="{}">Preview</a>', self._preview_url(obj))
