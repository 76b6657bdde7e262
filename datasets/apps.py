from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    """Open data: each dataset defined once, and its CSV, JSON, dictionary and data package made from it."""

    name = "datasets"
    verbose_name = "Open data"
