"""Shared by deploy/backup.py and deploy/restore.py: Django's settings (DATABASES, from DATABASE_URL)
and the folder backups go to. Run with the venv's python from the project folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKUPS = ROOT / "run" / "backups"


def database() -> dict:
    """The default database's settings, as the app servers see them."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devolution_portal.settings.local")
    import django
    from django.conf import settings

    django.setup()
    return settings.DATABASES["default"]


def pg_env(db: dict) -> dict:
    """libpq's environment for pg_dump/pg_restore/psql: no password on a command line."""
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    env["PGDATABASE"] = db["NAME"]
    return env


def is_postgres(db: dict) -> bool:
    return db["ENGINE"].endswith("postgresql")


def is_sqlite(db: dict) -> bool:
    return db["ENGINE"].endswith("sqlite3")
