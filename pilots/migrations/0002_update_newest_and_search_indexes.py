"""Indexes for the public pages at scale: the newest-first order of pilot updates, and full-text search."""

from django.db import migrations, models

from portal.search import add_search_index


def newest_first_index(vendor: str) -> models.Index:
    """Published updates newest first, undated last (home page, feeds, borough pages), read in index
    order instead of sorting every update. SQLite sorts NULL first ascending, so last descending, and
    has no NULLS LAST in an index; PostgreSQL needs it said."""
    happened_on = (
        models.F("happened_on").desc(nulls_last=True) if vendor == "postgresql" else models.F("happened_on").desc()
    )
    return models.Index("publication_status", happened_on, models.F("id").desc(), name="pilotupdate_pub_newest")


def add_newest_first_index(apps, schema_editor):
    schema_editor.add_index(
        apps.get_model("pilots", "PilotUpdate"), newest_first_index(schema_editor.connection.vendor)
    )


def remove_newest_first_index(apps, schema_editor):
    schema_editor.remove_index(
        apps.get_model("pilots", "PilotUpdate"), newest_first_index(schema_editor.connection.vendor)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_newest_first_index, remove_newest_first_index),
        # Full-text search: GIN indexes over the same weighted vectors portal.search queries (PostgreSQL only).
        migrations.RunPython(*add_search_index("pilots", "Pilot", "pilots")),
        migrations.RunPython(*add_search_index("pilots", "PilotUpdate", "updates")),
    ]
