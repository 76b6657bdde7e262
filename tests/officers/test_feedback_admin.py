"""Problem reports in the admin: editors triage every report; a borough officer triages the reports about
their own borough's pages and never sees or changes another borough's, by any route. The public form is
unchanged: a report arrives as "new"."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse

from feedback.models import ProblemReport
from feedback.services import submit_report

from .conftest import change_form_data, client_for, snapshot

pytestmark = pytest.mark.django_db

HACKNEY = "/boroughs/hackney/"
LEWISHAM = "/boroughs/lewisham/"


def _url(view, *args):
    return reverse(f"admin:feedback_problemreport_{view}", args=args)


@pytest.fixture
def reports():
    return {
        "hackney": submit_report(page=HACKNEY, description="Broken link to the Hackney source"),
        "lewisham": submit_report(page=LEWISHAM, description="Lewisham's figure looks wrong"),
        "unplaced": submit_report(page="/about/", description="Typo on the about page"),
    }


def test_editors_see_reports_in_the_admin_with_their_page(editor, reports):
    editor_client = client_for(editor)
    listing = editor_client.get(_url("changelist"))
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "Broken link to the Hackney source" in content
    assert f'<a href="{HACKNEY}">{HACKNEY}</a>' in content
    assert {report.pk for report in listing.context["cl"].result_list} == {report.pk for report in reports.values()}
    assert editor_client.get(_url("change", reports["lewisham"].pk)).status_code == 200
    assert editor_client.get(_url("add")).status_code == 403
    assert Client().get(_url("changelist")).status_code == 302


def test_a_report_arrives_new_with_an_empty_note(reports):
    assert reports["hackney"].status == ProblemReport.Status.NEW
    assert reports["hackney"].note == ""


def test_an_officer_lists_only_their_boroughs_reports_and_filters_them_by_status(hackney_officer, reports):
    client = client_for(hackney_officer)
    listing = client.get(_url("changelist"))
    assert listing.status_code == 200
    assert [report.pk for report in listing.context["cl"].result_list] == [reports["hackney"].pk]
    content = listing.content.decode()
    assert "Lewisham's figure looks wrong" not in content and "Typo on the about page" not in content
    assert "?status__exact=closed" in content  # the status filter is offered
    assert not client.get(_url("changelist"), {"status__exact": "closed"}).context["cl"].result_list
    search = client.get(_url("changelist"), {"q": "Lewisham"})
    assert not search.context["cl"].result_list


def test_an_officer_triages_their_boroughs_report_and_the_history_names_them(hackney_officer, reports):
    report = reports["hackney"]
    data = change_form_data(hackney_officer, report)
    data.update(status="in_hand", note="Asked the comms team to fix the link.")
    response = client_for(hackney_officer).post(_url("change", report.pk), data)
    assert response.status_code == 302, response.context and response.context["errors"]
    report.refresh_from_db()
    assert (report.status, report.note) == ("in_hand", "Asked the comms team to fix the link.")
    latest = report.history.latest()
    assert latest.history_user == hackney_officer
    assert latest.status == "in_hand"
    page = client_for(hackney_officer).get(_url("history", report.pk)).content.decode()
    assert "officer-hackney" in page and "in_hand" in page
    assert not hasattr(latest, "email") and not hasattr(latest, "description")  # the visitor's words are not copied


def test_an_officer_cannot_move_a_report_to_another_borough(hackney_officer, reports):
    report = reports["hackney"]
    data = change_form_data(hackney_officer, report)
    data.update(authority=str(reports["lewisham"].authority_id), status="closed")
    assert client_for(hackney_officer).post(_url("change", report.pk), data).status_code == 302
    report.refresh_from_db()
    assert report.authority.slug == "hackney" and report.status == "closed"


@pytest.mark.parametrize("view", ["change", "history", "delete"])
def test_another_boroughs_report_is_not_found_for_an_officer(hackney_officer, editor, reports, view):
    report = reports["lewisham"]
    client = client_for(hackney_officer)
    assert client.get(_url(view, report.pk)).status_code in (403, 404)
    assert client.get(_url(view, report.pk), {"_to_field": "id"}).status_code in (403, 404)
    before = snapshot(report)
    data = change_form_data(editor, report)
    data.update(status="closed", note="Closed by another borough", post="yes")
    assert client.post(_url(view, report.pk), data).status_code in (403, 404)
    assert snapshot(report) == before


def test_a_report_with_no_borough_is_for_editors_only(hackney_officer, reports):
    assert client_for(hackney_officer).get(_url("change", reports["unplaced"].pk)).status_code == 404


def test_list_actions_never_reach_another_boroughs_report(hackney_officer, reports):
    report = reports["lewisham"]
    response = client_for(hackney_officer).post(
        _url("changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [f"{report.pk},{report.version}"]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Lewisham's figure looks wrong" not in response.content.decode()
    assert "Nothing was changed" in response.content.decode()  # the row is not in the officer's list


def test_officers_cannot_delete_reports(hackney_officer, reports):
    report = reports["hackney"]
    assert client_for(hackney_officer).post(_url("delete", report.pk), {"post": "yes"}).status_code == 403
    assert ProblemReport.objects.filter(pk=report.pk).exists()


def test_the_autocomplete_never_offers_another_boroughs_report_or_authority(hackney_officer, reports):
    response = client_for(hackney_officer).get(
        reverse("admin:autocomplete"),
        {"app_label": "feedback", "model_name": "problemreport", "field_name": "authority", "term": "Lewisham"},
    )
    assert response.status_code in (403, 404) or not response.json()["results"]
