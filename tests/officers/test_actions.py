"""List actions: the CSV download is formula-safe like the public exports, a selection that cannot be
read is refused with a message (never a server error), and "select all" is only for downloading."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from sources.models import KeyFigure
from tests.factories import KeyFigureFactory, PilotUpdateFactory

from .conftest import client_for

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
UPDATES = "admin:pilots_pilotupdate_changelist"
PAYLOADS = ['=HYPERLINK("http://x","y")', "+cmd", "@SUM(1)", "-1+1", "\tcmd", "\rcmd"]


def _csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


@pytest.mark.django_db
@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_admin_csv_download_never_hands_a_spreadsheet_a_formula(editor, payload):
    update = PilotUpdateFactory(pilot=Pilot.objects.get(slug=HACKNEY_PILOT), title=payload, body=payload)
    response = client_for(editor).post(
        reverse(UPDATES), {"action": "export_csv", ACTION_CHECKBOX_NAME: [f"{update.pk},{update.version}"]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    [row] = _csv_rows(response)
    assert row["title"] == "'" + payload
    assert row["body"] == "'" + payload


@pytest.mark.django_db
def test_the_admin_csv_download_keeps_negative_numbers_as_numbers(editor):
    figure = KeyFigureFactory(value="-1.5000", value_as_stated="-1.5")
    response = client_for(editor).post(
        reverse("admin:sources_keyfigure_changelist"),
        {"action": "export_csv", ACTION_CHECKBOX_NAME: [f"{figure.pk},{figure.version}"]},
    )
    [row] = _csv_rows(response)
    assert row["value"] == "-1.5"  # a number, left alone
    assert row["value_as_stated"] == "'-1.5"  # text, neutralised


@pytest.mark.django_db
@pytest.mark.parametrize(
    "selection",
    [
        ["abc,1"],
        ["1,99999999999999999999"],
        ["99999999999999999999,1"],
        ["-1"],
        ["-1,1"],
        ["1"],
        ["1,2,3"],
        ["\x00,1"],
        [f"{n},1" for n in range(1, 901)],
    ],
    ids=["letters", "huge-version", "huge-id", "negative", "negative-id", "no-version", "three-parts", "nul", "900"],
)
@pytest.mark.parametrize("action", ["publish_selected", "withdraw_selected", "export_csv", "delete_selected"])
def test_a_selection_that_cannot_be_read_is_refused_with_a_message(editor, selection, action):
    before = list(PilotUpdate.objects.values_list("pk", "version", "publication_status"))
    response = client_for(editor).post(
        reverse(UPDATES), {"action": action, ACTION_CHECKBOX_NAME: selection}, follow=True
    )
    assert response.status_code == 200
    assert "could not be read" in response.content.decode()
    assert list(PilotUpdate.objects.values_list("pk", "version", "publication_status")) == before


@pytest.mark.django_db
def test_a_selection_longer_than_any_request_may_carry_is_a_bad_request(editor):
    selection = [f"{n},1" for n in range(1, 5001)]
    response = client_for(editor).post(
        reverse(UPDATES), {"action": "publish_selected", ACTION_CHECKBOX_NAME: selection}
    )
    assert response.status_code == 400  # Django's DATA_UPLOAD_MAX_NUMBER_FIELDS, before any action runs


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["publish_selected", "withdraw_selected", "delete_selected"])
def test_select_all_is_refused_for_actions_that_change_records(editor, action):
    drafts = PilotUpdateFactory.create_batch(3, publication_status=PublicationStatus.DRAFT)
    before = list(PilotUpdate.objects.values_list("pk", "version", "publication_status"))
    response = client_for(editor).post(
        reverse(UPDATES),
        {
            "action": action,
            "select_across": "1",
            "post": "yes",
            ACTION_CHECKBOX_NAME: [f"{drafts[0].pk},{drafts[0].version}"],
        },
        follow=True,
    )
    page = response.content.decode()
    assert "Select the records on this page instead" in page
    assert list(PilotUpdate.objects.values_list("pk", "version", "publication_status")) == before


@pytest.mark.django_db
def test_select_all_still_downloads_every_listed_record(editor):
    response = client_for(editor).post(
        reverse("admin:sources_keyfigure_changelist"),
        {"action": "export_csv", "select_across": "1", ACTION_CHECKBOX_NAME: ["1,1"]},
    )
    assert len(_csv_rows(response)) == KeyFigure.objects.count()
