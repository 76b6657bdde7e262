"""Portal editors read and delete problem reports; borough officers do not see them."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Portal editors"


def grant(apps, schema_editor):
    app_config = apps.get_app_config("feedback")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="feedback", codename__in=["view_problemreport", "delete_problemreport"]
        )
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for group in apps.get_model("auth", "Group").objects.filter(name=EDITORS_GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="feedback"))


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0001_problem_report"),
        ("officers", "0002_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
