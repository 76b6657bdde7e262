"""SQLite search: one FTS5 index per kind of result (portal/search.py), each an external-content table
over the kind's own table (no copy of the text), kept up to date by triggers on insert, update and
delete, and filled from the rows already there. Porter stems ("integrating" finds "integration"),
accents folded. The tables and columns are written out here, not read from the project's code, so a
later change to the search cannot rewrite this migration. On PostgreSQL it does nothing (its search is
full text over GIN indexes)."""

from django.db import migrations

# FTS5 table -> (the table it indexes, its columns in the order of their bm25 weights in portal/search.py).
INDEXES = {
    "portal_search_pilots": ("pilots_pilot", ("title", "summary", "aims", "theme")),
    "portal_search_updates": ("pilots_pilotupdate", ("title", "body", "quotation", "quotation_by")),
    "portal_search_events": ("pilots_timelineevent", ("title", "description", "note")),
    "portal_search_boroughs": ("boroughs_localauthority", ("name", "gss_code", "description")),
    "portal_search_ics": (
        "boroughs_integratedcaresystem",
        ("name", "code", "icb_ods_code", "icb_gss_code", "icb_name", "earlier_partnership_name", "description"),
    ),
    "portal_search_places": ("boroughs_placepartnership", ("name", "description")),
    "portal_search_glossary": ("sources_glossaryterm", ("term", "abbreviation", "definition")),
    "portal_search_sources": ("sources_source", ("title", "summary", "author", "publisher")),
}


def create_statements(fts: str, table: str, columns: tuple[str, ...]) -> list[str]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{column}" for column in columns)
    old = ", ".join(f"old.{column}" for column in columns)
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5({names}, content='{table}', content_rowid='id', "
        "tokenize='porter unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_update AFTER UPDATE ON {table} BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for fts, (table, columns) in INDEXES.items():
        for statement in create_statements(fts, table, columns):
            schema_editor.execute(statement)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    for fts in INDEXES:
        for trigger in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {fts}_{trigger}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {fts}")


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_postgresql_search"),
    ]

    operations = [migrations.RunPython(create, drop)]
