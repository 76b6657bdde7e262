"""Portal editors may see which staff have an authenticator app set up and delete one (when an officer
loses their phone), never see its key (OTP_ADMIN_HIDE_SENSITIVE_DATA)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = ["view_totpdevice", "delete_totpdevice"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("otp_totp")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.get(name="Portal editors")
    editors.permissions.add(*Permission.objects.filter(content_type__app_label="otp_totp", codename__in=PERMISSIONS))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors = Group.objects.filter(name="Portal editors").first()
    if editors is not None:
        editors.permissions.remove(
            *Permission.objects.filter(content_type__app_label="otp_totp", codename__in=PERMISSIONS)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("officers", "0002_groups"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
