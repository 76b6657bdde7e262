"""Pilot updates from a spreadsheet (CSV or XLSX): read the file within fixed limits, check every row with
the same rules as the admin's form (the model's own validation, the officer's scope, a source for every
update), show the result, and import only a file whose every row is right, all in one transaction.

Imported updates are always drafts, whatever the file says, so the publishing rules
(``officers.services.check_publication_rules``) hold as they do for a draft saved in the admin: an update
that changes a pilot's status is a proposal for an editor. Each row is a new update; the import never
changes an existing one. The history of each names the officer who imported it.
"""

import base64
import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import openpyxl
import tablib
from django.contrib.auth.base_user import AbstractBaseUser
from django.core import signing
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.text import slugify
from import_export import fields, resources, widgets

from core.models import PublicationStatus
from pilots.models import Pilot, PilotUpdate
from sources.models import Source

from .scoping import scope_queryset
from .services import check_publication_rules

MAX_FILE_BYTES = 512 * 1024
MAX_ROWS = 500
# An XLSX file is a zip: what it may unpack to, so a small file cannot fill the memory (a "zip bomb").
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_COLUMNS = 30

# The columns of the template, in order, with what to put in each (shown on the import page).
COLUMNS: dict[str, str] = {
    "pilot": "The pilot's slug, the last part of its address: e.g. hackney-health-and-social-care-integration.",
    "title": "A short headline in plain English.",
    "slug": "Optional: lower-case words joined by hyphens, different from the pilot's other updates. Empty: made "
    "from the title.",
    "happened_on": "The date, as YYYY-MM-DD: a month as its 1st (2025-03-01), a year as 1 January (2025-01-01). "
    "Empty if the source gives no date.",
    "happened_on_precision": "day, month or year: how much of the date the source gives. Empty if no date.",
    "body": "What happened, in your own words. Plain text.",
    "status_after": "Only if the update changes the pilot's status: announced, under_way, completed or discontinued.",
    "quotation": "Optional: a short exact quotation from the source.",
    "quotation_by": "Optional: who said it.",
    "sources": "The slugs of the update's sources, separated by semicolons: at least one.",
}
REQUIRED_COLUMNS = ("pilot", "title", "body", "sources")
IMPORT_REASON = "Imported from a spreadsheet"

SIGNING_SALT = "officers.imports"
PREVIEW_MAX_AGE = 60 * 60  # seconds a previewed file may be confirmed for


def _split_slugs(value: object) -> list[str]:
    return [slug for slug in re.split(r"[;,\s]+", str(value or "").strip()) if slug]


class PilotWidget(widgets.ForeignKeyWidget):
    """A pilot by its slug, among the importing user's pilots only (``Resource.pilots``)."""

    def __init__(self, resource: "PilotUpdateResource") -> None:
        super().__init__(Pilot, field="slug")
        self.resource = resource

    def clean(self, value, row=None, **kwargs):
        slug = str(value or "").strip()
        if not slug:
            raise ValueError("Give the pilot's slug: the last part of its address on the portal.")
        pilot = self.resource.pilots.get(slug)
        if pilot is not None:
            return pilot
        if slug in self.resource.other_boroughs_pilots:
            raise ValueError(f"“{slug}” is another borough's pilot: you can import updates of your own pilots only.")
        raise ValueError(f"None of your pilots has the slug “{slug}”.")


class DateWidget(widgets.DateWidget):
    def clean(self, value, row=None, **kwargs):
        try:
            return super().clean(value, row, **kwargs)
        except ValueError:
            raise ValueError(f"“{value}” is not a date: write it as YYYY-MM-DD, e.g. 2025-03-01.") from None


