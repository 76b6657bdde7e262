"""Problem reports are triaged: a status (new, in hand, closed), an internal note, a version for locking and
a history of who changed them. Editors may now change reports; borough officers see and change those about
their borough's pages (the admin scopes them: officers.scoping)."""

from django.contrib.auth.management import create_permissions
import concurrency.fields
import django.db.models.deletion
import simple_history.models
from django.conf import settings
from django.db import migrations, models


EDITORS_GROUP = "Portal editors"
OFFICERS_GROUP = "Borough officers"
EDITOR_PERMISSIONS = ["view_problemreport", "change_problemreport", "delete_problemreport"]
OFFICER_PERMISSIONS = ["view_problemreport", "change_problemreport"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("feedback")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ((EDITORS_GROUP, EDITOR_PERMISSIONS), (OFFICERS_GROUP, OFFICER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="feedback", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    change = Permission.objects.filter(content_type__app_label="feedback", codename="change_problemreport")
    for group in apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS_GROUP, OFFICERS_GROUP]):
        group.permissions.remove(*change)
    for group in apps.get_model("auth", "Group").objects.filter(name=OFFICERS_GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="feedback"))


class Migration(migrations.Migration):
    dependencies = [
        ("boroughs", "0002_slugs_never_formulas"),
        ("feedback", "0002_editor_permissions"),
        # After the last officers migration that sets the officers' permissions anew (0002's
        # grant_role_permissions, run again by 0004), which would otherwise take these away.
        ("officers", "0004_grant_glossary_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="problemreport",
            name="note",
            field=models.TextField(
                blank=True,
                help_text="For the portal's staff only: what was done or who is dealing with it. Never shown to the public.",
                verbose_name="internal note",
            ),
        ),
        migrations.AddField(
            model_name="problemreport",
            name="status",
            field=models.CharField(
                choices=[("new", "New"), ("in_hand", "In hand"), ("closed", "Closed")],
                db_index=True,
                default="new",
                help_text="New: nobody has looked at it yet. In hand: someone is dealing with it. Closed: dealt with.",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="problemreport",
            name="version",
            field=concurrency.fields.IntegerVersionField(default=0, help_text="record revision number"),
        ),
        migrations.CreateModel(
            name="HistoricalProblemReport",
            fields=[
                ("id", models.BigIntegerField(auto_created=True, blank=True, db_index=True, verbose_name="ID")),
                ("page", models.CharField(help_text="The address of the page, on this site.", max_length=500)),
                ("received_at", models.DateTimeField(blank=True, db_index=True, editable=False)),
                (
                    "status",
                    models.CharField(
                        choices=[("new", "New"), ("in_hand", "In hand"), ("closed", "Closed")],
                        db_index=True,
                        default="new",
                        help_text="New: nobody has looked at it yet. In hand: someone is dealing with it. Closed: dealt with.",
                        max_length=10,
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        help_text="For the portal's staff only: what was done or who is dealing with it. Never shown to the public.",
                        verbose_name="internal note",
                    ),
                ),
                ("version", concurrency.fields.IntegerVersionField(default=0, help_text="record revision number")),
                ("history_id", models.AutoField(primary_key=True, serialize=False)),
                ("history_date", models.DateTimeField(db_index=True)),
                ("history_change_reason", models.CharField(max_length=100, null=True)),
                (
                    "history_type",
                    models.CharField(choices=[("+", "Created"), ("~", "Changed"), ("-", "Deleted")], max_length=1),
                ),
                (
                    "authority",
                    models.ForeignKey(
                        blank=True,
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="boroughs.localauthority",
                        verbose_name="borough of the page",
                    ),
                ),
                (
                    "history_user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "historical problem report",
                "verbose_name_plural": "historical problem reports",
                "ordering": ("-history_date", "-history_id"),
                "get_latest_by": ("history_date", "history_id"),
            },
            bases=(simple_history.models.HistoricalChanges, models.Model),
        ),
        migrations.RunPython(grant, revoke),
    ]
