"""Problem reports from the public, for editors: read, follow the page they came from, delete."""

from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator

from feedback.models import ProblemReport


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["received_at", "page_link", "authority", "summary", "email"]
    list_filter = [("authority", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["authority"]
    search_fields = ["description", "page", "email"]
    date_hierarchy = "received_at"
    fields = ["received_at", "page_link", "authority", "description", "email"]
    readonly_fields = fields

    @admin.display(description="page", ordering="page")
    def page_link(self, report: ProblemReport) -> str:
        return format_html('<a href="{}">{}</a>', report.page, report.page) if report.page else "-"

    @admin.display(description="what went wrong")
    def summary(self, report: ProblemReport) -> str:
        return Truncator(report.description).chars(120)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
