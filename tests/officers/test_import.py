"""Importing pilot updates from a spreadsheet: the template downloads; every row is checked (unknown pilot,
another borough's pilot, a date that does not match its precision, no source or an unknown one) and a file
with any bad row imports nothing until it is fixed; never a row for another borough's pilot, by any route;
imported rows are drafts whatever the file says, with history naming the officer; a bad file is a form
error, never a server error."""

import csv
import datetime
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import PublicationStatus
from officers import imports
from pilots.models import Pilot, PilotUpdate
from sources.models import Source
from tests.factories import PilotUpdateFactory, UserFactory

from .conftest import client_for

pytestmark = pytest.mark.django_db

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
LEWISHAM_PILOT = "lewisham-physical-and-mental-health-integration"
IMPORT = "admin:pilots_pilotupdate_import"
HEADER = ["pilot", "title", "happened_on", "happened_on_precision", "body", "sources", "publication_status"]


@pytest.fixture
def source_slug():
    return Source.objects.public().order_by("slug").first().slug


def _csv(rows: list[list[str]], header=HEADER) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    return text.getvalue().encode()


def _upload(client, content: bytes, name: str = "updates.csv"):
    return client.post(reverse(IMPORT), {"file": SimpleUploadedFile(name, content)})


def _good_row(source_slug, title="Joint budget agreed", pilot=HACKNEY_PILOT, status="published"):
    return [pilot, title, "2025-03-01", "month", "The board agreed its first joint budget.", source_slug, status]


def _errors(response) -> dict[int, list[str]]:
    return {row.line: row.errors for row in response.context["result"].rows if row.errors}


def _form_errors(response) -> list[str]:
    return list(response.context["form"].errors.get("file", []))


