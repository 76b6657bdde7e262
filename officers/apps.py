from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OfficersConfig(AppConfig):
    """Who may edit what: portal editors, and borough officers scoped to their own authorities."""

    name = "officers"
    verbose_name = "Officers and editors"


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the portal's admin site (``officers.sites.PortalAdminSite``) as ``admin.site``."""

    default = False  # "officers" itself is OfficersConfig
    default_site = "officers.sites.PortalAdminSite"
