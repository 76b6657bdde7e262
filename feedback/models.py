"""What a visitor reports with "Report a problem with this page"."""

from django.db import models

from boroughs.models import LocalAuthority

PAGE_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 1200


class ProblemReport(models.Model):
    """One report: the page it came from (and that page's borough, if it is one), what went wrong and,
    only if the visitor chose to give it, an email address for a reply. No client address is kept."""

    page = models.CharField(max_length=PAGE_MAX_LENGTH, help_text="The address of the page, on this site.")
    authority = models.ForeignKey(
        LocalAuthority,
        verbose_name="borough of the page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problem_reports",
    )
    description = models.TextField("what went wrong", max_length=DESCRIPTION_MAX_LENGTH)
    email = models.EmailField("email for a reply", blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "problem report"

    def __str__(self) -> str:
        return f"{self.page} ({self.received_at:%d %b %Y %H:%M})"
