from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OfficersConfig(AppConfig):
    """Who may edit what: portal editors, and borough officers scoped to their own authorities."""

    name = "officers"
    verbose_name = "Officers and editors"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from officers.review import PROPOSABLE, close_when_no_longer_a_draft, forget_deleted_record

        for model in PROPOSABLE:
            label = model._meta.label
            post_save.connect(close_when_no_longer_a_draft, sender=model, dispatch_uid=f"proposals-save-{label}")
            post_delete.connect(forget_deleted_record, sender=model, dispatch_uid=f"proposals-delete-{label}")


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin app with the portal's admin site (``officers.sites.PortalAdminSite``) as ``admin.site``."""

    default = False  # "officers" itself is OfficersConfig
    default_site = "officers.sites.PortalAdminSite"
