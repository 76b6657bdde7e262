"""Reading the planner statistics a bulk load leaves behind, on either database."""

from django.db import connection


def analysed_tables() -> dict[str, object]:
    """When each table was last analysed (PostgreSQL), or whether SQLite holds statistics for it."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_stat_clear_snapshot()")  # read the statistics as they are now
            cursor.execute("SELECT relname, last_analyze FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
        else:
            cursor.execute("SELECT DISTINCT tbl, 1 FROM sqlite_stat1")
        return dict(cursor.fetchall())


def forget_statistics() -> object:
    """Start from a database without statistics (SQLite), or note the time (PostgreSQL)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT clock_timestamp()")
            return cursor.fetchone()[0]
        cursor.execute("ANALYZE")  # creates sqlite_stat1 if this database never had it
        cursor.execute("DELETE FROM sqlite_stat1")
        return None
