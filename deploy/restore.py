"""make restore FILE=...: a backup from deploy/backup.py into DATABASE_URL's database.

- PostgreSQL (``.dump``): ``pg_restore --no-owner --exit-on-error --single-transaction`` into the
  target database, so a failed restore leaves nothing behind.
- SQLite (``.sqlite3``): copied into place with the online backup API.

Refuses a target that already has tables unless ``--force`` (``make restore FORCE=1``): then the
target's tables are dropped first (PostgreSQL: the ``public`` schema is recreated; SQLite: the file is
replaced). Run ``manage.py migrate`` afterwards only when restoring an older backup into newer code.

    .venv/bin/python deploy/restore.py FILE [--force]
"""

from __future__ import annotations

import argparse
import sqlite3
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dbtools import database, is_postgres, is_sqlite, pg_env


def existing_tables(db: dict) -> list[str]:
    from django.db import connection

    with connection.cursor():
        return connection.introspection.table_names()


def restore(path: Path, force: bool = False) -> None:
    db = database()
    if not path.is_file():
        raise SystemExit(f"restore: no such file {path}")
    tables = existing_tables(db)
    if tables and not force:
        raise SystemExit(
            f"restore: the target database already has {len(tables)} tables; refusing to restore over it "
            "(FORCE=1 / --force drops them first)"
        )
    from django.db import connection

    connection.close()
    if is_postgres(db):
        if path.suffix != ".dump":
            raise SystemExit("restore: a PostgreSQL database takes a .dump from pg_dump -Fc")
        env = pg_env(db)
        if tables:
            subprocess.run(
                ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public"],
                env=env,
                check=True,
            )
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "-d", db["NAME"], str(path)],
            env=env,
            check=True,
        )
    elif is_sqlite(db):
        if path.suffix != ".sqlite3":
            raise SystemExit("restore: an SQLite database takes a .sqlite3 backup")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(db["NAME"])
        with target:
            source.backup(target)  # replaces every page of the target: its old tables are gone
        target.close()
        source.close()
    else:
        raise SystemExit(f"restore: no restore method for {db['ENGINE']}")
    print(f"restored {path} into {db['NAME']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--force", action="store_true", help="drop the target's tables first")
    args = parser.parse_args()
    restore(args.file, args.force)


if __name__ == "__main__":
    main()
