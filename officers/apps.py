from django.apps import AppConfig


class OfficersConfig(AppConfig):
    """Who may edit what: portal editors, and borough officers scoped to their own authorities."""

    name = "officers"
    verbose_name = "Officers and editors"
