"""make backup: a consistent copy of DATABASE_URL's database into run/backups/, while the site runs.

- PostgreSQL: ``pg_dump -Fc`` (one snapshot, compressed, restorable table by table) into
  ``run/backups/portal-<timestamp>.dump``.
- SQLite: the online backup API (``sqlite3.Connection.backup``, a consistent copy even while app
  servers write) into ``run/backups/portal-<timestamp>.sqlite3``.

    .venv/bin/python deploy/backup.py [--output PATH]

Prints the file's path. Backups are written with mode 600: they hold officers' accounts.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dbtools import BACKUPS, database, is_postgres, is_sqlite, pg_env


def backup(output: Path | None = None) -> Path:
    db = database()
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    if is_postgres(db):
        target = output or BACKUPS / f"portal-{stamp}.dump"
    elif is_sqlite(db):
        target = output or BACKUPS / f"portal-{stamp}.sqlite3"
    else:
        raise SystemExit(f"backup: no backup method for {db['ENGINE']}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    old_umask = os.umask(0o077)
    try:
        if is_postgres(db):
            subprocess.run(["pg_dump", "-Fc", "--no-owner", "-f", str(partial)], env=pg_env(db), check=True)
        else:
            source = sqlite3.connect(f"file:{db['NAME']}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            with copy:
                source.backup(copy)
            copy.close()
            source.close()
        partial.replace(target)  # only a finished backup gets the real name
    finally:
        os.umask(old_umask)
        partial.unlink(missing_ok=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, help="where to write (default run/backups/portal-<timestamp>.*)")
    print(backup(parser.parse_args().output))


if __name__ == "__main__":
    main()
