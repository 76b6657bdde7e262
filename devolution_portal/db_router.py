"""Reads on a PostgreSQL streaming replica, for the public and the exports only.

Active when ``DATABASE_REPLICA_URL`` is set (the settings then add a ``replica`` database alias and this
router). A read goes to the replica only when **all** of these hold; anything else uses the primary
(``default``):

- ``ReplicaReadMiddleware`` (after ``AuthenticationMiddleware``) said this request is an anonymous public
  read: GET or HEAD, not under the admin path, no signed-in user, no session cookie, and no
  ``primary_until`` cookie still running (see below). The flag lives in a ``contextvars.ContextVar``,
  so it belongs to this request's thread alone, and the middleware keeps it set while a streamed
  export is being iterated (after the view has returned);
- the default connection is not inside ``transaction.atomic`` (reads in a transaction must see its writes);
- no record changed in the last ``REPLICA_LAG_BUDGET_SECONDS`` as far as this process can tell (a change
  bumps the page-cache generation; a page read from a lagging replica right after a change would be
  stored in the shared cache as if it were current), unless the primary is away: then the replica,
  at most its lag behind, answers rather than a 503;
- the replica answered: a failed connection marks it down for ``REPLICA_RETRY_SECONDS``, and meanwhile
  every read goes to the primary. A public GET that fails on the replica part-way is answered again
  from the primary once.

Writes always go to the primary, and migrations run only there.

Read-your-own-writes: signed-in officers always read the primary (they have a session cookie). After
any POST (or other unsafe method) the middleware sets ``primary_until`` for the lag budget plus
``PRIMARY_COOKIE_EXTRA_SECONDS``, so a browser that has just signed out or saved anything keeps reading
the primary until the replica has certainly caught up.
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponseBase

from core.http import database_unavailable

logger = logging.getLogger(__name__)

REPLICA = "replica"
PRIMARY_COOKIE = "primary_until"
PRIMARY_COOKIE_EXTRA_SECONDS = 10
SAFE_METHODS = ("GET", "HEAD")

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar("portal_replica_reads", default=False)


def lag_budget() -> float:
    return float(getattr(settings, "REPLICA_LAG_BUDGET_SECONDS", 5))


def retry_seconds() -> float:
    return float(getattr(settings, "REPLICA_RETRY_SECONDS", 5))


def replica_configured() -> bool:
    """A replica is set up and the router is on (the test settings define the alias for every test, but
    only tests/test_db_router.py turns the router on)."""
    return REPLICA in settings.DATABASES and f"{__name__}.ReplicaRouter" in settings.DATABASE_ROUTERS


@contextmanager
def replica_reads(allowed: bool = True) -> Iterator[None]:
    """Within this block, reads may use the replica (``allowed=True``) or must not (``False``)."""
    token = _replica_reads.set(allowed)
    try:
        yield
    finally:
        _replica_reads.reset(token)


# ------------------------------------------------------------------ is the replica there?

_health_lock = threading.Lock()
_replica_down_until = 0.0


def mark_replica_down() -> None:
    global _replica_down_until
    with _health_lock:
        _replica_down_until = time.monotonic() + retry_seconds()
    logger.warning("Read replica unreachable: reading from the primary for %s s", retry_seconds())


def replica_usable() -> bool:
    """Whether the replica can take this read. Cheap: after a failure it is not asked again for
    ``REPLICA_RETRY_SECONDS``; otherwise this thread's connection is opened once (or health-checked once
    per request, CONN_HEALTH_CHECKS) and reused."""
    if time.monotonic() < _replica_down_until:
        return False
    connection = connections[REPLICA]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (OperationalError, InterfaceError):
        connection.close()
        mark_replica_down()
        return False
    return True


def router_alias() -> str:
    """Where a read would go now, by the routers configured."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import router

    return router.db_for_read(ContentType)


def database_answers(alias: str) -> bool:
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
    except (OperationalError, InterfaceError):
        connection.close()
        return False
    return True


def replica_answers() -> bool:
    """Ask the replica now, on a fresh connection: after a failed request, was it the replica?"""
    connection = connections[REPLICA]
    connection.close()
    return replica_usable()


# ------------------------------------------------------------------ recent changes

_generation_seen: dict[object, float] = {}


