"""Problem reports from the public: editors triage every report; a borough officer those about their own
borough's pages (``officers.scoping``), by the same admin base as every other record, so the scope, the
locking and the history apply to the list, the change page, its history and the list actions alike."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from feedback.models import ProblemReport
from officers.admin.base import PortalModelAdmin


@admin.register(ProblemReport)
class ProblemReportAdmin(PortalModelAdmin):
    list_display = ["received_at", "status", "page_link", "authority", "summary", "email"]
    list_filter = ["status", ("authority", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["authority"]
    search_fields = ["description", "page", "email", "note"]
    date_hierarchy = "received_at"
    readonly_fields = ["received_at", "page_link", "description", "email"]
    officer_readonly_fields = ["authority"]
    fieldsets = [
        ("What the visitor reported", {"fields": ["received_at", "page_link", "authority", "description", "email"]}),
        ("Dealing with it", {"fields": ["status", "note", "version"]}),
    ]
    help_texts = {
        "authority": "The borough whose officers see this report. Editors may pass a report to a borough.",
    }

    @admin.display(description="page", ordering="page")
    def page_link(self, report: ProblemReport) -> str:
        return format_html('<a href="{}">{}</a>', report.page, report.page) if report.page else "-"

    @admin.display(description="what went wrong")
    def summary(self, report: ProblemReport) -> str:
        return Truncator(report.description).chars(120)

    def has_add_permission(self, request) -> bool:
        return False  # reports come from the public form only
