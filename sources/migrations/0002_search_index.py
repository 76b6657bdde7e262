# Full-text search: a GIN index over the weighted vector that the site search queries on PostgreSQL
# (A: title, B: summary, C: author and publisher). The SQL is written out here, not built from the
# project's code, so a later change to the search cannot rewrite this migration.

from django.db import migrations


def on_postgresql(sql: str):
    """Run ``sql`` on PostgreSQL only: SQLite has no GIN indexes (its search does not use them)."""

    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


CREATE = (
    "CREATE INDEX search_sources_gin ON sources_source USING gin (("
    "setweight(to_tsvector('english', COALESCE(title, '')::text), 'A') || setweight(to_tsvector('english', COALESCE(summary, '')), 'B') || setweight(to_tsvector('english', COALESCE(author, '')::text), 'C') || setweight(to_tsvector('english', COALESCE(publisher, '')::text), 'C')"
    "))"
)
DROP = "DROP INDEX IF EXISTS search_sources_gin"


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(on_postgresql(CREATE), on_postgresql(DROP)),
    ]
