from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The public site, the top layer: every public page's view, the feeds, search, the sitemap,
    the London map, and loading the shipped data. Nothing else in the project imports it."""

    name = "portal"
    verbose_name = "Portal"
