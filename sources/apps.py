from django.apps import AppConfig


class SourcesConfig(AppConfig):
    """The texts the portal's facts come from, and the figures they state."""

    name = "sources"
    verbose_name = "Sources and key figures"
