"""The import screen of the pilot updates' admin: upload a CSV or XLSX file, see every row checked, then
import it (as drafts) with one button. The rules are ``officers.imports``'; this holds the screens."""

import csv
import io

import openpyxl
from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from openpyxl.styles import Font

from core.models import PublicationStatus
from officers import imports


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Upload a spreadsheet of updates",
        help_text=f"A CSV (UTF-8) or Excel (.xlsx) file, at most {imports.MAX_FILE_BYTES // 1024} KB and "
        f"{imports.MAX_ROWS} updates, with the template's header row.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > imports.MAX_FILE_BYTES:  # refused before it is read
            raise ValidationError(f"The file is larger than {imports.MAX_FILE_BYTES // 1024} KB. Split it.")
        self.content = upload.read()
        self.dataset = imports.read_dataset(name=upload.name, content=self.content)
        return upload


class ConfirmForm(forms.Form):
    checked_file = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_checked_file(self):
        name, content = imports.unsign_file(user=self.user, token=self.cleaned_data["checked_file"])
        self.dataset = imports.read_dataset(name=name, content=content)
        return self.cleaned_data["checked_file"]


class SpreadsheetImportMixin:
    """For ``PilotUpdateAdmin``: ``import/`` (upload, preview, confirm) and ``import/template.<csv|xlsx>``,
    for anyone who may add updates (an officer: for their own pilots only)."""

    import_template = "admin/pilots/pilotupdate/import.html"

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name=f"{info}_import"),
            path("import/template.csv", view(self.template_csv_view), name=f"{info}_import_template_csv"),
            path("import/template.xlsx", view(self.template_xlsx_view), name=f"{info}_import_template_xlsx"),
            *super().get_urls(),
        ]

    def _check_may_import(self, request) -> None:
        if not self.has_add_permission(request):
            raise PermissionDenied

    def import_view(self, request):
        """GET: the upload form. POST a file: every row checked, nothing kept; if all are right, the page
        carries the file, signed, for the "Import" button. POST that: imported, then the list of drafts."""
        self._check_may_import(request)
        form, result, checked_file = UploadForm(), None, ""
        if request.method == "POST" and "checked_file" in request.POST:
            confirm = ConfirmForm(request.POST, user=request.user)
            if confirm.is_valid():
                result = imports.import_updates(user=request.user, dataset=confirm.dataset)
                if result.imported:
                    return self._imported(request, len(result.imported))
            else:  # shown as the upload's error: the way on is to upload the file again
                form.errors["file"] = form.error_class(confirm.errors["checked_file"])
        elif request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            if form.is_valid():
                result = imports.check_import(user=request.user, dataset=form.dataset)
                if result.is_valid:
                    name = form.cleaned_data["file"].name
                    checked_file = imports.sign_file(user=request.user, name=name, content=form.content)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import updates from a spreadsheet",
            "form": form,
            "result": result,
            "checked_file": checked_file,
            "columns": imports.COLUMNS,
            "required_columns": imports.REQUIRED_COLUMNS,
        }
        return TemplateResponse(request, self.import_template, context)

    def _imported(self, request, count: int) -> HttpResponseRedirect:
        self.message_user(request, f"Imported {count} updates as drafts. Nothing is published yet.", messages.SUCCESS)
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        return HttpResponseRedirect(f"{changelist}?publication_status__exact={PublicationStatus.DRAFT}")

    def template_csv_view(self, request):
        self._check_may_import(request)
        text = io.StringIO()
        csv.writer(text).writerows(imports.template_rows())  # the fixed column names only
        response = HttpResponse(text.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="pilot-updates-template.csv"'
        return response

    def template_xlsx_view(self, request):
        self._check_may_import(request)
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = "Updates"
        for row in imports.template_rows():
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        buffer = io.BytesIO()
        workbook.save(buffer)
        response = HttpResponse(
            buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = 'attachment; filename="pilot-updates-template.xlsx"'
        return response
