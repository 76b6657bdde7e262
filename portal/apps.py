from django.apps import AppConfig


class PortalConfig(AppConfig):
    """Site-wide pieces that belong to no one model: home, search, static pages, the shared
    publication and partial-date rules, and loading the shipped data."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self) -> None:
        from portal.signals import connect_page_cache_invalidation

        connect_page_cache_invalidation()
