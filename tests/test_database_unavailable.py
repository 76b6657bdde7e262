"""The database away: a 503 with Retry-After instead of a 500; in the admin, a page saying editing is
unavailable that gives the officer back what they typed (never a password)."""

import pytest
from django.db import InterfaceError, OperationalError, connection
from django.test import RequestFactory

from core.http import server_error


def answer(request, error):
    """What the handler500 answers while ``error`` is being handled, as Django calls it."""
    try:
        raise error
    except Exception:
        return server_error(request)


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_a_public_page_answers_503_with_retry_after(rf: RequestFactory, error):
    response = answer(rf.get("/pilots/"), error)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "no-store" in response["Cache-Control"]
    assert "Sorry, the service is unavailable" in response.content.decode()


def test_other_errors_are_left_to_the_500_page(rf: RequestFactory):
    assert answer(rf.get("/pilots/"), ValueError("bug")).status_code == 500


def test_the_admin_says_editing_is_unavailable_and_keeps_what_was_typed(rf: RequestFactory):
    request = rf.post(
        "/admin/pilots/pilotupdate/7/change/",
        {"headline": "Budgets pooled <b>2017</b>", "version": "12", "password": "secret-value-x"},
    )
    response = answer(request, OperationalError("the database system is shutting down"))
    page = response.content.decode()
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "temporarily unavailable for editing" in page
    assert "Budgets pooled &lt;b&gt;2017&lt;/b&gt;" in page  # kept, and escaped
    assert 'name="version" value="12"' in page  # sent again with the version it was read at
    assert 'action="/admin/pilots/pilotupdate/7/change/"' in page
    assert "secret-value-x" not in page


@pytest.mark.django_db
def test_the_database_going_away_reaches_the_visitor_as_a_503_and_service_returns(client):
    client.raise_request_exception = False  # as a real server: the error becomes a response

    def refuse(execute, sql, params, many, context):
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get("/pilots/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert client.get("/pilots/").status_code == 200  # no restart needed


@pytest.mark.django_db
def test_a_database_error_in_a_middleware_is_a_503_too(client, settings):
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("db-away-officer", password="a-long-test-password-123"))

    def refuse(execute, sql, params, many, context):
        raise OperationalError("the database system is shutting down")

    # The signed-in visitor's session is read by a middleware after the view (the cache headers).
    client.raise_request_exception = False  # as a real server: the error becomes a response
    with connection.execute_wrapper(refuse):
        response = client.get("/pilots/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_an_export_during_an_outage_is_a_503_not_a_file_cut_short(client, monkeypatch):
    client.raise_request_exception = False  # as a real server: the error becomes a response

    def refuse():
        raise OperationalError("connection refused")

    response = client.get("/data/boroughs.csv")
    assert response.status_code == 200
    b"".join(response.streaming_content)
    monkeypatch.setattr(connection, "close_if_health_check_failed", refuse)
    response = client.get("/data/boroughs.csv?again=1")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
