from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: publication state, partial dates, filter and history helpers, page caching
    and HTTP helpers. It imports no other app of the project; every other app may import it."""

    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core.signals import connect_page_cache_invalidation

        connect_page_cache_invalidation()
