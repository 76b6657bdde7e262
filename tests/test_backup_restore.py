"""make backup then make restore into an empty database gives back the same data: every export byte
for byte (each dataset's CSV and the members of all.zip) and the same edit-history row counts. Runs on
the engine DATABASE_URL names (CI: SQLite and PostgreSQL), on databases of its own, through the same
scripts as the make targets."""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

SNAPSHOT = r"""
import hashlib, io, json, zipfile
import django
django.setup()
from django.apps import apps
from django.test import Client
client = Client()
out = {"csv": {}, "zip": {}, "history": {}}
archive = zipfile.ZipFile(io.BytesIO(client.get("/data/all.zip").getvalue()))
for name in sorted(archive.namelist()):
    data = archive.read(name)
    if name == "datapackage.json":  # says when it was made: compare everything else
        package = json.loads(data)
        package.pop("created", None)
        data = json.dumps(package, sort_keys=True).encode()
    out["zip"][name] = hashlib.sha256(data).hexdigest()
    if name.endswith(".csv"):
        response = client.get("/data/" + name)
        assert response.status_code == 200, (name, response.status_code)
        out["csv"][name] = hashlib.sha256(response.getvalue()).hexdigest()
for model in apps.get_models():
    if model.__name__.startswith("Historical"):
        out["history"][model._meta.label] = model.objects.count()
print(json.dumps(out))
"""

EDIT = r"""
import django
django.setup()
from boroughs.models import LocalAuthority
record = LocalAuthority.objects.get(slug="hackney")
record.description += " Edited before the backup."
record.save()
"""


def run(args, url, **kwargs):
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "devolution_portal.settings.test"}
    env.pop("DATABASE_REPLICA_URL", None)
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def python(url, *args):
    return run([sys.executable, *args], url)


@pytest.fixture
def databases(tmp_path):
    """A source and an empty target database on the current engine."""
    current = os.environ.get("DATABASE_URL", "")
    if current.startswith(("postgres://", "postgresql://")):
        import psycopg2

        parsed = dj_database_url.parse(current)
        server = {k: parsed[k] for k in ("HOST", "PORT", "USER", "PASSWORD") if parsed.get(k)}
        suffix = uuid.uuid4().hex[:8]
        names = [f"infra_backup_source_{suffix}", f"infra_backup_target_{suffix}"]
        admin = psycopg2.connect(dbname="postgres", **{k.lower(): v for k, v in server.items()})
        admin.autocommit = True
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f'CREATE DATABASE "{name}"')
        base = current.rsplit("/", 1)[0]
        yield [f"{base}/{name}" for name in names]
        with admin.cursor() as cursor:
            for name in names:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    else:
        yield [f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'target.sqlite3'}"]


def test_a_restored_backup_serves_every_export_byte_for_byte(databases, tmp_path):
    source, target = databases
    python(source, "manage.py", "migrate", "--noinput", "-v0")
    python(source, "manage.py", "load_portal_data")
    python(source, "-c", EDIT)
    before = json.loads(python(source, "-c", SNAPSHOT))

    backup = Path(python(source, "deploy/backup.py", "--output", str(tmp_path / "backup")).strip())
    assert backup.stat().st_size > 0
    assert backup.stat().st_mode & 0o077 == 0  # only its owner can read it
    restored = tmp_path / ("portal.dump" if source.startswith("postgres") else "portal.sqlite3")
    backup.rename(restored)

    python(target, "deploy/restore.py", str(restored))
    after = json.loads(python(target, "-c", SNAPSHOT))

    assert len(before["csv"]) >= 9
    assert after["csv"] == before["csv"]
    assert after["zip"] == before["zip"]
    assert after["history"] == before["history"]
    assert sum(before["history"].values()) > 0


def test_restore_refuses_a_database_that_has_tables(databases, tmp_path):
    _, target = databases
    python(target, "manage.py", "migrate", "--noinput", "-v0")
    env = {**os.environ, "DATABASE_URL": target, "DJANGO_SETTINGS_MODULE": "devolution_portal.settings.test"}
    dummy = tmp_path / ("x.dump" if target.startswith("postgres") else "x.sqlite3")
    dummy.write_bytes(b"not a backup")
    done = subprocess.run(
        [sys.executable, "deploy/restore.py", str(dummy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "refusing to restore" in done.stderr
