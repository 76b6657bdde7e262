"""Stored pages go stale the moment any record they could show changes."""

from django.apps import apps
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.caching import invalidate_cached_pages

CONTENT_APPS = ("sources", "boroughs", "pilots")


def _record_changed(sender, using, **kwargs) -> None:
    invalidate_cached_pages(using)


def connect_page_cache_invalidation() -> None:
    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            post_save.connect(_record_changed, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}")
            post_delete.connect(_record_changed, sender=model, dispatch_uid=f"page-cache-delete-{model._meta.label}")
    m2m_changed.connect(_record_changed, dispatch_uid="page-cache-m2m")
