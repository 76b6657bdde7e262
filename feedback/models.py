"""What a visitor reports with "Report a problem with this page", and how the portal's staff deal with it."""

from concurrency.fields import IntegerVersionField
from django.db import models
from simple_history.models import HistoricalRecords

from boroughs.models import LocalAuthority

PAGE_MAX_LENGTH = 500
DESCRIPTION_MAX_LENGTH = 1200


class ProblemReport(models.Model):
    """One report: the page it came from (and that page's borough, if it is one), what went wrong and,
    only if the visitor chose to give it, an email address for a reply. No client address is kept.

    Staff triage it (``status``, ``note``); the history records who changed those and when. The visitor's
    own words and email address are left out of the history, so deleting a report deletes them."""

    class Status(models.TextChoices):
        NEW = "new", "New"
        IN_HAND = "in_hand", "In hand"
        CLOSED = "closed", "Closed"

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
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.NEW,
        db_index=True,
        help_text="New: nobody has looked at it yet. In hand: someone is dealing with it. Closed: dealt with.",
    )
    note = models.TextField(
        "internal note",
        blank=True,
        help_text="For the portal's staff only: what was done or who is dealing with it. Never shown to the public.",
    )

    version = IntegerVersionField()
    history = HistoricalRecords(excluded_fields=["description", "email"])

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "problem report"

    def __str__(self) -> str:
        return f"{self.page} ({self.received_at:%d %b %Y %H:%M})"
