"""Several processes serve the site, as in ``make serve``: gunicorn with three workers, each with its own
memory, against one database (a copy of the test database: an SQLite file, or a PostgreSQL database
made from it), with and without Redis.

- An edit made in this process (through the ORM, as the admin would save it) shows on every worker at
  once: the next anonymous requests to any of them all see it, for pages, feeds and exports.
- The export rate limit is counted across the workers, cached answers included, per real client
  (``PROXY_COUNT=1``: the address the proxy appends to ``X-Forwarded-For``).

Each server is bounded: ``--max-requests``, a watchdog that kills it after ``SERVER_SECONDS``, and it is
stopped by its pid when the module ends.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg2
import pytest
from django.conf import settings
from django.db import connections

from core.models import PublicationStatus
from pilots.models import PilotUpdate

WORKERS = 3
REQUESTS_PER_URL = 24  # spread by the kernel over the three workers
EXPORT_LIMIT = 150  # per client per hour; more than the edit test sends in all
SERVER_SECONDS = 240
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
LIVE = "live"

# The test database must exist for the copy; the tests themselves write only to the copy.
pytestmark = pytest.mark.django_db


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def random_client() -> str:
    """An X-Forwarded-For as the proxy passes it on: an address the client wrote itself, then the
    client's real address (96 random bits in the IPv6 documentation prefix, so that no two clients of
    this or another run ever share a count)."""
    real = ipaddress.IPv6Address((0x20010DB8 << 96) | random.getrandbits(96))
    return f"203.0.113.{random.randrange(1, 255)}, {real}"


# --- The database the servers share --------------------------------------------------------------


@dataclass
class LiveDatabase:
    settings_dict: dict
    url: str


def _copy_sqlite(default, directory: Path) -> LiveDatabase:
    path = directory / "live.sqlite3"
    default.ensure_connection()
    with sqlite3.connect(path) as target:
        default.connection.backup(target)
    return LiveDatabase({**default.settings_dict, "NAME": str(path)}, f"sqlite:///{path}")


def _admin_connection(default):
    params = default.get_connection_params()
    params["dbname"] = "postgres"
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


def _copy_postgresql(default) -> LiveDatabase:
    name = default.settings_dict["NAME"] + "_live"
    connections.close_all()  # a template database must have no other sessions (the replica alias mirrors it)
    with contextlib.closing(_admin_connection(default)) as admin, admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{default.settings_dict["NAME"]}"')
    s = default.settings_dict
    user = s["USER"] or "postgres"
    url = f"postgres://{user}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"
    if s["PASSWORD"]:
        url = url.replace(f"{user}@", f"{user}:{s['PASSWORD']}@")
    return LiveDatabase({**s, "NAME": name}, url)


def _drop_postgresql(default, name: str) -> None:
    with contextlib.closing(_admin_connection(default)) as admin, admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def live_database(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[LiveDatabase]:
    """A copy of the test database (migrated, shipped data loaded) that other processes can open."""
    with django_db_blocker.unblock():
        default = connections["default"]
        if default.vendor == "sqlite":
            database = _copy_sqlite(default, tmp_path_factory.mktemp("live-database"))
        else:
            database = _copy_postgresql(default)
        try:
            yield database
        finally:
            if default.vendor == "postgresql":
                _drop_postgresql(default, database.settings_dict["NAME"])


@pytest.fixture
def live(db, live_database) -> Iterator[str]:
    """The alias through which this process edits the copy, as another app server would: a connection
    made for this test only (not in DATABASES, so the test's own transaction does not wrap it)."""
    default = connections["default"]
    connection = type(default)(live_database.settings_dict, alias=LIVE)
    setattr(connections._connections, LIVE, connection)
    try:
        yield LIVE
    finally:
        connection.close()
        delattr(connections._connections, LIVE)


# --- The servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    port: int
    process: subprocess.Popen

    def get(self, path: str, client: str | None = None) -> tuple[int, str]:
        """One request on a new connection (so the kernel may hand it to any worker)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "GET", path, headers={"X-Forwarded-For": client or random_client(), "Connection": "close"}
            )
            response = connection.getresponse()
            return response.status, response.read().decode("utf-8", "replace")
        finally:
            connection.close()


def _wait_until_up(server: Server) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise AssertionError(f"gunicorn stopped: {server.process.stderr.read().decode()[-3000:]}")
        try:
            if server.get("/robots.txt")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within 60 seconds")


@pytest.fixture(scope="module", params=["without Redis", "with Redis"])
def server(request, live_database) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "devolution_portal.settings.local",
        "DEBUG": "false",
        "SECRET_KEY": f"several-processes-test-{uuid.uuid4()}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": live_database.url,
        "REDIS_URL": REDIS_URL if request.param == "with Redis" else "",
        "PAGE_CACHE_SECONDS": "300",
        "EXPORT_RATE_LIMIT": str(EXPORT_LIMIT),
        "EXPORT_RATE_WINDOW": "3600",
        "PROXY_COUNT": "1",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "gunicorn", "devolution_portal.wsgi"),
            *("--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)),
            *("--max-requests", "2000", "--timeout", "30", "--graceful-timeout", "5"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(SERVER_SECONDS, process.kill)
    watchdog.start()
    server = Server(port, process)
    try:
        _wait_until_up(server)
        yield server
    finally:
        watchdog.cancel()
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)
        process.stderr.close()


# --- Tests ---------------------------------------------------------------------------------------


def _shown(server: Server, urls: list[str], text: str) -> list[bool]:
    answers = [server.get(url) for url in urls for _ in range(REQUESTS_PER_URL)]
    assert {status for status, _ in answers} == {200}
    return [text in body for _, body in answers]


def test_an_edit_and_a_withdrawal_show_on_every_worker_at_once(server, live):
    update = (
        PilotUpdate.objects.using(live)
        .filter(publication_status=PublicationStatus.PUBLISHED)
        .select_related("pilot")
        .order_by("pk")
        .first()
    )
    urls = [
        update.pilot.get_absolute_url(),
        "/timeline/",
        f"{update.pilot.get_absolute_url()}updates.atom",  # the all-updates feed holds only the newest 50
        "/data/pilot-updates.json?limit=1000",
        "/data/pilot-updates.csv",
    ]
    original_title, title = update.title, f"Checked on every worker {uuid.uuid4().hex[:8]}"
    assert not any(_shown(server, urls, title))  # every worker now keeps these pages

    try:
        update.title = title
        update.save()
        after_edit = _shown(server, urls, title)

        update.publication_status = PublicationStatus.WITHDRAWN
        update.save()
        after_withdrawal = _shown(server, urls, title)
    finally:
        update.title, update.publication_status = original_title, PublicationStatus.PUBLISHED
        update.save()

    stale = sorted(
        {
            url
            for url, shown in zip([u for u in urls for _ in range(REQUESTS_PER_URL)], after_edit, strict=True)
            if not shown
        }
    )
    assert all(after_edit), f"{after_edit.count(False)} of {len(after_edit)} answers without the edit: {stale}"
    assert not any(after_withdrawal), f"{after_withdrawal.count(True)} of {len(after_withdrawal)} still show it"


def test_one_client_gets_at_most_the_export_limit_across_the_workers(server):
    client, other = random_client(), random_client()

    statuses = [server.get("/data/sources.json", client)[0] for _ in range(EXPORT_LIMIT + 20)]

    assert statuses.count(200) == EXPORT_LIMIT  # identical requests, most answered from a page cache
    assert set(statuses[EXPORT_LIMIT:]) == {429}
    assert server.get("/data/sources.json", other)[0] == 200  # another client, behind the same proxy
