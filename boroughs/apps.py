from django.apps import AppConfig


class BoroughsConfig(AppConfig):
    """London's local authorities, integrated care systems and borough place partnerships."""

    name = "boroughs"
    verbose_name = "Boroughs, ICSs and places"
