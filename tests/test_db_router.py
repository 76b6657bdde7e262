"""Reads on the replica: only anonymous public reads and exports; officers, the admin, writes and
transactions on the primary; a browser that has just posted stays on the primary; a replica that does
not answer is skipped.

The test settings give a ``replica`` alias mirroring the test database; these tests turn the router on.
Which database served a request is read from each connection's captured queries.
"""

import time

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import OperationalError, connections, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from devolution_portal import db_router
from devolution_portal.db_router import PRIMARY_COOKIE, ReplicaReadMiddleware, replica_reads

pytestmark = pytest.mark.django_db(databases=["default", "replica"])


@pytest.fixture(autouse=True)
def replica_router(settings, client):
    client.raise_request_exception = False  # as a real server: a database error becomes the 503 page
    settings.DATABASE_ROUTERS = ["devolution_portal.db_router.ReplicaRouter"]
    settings.REPLICA_LAG_BUDGET_SECONDS = 0  # no "changed just now" window in these tests
    db_router._replica_down_until = 0.0
    yield
    db_router._replica_down_until = 0.0


def queries_on(client_call):
    """Run ``client_call``; return (its response, queries on default, queries on the replica)."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        response = client_call()
        response.body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, len(primary), len(replica)


def test_an_anonymous_visitor_reads_a_public_page_from_the_replica(client):
    response, primary, replica = queries_on(lambda: client.get("/pilots/"))
    assert response.status_code == 200
    assert replica > 0
    assert primary == 0


def test_an_export_is_read_from_the_replica(client, monkeypatch, settings):
    settings.EXPORT_RATE_LIMIT = 0  # its counts are written, so on the primary (tests/datasets/test_rate_limit.py)
    # On PostgreSQL the CSV is PostgreSQL's own COPY on the raw cursor, which no query capture sees: the
    # router's answers say where it ran.
    answers = []
    read = db_router.ReplicaRouter.db_for_read
    monkeypatch.setattr(
        db_router.ReplicaRouter,
        "db_for_read",
        lambda self, model, **hints: answers.append(read(self, model)) or answers[-1],
    )
    response, primary, _ = queries_on(lambda: client.get("/data/boroughs.csv"))
    assert response.status_code == 200
    assert b"E09000012" in response.body
    assert set(answers) == {"replica"}
    assert primary == 0


def test_the_admin_reads_the_primary(client):
    response, _, replica = queries_on(lambda: client.get("/admin/login/"))
    assert response.status_code == 200
    assert replica == 0


# This test writes (a user, a session), so it is not allowed the replica at all: any query there would
# fail the test (and SQLite's shared-cache test database would lock the mirror out of written tables).
@pytest.mark.django_db(databases=["default"])
def test_a_signed_in_user_reads_the_primary(client):
    user = User.objects.create_user("router-officer", password="a-long-test-password-123")
    client.force_login(user)
    with CaptureQueriesContext(connections["default"]) as primary:
        response = client.get("/pilots/")
    assert response.status_code == 200
    assert len(primary) > 0


def test_a_visitor_with_a_session_cookie_reads_the_primary(client, settings):
    client.cookies[settings.SESSION_COOKIE_NAME] = "stale-or-not"
    response, primary, replica = queries_on(lambda: client.get("/pilots/"))
    assert response.status_code == 200
    assert primary > 0
    assert replica == 0


def test_after_a_post_the_browser_stays_on_the_primary_for_a_while(client, settings):
    response = client.post("/search/", {"q": "hackney"})
    cookie = response.cookies[PRIMARY_COOKIE]
    seconds = settings.REPLICA_LAG_BUDGET_SECONDS + db_router.PRIMARY_COOKIE_EXTRA_SECONDS
    assert int(cookie["max-age"]) == seconds
    assert time.time() < float(cookie.value) <= time.time() + seconds + 1
    assert cookie["httponly"]

    response, primary, replica = queries_on(lambda: client.get("/pilots/"))
    assert response.status_code == 200
    assert replica == 0
    assert primary > 0

    client.cookies[PRIMARY_COOKIE] = str(int(time.time()) - 1)  # run out
    _, _, replica = queries_on(lambda: client.get("/pilots/"))
    assert replica > 0


def test_writes_and_reads_in_a_transaction_use_the_primary():
    with replica_reads():
        assert router.db_for_read(User) == "replica"
        assert router.db_for_write(User) == "default"
        with transaction.atomic():
            assert router.db_for_read(User) == "default"
        assert router.db_for_read(User) == "replica"


def test_reads_outside_a_public_request_use_the_primary():
    assert router.db_for_read(User) == "default"
    with replica_reads(False):
        assert router.db_for_read(User) == "default"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "pilots")
    assert not router.allow_migrate("replica", "pilots")


def test_an_unreachable_replica_sends_reads_to_the_primary(client, monkeypatch):
    calls = []

    def refuse():
        calls.append(1)
        raise OperationalError("connection refused")

    monkeypatch.setattr(connections["replica"], "ensure_connection", refuse)
    with replica_reads():
        assert router.db_for_read(User) == "default"
        assert router.db_for_read(User) == "default"
    assert len(calls) == 1  # remembered: not asked again for REPLICA_RETRY_SECONDS

    monkeypatch.undo()  # the replica is still remembered as down
    response, primary, replica = queries_on(lambda: client.get("/pilots/"))
    assert response.status_code == 200
    assert primary > 0
    assert replica == 0


def test_the_middleware_decides_per_request(rf: RequestFactory):
    seen = {}

    def view(request):
        seen[request.method, request.path] = router.db_for_read(User)
        return HttpResponse("ok")

    middleware = ReplicaReadMiddleware(view)
    for method, path in [("get", "/pilots/"), ("head", "/data/pilots.csv"), ("get", "/admin/"), ("post", "/search/")]:
        request = getattr(rf, method)(path)
        request.user = AnonymousUser()
        middleware(request)
    assert seen == {
        ("GET", "/pilots/"): "replica",
        ("HEAD", "/data/pilots.csv"): "replica",
        ("GET", "/admin/"): "default",
        ("POST", "/search/"): "default",
    }
    # Nothing leaks out of the request.
    assert router.db_for_read(User) == "default"


def test_just_after_a_change_reads_use_the_primary_unless_it_is_away(client, settings, monkeypatch):
    settings.REPLICA_LAG_BUDGET_SECONDS = 60
    monkeypatch.setattr(db_router, "changed_recently", lambda: True)
    _, primary, replica = queries_on(lambda: client.get("/pilots/"))
    assert replica == 0
    assert primary > 0

    def refuse(execute, sql, params, many, context):
        raise OperationalError("the primary is shutting down")

    with connections["default"].execute_wrapper(refuse):
        response, _, replica = queries_on(lambda: client.get("/pilots/?primary-away=1"))
    assert response.status_code == 200
    assert replica > 0