class PilotUpdateResource(resources.ModelResource):
    """One new draft update per row, for ``user``'s pilots only."""

    pilot = fields.Field(attribute="pilot", column_name="pilot")
    happened_on = fields.Field(attribute="happened_on", column_name="happened_on", widget=DateWidget("%Y-%m-%d"))
    sources = fields.Field(attribute="sources", column_name="sources", widget=widgets.ManyToManyWidget(Source, "slug"))

    class Meta:
        model = PilotUpdate
        fields = list(COLUMNS)
        import_order = list(COLUMNS)
        clean_model_instances = True  # the model's own rules: partial dates, choices, a slug unique per pilot
        skip_diff = True

    def __init__(self, *, user: AbstractBaseUser) -> None:
        super().__init__()
        self.user = user
        self.fields["pilot"].widget = PilotWidget(self)
        self.pilots: dict[str, Pilot] = {}
        self.other_boroughs_pilots: set[str] = set()
        self.sources: dict[str, Source] = {}

    def before_import(self, dataset: tablib.Dataset, **kwargs) -> None:
        """The pilots and sources the file names, each read once (not once per row)."""
        slugs = {str(slug or "").strip() for slug in dataset["pilot"]}
        own = scope_queryset(Pilot.objects.filter(slug__in=slugs), self.user)
        self.pilots = {pilot.slug: pilot for pilot in own}
        self.other_boroughs_pilots = set(
            Pilot.objects.public().filter(slug__in=slugs - self.pilots.keys()).values_list("slug", flat=True)
        )
        named = {slug for value in dataset["sources"] for slug in _split_slugs(value)}
        self.sources = {source.slug: source for source in Source.objects.filter(slug__in=named)}

    def get_or_init_instance(self, instance_loader, row):
        return self.init_instance(row), True  # always a new update: an import never changes an existing one

    def import_instance(self, instance: PilotUpdate, row, **kwargs) -> None:
        errors: dict = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if not instance.slug and instance.title:
            instance.slug = slugify(instance.title)[:120]
        instance.publication_status = PublicationStatus.DRAFT  # whatever the file says
        slugs = _split_slugs(row.get("sources"))
        unknown = [slug for slug in slugs if slug not in self.sources]
        if not slugs:
            errors["sources"] = ["Give at least one source's slug: every fact must say where it comes from."]
        elif unknown:
            errors["sources"] = [f"No source has the slug: {', '.join(unknown)}. Add it under Sources first."]
        try:
            check_publication_rules(record=instance, by=self.user)
        except ValidationError as error:
            errors.setdefault("publication_status", []).extend(error.messages)
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """As import-export does, except that a value that could not be read keeps only its own message (the
        model's checks would add that it is missing)."""
        unread = {name: list(errors) for name, errors in (import_validation_errors or {}).items()}  # before merging
        try:
            super().validate_instance(instance, import_validation_errors, validate_unique)
        except ValidationError as error:
            raise ValidationError(
                {name: unread.get(name, errors) for name, errors in error.error_dict.items()}
            ) from None

    def before_save_instance(self, instance: PilotUpdate, row, **kwargs) -> None:
        instance._history_user = self.user
        instance._change_reason = IMPORT_REASON

    def save_m2m(self, instance: PilotUpdate, row, **kwargs) -> None:
        instance.sources.set([self.sources[slug] for slug in _split_slugs(row.get("sources"))])


# --- reading the file --------------------------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


NOT_UTF8 = "The file is not UTF-8 text. Save it from your spreadsheet as “CSV UTF-8”, or as an Excel workbook (.xlsx)."
NOT_CSV = "The file could not be read as CSV. Save it again from your spreadsheet as CSV UTF-8."
NOT_XLSX = "The file could not be read as an Excel workbook (.xlsx). Save it again from your spreadsheet."


