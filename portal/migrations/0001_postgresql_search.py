"""PostgreSQL search: the pg_trgm extension (typo-tolerant matching of short names, portal/search.py) and
a GIN index over the timeline events' weighted full-text vector. The SQL is written out here, not built
from the project's code, so a later change to the search cannot rewrite this migration. On SQLite
every operation here does nothing (its search is 0002's FTS5 index)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def on_postgresql(sql: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


CREATE_EVENT_SEARCH = (
    "CREATE INDEX search_events_gin ON pilots_timelineevent USING gin (("
    "setweight(to_tsvector('english', COALESCE(title, '')::text), 'A') || setweight(to_tsvector('english', COALESCE(description, '')), 'B') || setweight(to_tsvector('english', COALESCE(note, '')), 'C')"
    "))"
)


class Migration(migrations.Migration):
    # After every migration that rebuilds the tables searched (SQLite rebuilds a table to change a
    # constraint, dropping its triggers; 0002 puts the FTS5 triggers on them).
    dependencies = [
        ("boroughs", "0002_slugs_never_formulas"),
        ("pilots", "0005_timeline_entry"),
        ("sources", "0004_slugs_never_formulas"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(
            on_postgresql(CREATE_EVENT_SEARCH), on_postgresql("DROP INDEX IF EXISTS search_events_gin")
        ),
    ]
