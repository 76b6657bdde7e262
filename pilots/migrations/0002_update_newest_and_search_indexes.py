"""Indexes for the public pages at scale: the newest-first order of pilot updates, and full-text search."""

from django.db import migrations, models


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


def on_postgresql(sql: str):
    """Run ``sql`` on PostgreSQL only: SQLite has no GIN indexes (its search does not use them)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


# Full-text search: GIN indexes over the weighted vectors that the site search queries on PostgreSQL.
# The SQL is written out here, not built from the project's code, so a later change to the search
# cannot rewrite this migration.
CREATE_PILOT_SEARCH = (
    "CREATE INDEX search_pilots_gin ON pilots_pilot USING gin (("
    "setweight(to_tsvector('english', COALESCE(title, '')::text), 'A') || setweight(to_tsvector('english', COALESCE(summary, '')), 'B') || setweight(to_tsvector('english', COALESCE(aims, '')), 'C') || setweight(to_tsvector('english', COALESCE(theme, '')::text), 'C')"
    "))"
)
CREATE_UPDATE_SEARCH = (
    "CREATE INDEX search_updates_gin ON pilots_pilotupdate USING gin (("
    "setweight(to_tsvector('english', COALESCE(title, '')::text), 'A') || setweight(to_tsvector('english', COALESCE(body, '')), 'B') || setweight(to_tsvector('english', COALESCE(quotation, '')), 'C') || setweight(to_tsvector('english', COALESCE(quotation_by, '')::text), 'C')"
    "))"
)


class Migration(migrations.Migration):
    dependencies = [
        ("pilots", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_newest_first_index, remove_newest_first_index),
        migrations.RunPython(
            on_postgresql(CREATE_PILOT_SEARCH), on_postgresql("DROP INDEX IF EXISTS search_pilots_gin")
        ),
        migrations.RunPython(
            on_postgresql(CREATE_UPDATE_SEARCH), on_postgresql("DROP INDEX IF EXISTS search_updates_gin")
        ),
    ]