def test_the_template_downloads_as_csv_and_xlsx_with_the_columns(hackney_officer):
    client = client_for(hackney_officer)
    response = client.get(reverse("admin:pilots_pilotupdate_import_template_csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="pilot-updates-template.csv"'
    assert next(csv.reader(io.StringIO(response.content.decode()))) == list(imports.COLUMNS)

    response = client.get(reverse("admin:pilots_pilotupdate_import_template_xlsx"))
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == list(imports.COLUMNS)

    page = client.get(reverse(IMPORT)).content.decode()
    assert reverse("admin:pilots_pilotupdate_import_template_csv") in page
    listing = client.get(reverse("admin:pilots_pilotupdate_changelist")).content.decode()
    assert reverse(IMPORT) in listing  # "Import from a spreadsheet" above the list


def test_the_filled_in_template_imports(hackney_officer, source_slug):
    client = client_for(hackney_officer)
    header = next(
        csv.reader(io.StringIO(client.get(reverse("admin:pilots_pilotupdate_import_template_csv")).content.decode()))
    )
    values = {"pilot": HACKNEY_PILOT, "title": "From the template", "body": "Body.", "sources": source_slug}
    response = _upload(client, _csv([[values.get(name, "") for name in header]], header=header))
    assert response.context["result"].is_valid and response.context["checked_file"]


def test_a_file_with_one_bad_row_imports_nothing_until_the_row_is_fixed(hackney_officer, source_slug):
    client = client_for(hackney_officer)
    before = PilotUpdate.objects.count()
    rows = [_good_row(source_slug, "First"), _good_row(source_slug, "Second"), _good_row(source_slug, "Third")]
    rows[1][2] = "2025-03-14"  # a day, but the precision says only the month is known
    response = _upload(client, _csv(rows))
    assert response.status_code == 200
    assert _errors(response) == {3: ["happened_on: When only the month is known, enter the 1st of that month."]}
    assert not response.context["checked_file"]
    page = response.content.decode()
    assert "Nothing has been imported" in page and 'href="#row-3"' in page
    assert "Import 3 updates" not in page
    assert PilotUpdate.objects.count() == before  # the preview keeps nothing

    rows[1][2] = "2025-03-01"
    response = _upload(client, _csv(rows))
    assert response.context["result"].is_valid
    assert "Import 3 updates as drafts" in response.content.decode()
    assert PilotUpdate.objects.count() == before  # not until confirmed

    confirmed = client.post(reverse(IMPORT), {"checked_file": response.context["checked_file"]})
    assert confirmed.status_code == 302
    assert confirmed["Location"].endswith("?publication_status__exact=draft")
    imported = PilotUpdate.objects.filter(title__in=["First", "Second", "Third"])
    assert imported.count() == 3 and PilotUpdate.objects.count() == before + 3


def test_imported_rows_are_drafts_with_history_naming_the_officer(hackney_officer, source_slug):
    client = client_for(hackney_officer)
    response = _upload(client, _csv([_good_row(source_slug, status="published")]))
    client.post(reverse(IMPORT), {"checked_file": response.context["checked_file"]})
    update = PilotUpdate.objects.get(title="Joint budget agreed")
    assert update.publication_status == PublicationStatus.DRAFT  # whatever the file said
    assert update.published_at is None and update.published_by is None
    assert update.pilot.slug == HACKNEY_PILOT
    assert update.slug == "joint-budget-agreed"  # made from the title
    assert (update.happened_on, update.happened_on_precision) == (datetime.date(2025, 3, 1), "month")
    assert [source.slug for source in update.sources.all()] == [source_slug]
    created = update.history.earliest()
    assert created.history_type == "+"
    assert created.history_user == hackney_officer
    assert created.history_change_reason == imports.IMPORT_REASON
    assert all(entry.history_user == hackney_officer for entry in update.history.all())
    listing = client.get(
        confirmed_list := reverse("admin:pilots_pilotupdate_changelist") + "?publication_status__exact=draft"
    )
    assert listing.status_code == 200, confirmed_list
    assert "Joint budget agreed" in listing.content.decode()


def test_never_a_row_for_another_boroughs_pilot(hackney_officer, lewisham_officer, source_slug):
    before = PilotUpdate.objects.filter(pilot__slug=LEWISHAM_PILOT).count()
    rows = [_good_row(source_slug, "Ours"), _good_row(source_slug, "Theirs", pilot=LEWISHAM_PILOT)]
    client = client_for(hackney_officer)
    response = _upload(client, _csv(rows))
    assert _errors(response) == {
        3: [f"pilot: “{LEWISHAM_PILOT}” is another borough's pilot: you can import updates of your own pilots only."]
    }
    # A confirmation carrying that file (as a tampered page could send) imports nothing either.
    forged = imports.sign_file(user=hackney_officer, name="updates.csv", content=_csv(rows))
    response = client.post(reverse(IMPORT), {"checked_file": forged})
    assert response.status_code == 200 and _errors(response)
    assert not PilotUpdate.objects.filter(title__in=["Ours", "Theirs"]).exists()
    assert PilotUpdate.objects.filter(pilot__slug=LEWISHAM_PILOT).count() == before

    # A file checked for Lewisham's officer cannot be confirmed by Hackney's (it is signed for its user).
    lewisham_file = imports.sign_file(user=lewisham_officer, name="u.csv", content=_csv([rows[1]]))
    response = client.post(reverse(IMPORT), {"checked_file": lewisham_file})
    assert response.status_code == 200
    assert "Upload the file again" in " ".join(_form_errors(response))
    assert PilotUpdate.objects.filter(pilot__slug=LEWISHAM_PILOT).count() == before


def test_an_unknown_pilot_is_named_without_saying_whether_another_borough_has_a_draft_one(hackney_officer, source_slug):
    Pilot.objects.filter(slug=LEWISHAM_PILOT).update(publication_status=PublicationStatus.DRAFT)
    rows = [_good_row(source_slug, pilot="no-such-pilot"), _good_row(source_slug, pilot=LEWISHAM_PILOT)]
    errors = _errors(_upload(client_for(hackney_officer), _csv(rows)))
    assert errors == {
        2: ["pilot: None of your pilots has the slug “no-such-pilot”."],
        3: [f"pilot: None of your pilots has the slug “{LEWISHAM_PILOT}”."],
    }


def test_each_rows_errors_are_named(hackney_officer, source_slug):
    existing = PilotUpdate.objects.filter(pilot__slug=HACKNEY_PILOT).first()
    header = [*HEADER, "slug", "status_after"]
    rows = [
        [*_good_row(""), "", ""],  # no source
        [*_good_row("no-such-source"), "", ""],
        [*_good_row(source_slug), existing.slug, ""],  # the pilot already has an update with this slug
        [HACKNEY_PILOT, "Undated but precise", "", "day", "Body.", source_slug, "", "", ""],
        [*_good_row(source_slug), "", "finished"],  # not a status
        [HACKNEY_PILOT, "A year", "2025-06-01", "year", "Body.", source_slug, "", "", ""],
        [HACKNEY_PILOT, "Not a date", "1st March", "day", "Body.", source_slug, "", "", ""],
        [*_good_row(source_slug, "Twice"), "twice", ""],
        [*_good_row(source_slug, "Twice again"), "twice", ""],  # the same slug twice in one file
    ]
    errors = _errors(_upload(client_for(hackney_officer), _csv(rows, header=header)))
    assert errors[2] == ["sources: Give at least one source's slug: every fact must say where it comes from."]
    assert errors[3] == ["sources: No source has the slug: no-such-source. Add it under Sources first."]
    assert "already exists" in " ".join(errors[4])
    assert errors[5] == ["happened_on: Enter the date, or clear its precision if the date is not known."]
    assert "status_after" in " ".join(errors[6])
    assert errors[7] == ["happened_on: When only the year is known, enter 1 January of that year."]
    assert errors[8] == ["happened_on: “1st March” is not a date: write it as YYYY-MM-DD, e.g. 2025-03-01."]
    assert 9 not in errors and "already exists" in " ".join(errors[10])


def test_a_status_change_is_imported_as_a_draft_proposal_and_the_pilot_is_unchanged(hackney_officer, source_slug):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    header = [*HEADER, "status_after"]
    client = client_for(hackney_officer)
    response = _upload(client, _csv([[*_good_row(source_slug, "It is completed"), "completed"]], header=header))
    assert response.context["result"].is_valid
    client.post(reverse(IMPORT), {"checked_file": response.context["checked_file"]})
    update = PilotUpdate.objects.get(title="It is completed")
    assert (update.status_after, update.publication_status) == ("completed", PublicationStatus.DRAFT)
    assert Pilot.objects.get(pk=pilot.pk).status == pilot.status


def test_an_xlsx_file_imports_with_real_date_cells(hackney_officer, source_slug):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([HACKNEY_PILOT, "From Excel", datetime.datetime(2024, 5, 1), "month", "Body.", source_slug, None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    client = client_for(hackney_officer)
    response = _upload(client, buffer.getvalue(), "updates.xlsx")
    assert response.context["result"].is_valid, _errors(response)
    client.post(reverse(IMPORT), {"checked_file": response.context["checked_file"]})
    assert PilotUpdate.objects.get(title="From Excel").happened_on == datetime.date(2024, 5, 1)


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b"0" * (imports.MAX_XLSX_UNPACKED_BYTES + 1))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("picture.png", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "Upload a CSV (.csv) or Excel workbook"),
        ("updates.csv", b"\x00\x01\x02binary", "could not be read as CSV"),
        ("updates.csv", "pilot,title,body,sources\nhackney,Café,x,y\n".encode("latin-1"), "not UTF-8"),
        ("updates.csv", b"pilot,title\nhackney,Only two columns\n", "it lacks: body, sources"),
        ("updates.csv", b"", "empty"),
        ("updates.csv", b"pilot,title,body,sources\n", "no updates under its header row"),
        ("updates.csv", b"pilot,title,body,sources\n" + b"x,y,z,w\n" * (imports.MAX_ROWS + 1), "more than 500"),
        ("updates.csv", b"a" * (imports.MAX_FILE_BYTES + 1), "larger than 512 KB"),
        ("updates.xlsx", b"PK\x03\x04 not really a zip", "could not be read as an Excel workbook"),
        ("updates.xlsx", _zip_bomb(), "The workbook is too large"),
    ],
    ids=["png", "binary", "latin-1", "columns", "empty", "header-only", "rows", "size", "bad-zip", "zip-bomb"],
)
def test_a_bad_file_is_a_form_error(hackney_officer, name, content, message):
    before = PilotUpdate.objects.count()
    response = _upload(client_for(hackney_officer), content, name)
    assert response.status_code == 200
    errors = _form_errors(response)
    assert any(message in error for error in errors), errors
    assert "There is a problem" in response.content.decode()
    assert PilotUpdate.objects.count() == before


@pytest.mark.parametrize("token", ["", "not-a-token", "x" * 5000])
def test_a_tampered_confirmation_is_a_form_error(hackney_officer, token):
    before = PilotUpdate.objects.count()
    response = client_for(hackney_officer).post(reverse(IMPORT), {"checked_file": token})
    assert response.status_code == 200
    assert _form_errors(response)
    assert PilotUpdate.objects.count() == before


def test_only_those_who_may_add_updates_may_import(hackney_officer):
    nobody = UserFactory(username="staff-without-permissions", is_staff=True)
    for name in (
        IMPORT,
        "admin:pilots_pilotupdate_import_template_csv",
        "admin:pilots_pilotupdate_import_template_xlsx",
    ):
        assert client_for(nobody).get(reverse(name)).status_code == 403
        anonymous = client_for(None).get(reverse(name))
        assert anonymous.status_code == 302 and reverse("admin:login") in anonymous["Location"]
        assert client_for(hackney_officer).get(reverse(name)).status_code == 200


def test_an_editor_imports_for_any_borough(editor, source_slug):
    rows = [_good_row(source_slug, "Hackney's"), _good_row(source_slug, "Lewisham's", pilot=LEWISHAM_PILOT)]
    response = _upload(client_for(editor), _csv(rows))
    assert response.context["result"].is_valid, _errors(response)


@pytest.mark.parametrize("who", ["hackney", "editor"])
def test_the_import_pages_queries_do_not_grow_with_the_data(users, who, source_slug, request):
    client = client_for(users[who])
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)

    def count(**kwargs) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(reverse(IMPORT), **kwargs) if kwargs else client.get(reverse(IMPORT))
        assert response.status_code == 200
        return len(queries)

    def add(number: int) -> None:
        for _ in range(number):
            PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT)

    add(5)
    small = count()
    rows = [_good_row(source_slug, f"Row {n}") for n in range(3)]
    preview_small = count(data={"file": SimpleUploadedFile("u.csv", _csv(rows))})
    add(10)
    assert count() == small
    assert count(data={"file": SimpleUploadedFile("u.csv", _csv(rows))}) == preview_small
    print(f"import page queries ({who}): {small} (form), {preview_small} (preview of 3 rows)")
