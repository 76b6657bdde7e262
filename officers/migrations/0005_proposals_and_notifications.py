"""The review queue's proposals and the emails it sends. Editors get every permission of both; borough
officers may view the emails sent to them (the admin shows them only their own) and nothing of the queue.

Permissions are only added here, never set anew: 0002's ``grant_role_permissions`` sets the officers'
list to its own, which would take away what later migrations of other apps (feedback 0003) grant them."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models
import django.db.models.deletion
import django.utils.timezone

EDITORS_GROUP = "Portal editors"
OFFICERS_GROUP = "Borough officers"
NEW_MODELS = ["proposal", "sentnotification"]
OFFICER_PERMISSIONS = ["view_sentnotification"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("officers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    of_new_models = Permission.objects.filter(content_type__app_label="officers", content_type__model__in=NEW_MODELS)
    Group.objects.get_or_create(name=EDITORS_GROUP)[0].permissions.add(*of_new_models)
    officers = Group.objects.get_or_create(name=OFFICERS_GROUP)[0]
    officers.permissions.add(*of_new_models.filter(codename__in=OFFICER_PERMISSIONS))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    of_new_models = Permission.objects.filter(content_type__app_label="officers", content_type__model__in=NEW_MODELS)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=[EDITORS_GROUP, OFFICERS_GROUP]):
        group.permissions.remove(*of_new_models)


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("officers", "0004_grant_glossary_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Proposal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("object_id", models.PositiveBigIntegerField(verbose_name="record id")),
                (
                    "proposed_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="proposed at"),
                ),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("awaiting", "Awaiting an editor"),
                            ("returned", "Returned for changes"),
                            ("published", "Published"),
                            ("withdrawn", "Withdrawn: published or withdrawn outside the queue"),
                        ],
                        db_index=True,
                        default="awaiting",
                        max_length=10,
                    ),
                ),
                ("reason", models.TextField(blank=True, verbose_name="reason for returning it")),
                ("decided_at", models.DateTimeField(blank=True, null=True, verbose_name="decided at")),
                (
                    "content_type",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        to="contenttypes.contenttype",
                        verbose_name="kind of record",
                    ),
                ),
                (
                    "decided_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="decided by",
                    ),
                ),
                (
                    "proposed_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="proposed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "proposal for publication",
                "verbose_name_plural": "review queue",
                "ordering": ["proposed_at", "pk"],
            },
        ),
        migrations.CreateModel(
            name="SentNotification",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "event",
                    models.CharField(
                        choices=[
                            ("proposed", "Proposed for publication"),
                            ("returned", "Returned for changes"),
                            ("published", "Published"),
                        ],
                        max_length=10,
                    ),
                ),
                ("address", models.EmailField(max_length=254, verbose_name="sent to")),
                ("subject", models.CharField(max_length=255)),
                ("body", models.TextField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="written at")),
                ("sent_at", models.DateTimeField(blank=True, null=True, verbose_name="sent at")),
                ("failure", models.TextField(blank=True, verbose_name="why sending failed")),
                (
                    "proposal",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notifications",
                        to="officers.proposal",
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "verbose_name": "email notification",
                "verbose_name_plural": "email notifications",
                "ordering": ["-created_at", "-pk"],
            },
        ),
        migrations.AddIndex(
            model_name="proposal",
            index=models.Index(fields=["content_type", "object_id"], name="proposal_record"),
        ),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.UniqueConstraint(
                condition=models.Q(("state", "awaiting")),
                fields=("content_type", "object_id"),
                name="proposal_one_awaiting_per_record",
            ),
        ),
        migrations.AddConstraint(
            model_name="proposal",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("state", "returned"), _negated=True),
                    models.Q(("reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="proposal_returned_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="sentnotification",
            constraint=models.UniqueConstraint(
                fields=("proposal", "event", "recipient"), name="notification_once_per_event"
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