def changed_recently() -> bool:
    """Whether a record changed within the lag budget, as far as this process can tell: the first time
    it sees a page-cache generation token (core.models.PageCacheGeneration, which every record change
    replaces) counts as the time of that change. The token is read on the replica, as the page cache
    reads it for these requests (so a page built from the replica is filed under the replica's token, and
    a lagging replica cannot pass its pages off as current); this adds a margin of the lag budget after a
    change reaches the replica, and costs the primary nothing."""
    from core.models import PageCacheGeneration

    if not replica_usable():  # the primary answers these requests anyway
        return False
    try:
        generation = PageCacheGeneration.objects.using(REPLICA).current()
    except (OperationalError, InterfaceError):  # the replica being away is handled where it is read
        return False
    now = time.monotonic()
    first_seen = _generation_seen.setdefault(generation, now)
    if len(_generation_seen) > 64:  # keep only the latest few
        for old in list(_generation_seen)[:-8]:
            _generation_seen.pop(old, None)
    return now - first_seen < lag_budget()


# ------------------------------------------------------------------ the router


def in_transaction(connection) -> bool:
    """``connection.in_atomic_block``, not counting the blocks a Django ``TestCase`` wraps each test in
    (so that the tests see the routing the application gets)."""
    return connection.in_atomic_block and any(
        not getattr(block, "_from_testcase", False) for block in connection.atomic_blocks
    )


class ReplicaRouter:
    """``DATABASE_ROUTERS``: reads to the replica when the request allows it, everything else to default."""

    def db_for_read(self, model, **hints) -> str:
        if (
            _replica_reads.get()
            and replica_configured()
            and not in_transaction(connections[DEFAULT_DB_ALIAS])
            and replica_usable()
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # Both aliases hold the same data: objects read from either may be related.
        databases = {DEFAULT_DB_ALIAS, REPLICA}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS


# ------------------------------------------------------------------ the middleware


def _is_admin(request: HttpRequest) -> bool:
    return request.path_info.startswith("/" + settings.ADMIN_PATH)


def _primary_cookie_running(request: HttpRequest) -> bool:
    try:
        return float(request.COOKIES.get(PRIMARY_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def is_anonymous_public_read(request: HttpRequest) -> bool:
    # The user last: with no session cookie, finding out needs no database (with one, it would).
    if (
        request.method not in SAFE_METHODS
        or _is_admin(request)
        or settings.SESSION_COOKIE_NAME in request.COOKIES
        or _primary_cookie_running(request)
    ):
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _streamed_with_flag(content, allowed: bool) -> Iterator[bytes]:
    """Iterate ``content`` with the replica flag as it was for the view, one chunk at a time (a streamed
    export runs its queries while the WSGI server reads it, after the middleware has returned)."""
    iterator = iter(content)
    while True:
        token = _replica_reads.set(allowed)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _replica_reads.reset(token)
        yield chunk


class ReplicaReadMiddleware:
    """Place right after ``AuthenticationMiddleware``. Without a ``replica`` database it only sets the
    ``primary_until`` cookie, so that turning a replica on needs no other change."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        public = replica_configured() and is_anonymous_public_read(request)
        allowed = public and not changed_recently()
        with replica_reads(allowed):
            response = self.get_response(request)
        if public and getattr(response, "database_unavailable", False):
            if allowed and not replica_answers():
                # The replica went away under this request: answer it from the primary (GET/HEAD only).
                allowed = False
                with replica_reads(False):
                    response = self.get_response(request)
            elif not allowed and replica_usable():
                # The primary is away just after a change: the replica, at most its lag behind, beats a 503.
                allowed = True
                with replica_reads(True):
                    response = self.get_response(request)
        if response.streaming and getattr(response, "file_to_stream", None) is None and response.status_code == 200:
            # A streamed export sends its 200 before its first query: make sure its database answers
            # now, so that an outage is a 503 with Retry-After rather than a file cut off after the header.
            with replica_reads(allowed):
                alias = router_alias()
            if not database_answers(alias):
                response.close()
                return database_unavailable(request)
        if allowed and response.streaming:
            response.streaming_content = _streamed_with_flag(response.streaming_content, allowed)
        if request.method not in SAFE_METHODS:
            seconds = int(lag_budget() + PRIMARY_COOKIE_EXTRA_SECONDS)
            response.set_cookie(
                PRIMARY_COOKIE,
                str(int(time.time()) + seconds),
                max_age=seconds,
                secure=getattr(settings, "SESSION_COOKIE_SECURE", False),
                httponly=True,
                samesite="Lax",
            )
        return response