def _csv_rows(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(NOT_UTF8) from None
    if "\x00" in text:
        raise ValidationError(NOT_CSV)
    try:
        for row in csv.reader(io.StringIO(text, newline="")):
            yield [_cell(value) for value in row[:MAX_COLUMNS]]
    except csv.Error:
        raise ValidationError(NOT_CSV) from None


def _xlsx_rows(content: bytes) -> Iterator[list[str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(entry.file_size for entry in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError(NOT_XLSX) from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES:
        raise ValidationError("The workbook is too large. Keep only the sheet of updates, at most 500 rows.")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds of error on a zip that is not a workbook
        raise ValidationError(NOT_XLSX) from None
    try:
        rows = workbook.worksheets[0].iter_rows(max_row=MAX_ROWS + 2, max_col=MAX_COLUMNS, values_only=True)
        for row in rows:
            yield [_cell(value) for value in row]
    except Exception:  # a malformed sheet fails only as it is read
        raise ValidationError(NOT_XLSX) from None
    finally:
        workbook.close()


def read_dataset(*, name: str, content: bytes) -> tablib.Dataset:
    """The file's rows under its header row (names in lower case, trimmed; empty rows left out), refused
    with a message a person can act on if it is not a CSV or XLSX file, too large, or lacks a column."""
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(f"The file is larger than {MAX_FILE_BYTES // 1024} KB. Split it into smaller files.")
    if not content:
        raise ValidationError("The file is empty.")
    is_zip = content[:4] == b"PK\x03\x04"
    if name.lower().endswith(".xlsx") or is_zip:
        rows = _xlsx_rows(content)
    elif name.lower().endswith((".csv", ".txt")):
        rows = _csv_rows(content)
    else:
        raise ValidationError("Upload a CSV (.csv) or Excel workbook (.xlsx) file.")
    headers = [header.lower() for header in next(rows, [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise ValidationError(
            f"The first row must name the columns; it lacks: {', '.join(missing)}. Start from the template."
        )
    known = [index for index, header in enumerate(headers) if header in COLUMNS and header not in headers[:index]]
    dataset = tablib.Dataset(headers=[headers[index] for index in known])
    for row in rows:
        values = [row[index] if index < len(row) else "" for index in known]
        if not any(values):
            continue
        if len(dataset) == MAX_ROWS:
            raise ValidationError(f"The file has more than {MAX_ROWS} updates. Split it into smaller files.")
        dataset.append(values)
    if not len(dataset):
        raise ValidationError("The file has no updates under its header row.")
    return dataset


# --- checking and importing --------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    line: int  # the row's line in the spreadsheet (the header is line 1)
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ImportResult:
    rows: list[PreviewRow]
    imported: list[int] = field(default_factory=list)  # ids of the updates made (empty: nothing was imported)
    problems: list[str] = field(default_factory=list)  # about the whole file rather than one row

    @property
    def is_valid(self) -> bool:
        return not self.problems and not any(row.errors for row in self.rows)


def _row_errors(row_result) -> list[str]:
    """Each error of the row, led by its column ("sources: ...")."""
    errors = []
    if row_result.validation_error is not None:
        for name, messages in row_result.validation_error.message_dict.items():
            where = "" if name in (NON_FIELD_ERRORS, "publication_status") else f"{name}: "
            errors += [f"{where}{message}" for message in messages]
    errors += [f"This row could not be imported: {error.error}" for error in row_result.errors]
    return errors


def _run(*, user: AbstractBaseUser, dataset: tablib.Dataset, dry_run: bool) -> ImportResult:
    resource = PilotUpdateResource(user=user)
    with transaction.atomic():
        result = resource.import_data(
            dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
        )
        rows = [
            PreviewRow(line=number + 1, values=dict(zip(dataset.headers, values, strict=True)), errors=_row_errors(row))
            for number, (values, row) in enumerate(zip(dataset, result.rows, strict=True), start=1)
        ]
        problems = [f"The file could not be imported: {error.error}" for error in result.base_errors]
        preview = ImportResult(rows=rows, problems=problems)
        if dry_run or not preview.is_valid:
            transaction.set_rollback(True)
            return preview
        return ImportResult(rows=rows, imported=[row.object_id for row in result.rows])


def check_import(*, user: AbstractBaseUser, dataset: tablib.Dataset) -> ImportResult:
    """Every row checked as if imported, and nothing kept."""
    return _run(user=user, dataset=dataset, dry_run=True)


def import_updates(*, user: AbstractBaseUser, dataset: tablib.Dataset) -> ImportResult:
    """Import every row as a new draft update, or, if any row is wrong, nothing at all."""
    return _run(user=user, dataset=dataset, dry_run=False)


# --- the preview's hand-over to the confirmation ------------------------------------------------------


def sign_file(*, user: AbstractBaseUser, name: str, content: bytes) -> str:
    """The checked file, signed for this user, for the preview's "Import" button to send back."""
    payload = {"name": name, "content": base64.b64encode(content).decode("ascii")}
    return signing.dumps(payload, salt=f"{SIGNING_SALT}:{user.pk}", compress=True)


def unsign_file(*, user: AbstractBaseUser, token: str) -> tuple[str, bytes]:
    """The file ``sign_file`` signed for this user within the last hour; a ValidationError otherwise."""
    try:
        payload = signing.loads(token, salt=f"{SIGNING_SALT}:{user.pk}", max_age=PREVIEW_MAX_AGE)
        return str(payload["name"]), base64.b64decode(payload["content"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError("This preview has expired or could not be read. Upload the file again.") from None


def template_rows() -> Iterable[list[str]]:
    """The template: the header row."""
    return [list(COLUMNS)]
