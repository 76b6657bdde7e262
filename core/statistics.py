"""Planner statistics after a bulk load.

A database that has just been filled has no statistics until autovacuum gets round to it (never, where
autovacuum is off): PostgreSQL then plans a million-row export as if the tables were empty, and did not
send its first byte in ten minutes (issue 14). Whatever fills tables in bulk calls this afterwards.
"""

from collections.abc import Iterable

from django.db import connections, models


def tables_of(models_: Iterable[type[models.Model]]) -> list[str]:
    """The tables of ``models_`` and of their many-to-many link tables, sorted, once each."""
    tables = set()
    for model in models_:
        tables.add(model._meta.db_table)
        tables.update(field.remote_field.through._meta.db_table for field in model._meta.local_many_to_many)
    return sorted(tables)


def refresh_statistics(models_: Iterable[type[models.Model]], *, using: str = "default") -> list[str]:
    """``ANALYZE`` the tables of ``models_`` (PostgreSQL), or ``ANALYZE`` them and ``PRAGMA optimize``
    (SQLite); returns the tables analysed."""
    connection = connections[using]
    tables = tables_of(models_)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(table) for table in tables))
        elif connection.vendor == "sqlite":
            for table in tables:
                cursor.execute("ANALYZE " + connection.ops.quote_name(table))
            cursor.execute("PRAGMA optimize")
    return tables
