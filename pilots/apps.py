from django.apps import AppConfig


class PilotsConfig(AppConfig):
    """The December 2015 devolution pilots, what happened to them since, and London-wide milestones."""

    name = "pilots"
    verbose_name = "Pilots and timeline"
