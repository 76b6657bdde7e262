"""The two admin roles as groups with their permissions. Run again by any later migration that needs
to re-grant (e.g. after a new model): ``grant_role_permissions`` is idempotent."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS_GROUP = "Portal editors"
OFFICERS_GROUP = "Borough officers"

# Editors: every permission of these apps (including the history models and the axes lock-out records).
EDITOR_APPS = ["sources", "boroughs", "pilots", "officers", "auth", "axes", "admin"]

# Borough officers: only these; every object they reach is further scoped to their authorities.
OFFICER_PERMISSIONS = [
    ("boroughs", "view_localauthority"),
    ("boroughs", "change_localauthority"),
    ("boroughs", "view_placepartnership"),
    ("boroughs", "change_placepartnership"),
    ("pilots", "view_pilot"),
    ("pilots", "view_pilotparticipant"),
    ("pilots", "view_pilotupdate"),
    ("pilots", "add_pilotupdate"),
    ("pilots", "change_pilotupdate"),
    ("pilots", "delete_pilotupdate"),
    ("sources", "view_source"),
    ("sources", "add_source"),
    ("sources", "change_source"),
]


def grant_role_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now so they can be granted.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    editors.permissions.add(*Permission.objects.filter(content_type__app_label__in=EDITOR_APPS))

    officers, _ = Group.objects.get_or_create(name=OFFICERS_GROUP)
    wanted = [
        Permission.objects.get(content_type__app_label=app_label, codename=codename)
        for app_label, codename in OFFICER_PERMISSIONS
    ]
    officers.permissions.set(wanted)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS_GROUP, OFFICERS_GROUP]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("officers", "0001_initial"),
        ("sources", "0001_initial"),
        ("boroughs", "0001_initial"),
        ("pilots", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(grant_role_permissions, remove_groups)]
