"""Who may edit what in the admin.

Two roles, each a group created by a migration (``officers/migrations/0002_groups.py``):

- **Portal editors** hold every model permission plus ``officers.edit_all_boroughs``: they see and
  change everything and publish anything.
- **Borough officers** hold a small set of model permissions, and an :class:`OfficerProfile`
  attaches them to one or more local authorities; every admin route is scoped to those
  authorities (see ``officers/admin/base.py``).
"""

from concurrency.fields import IntegerVersionField
from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from boroughs.models import LocalAuthority

EDITORS_GROUP = "Portal editors"
OFFICERS_GROUP = "Borough officers"
EDIT_ALL_PERMISSION = "officers.edit_all_boroughs"


class OfficerProfile(models.Model):
    """A council officer's link to the authorities whose records they keep current."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="officer_profile", verbose_name="user"
    )
    authorities = models.ManyToManyField(
        LocalAuthority,
        related_name="officers",
        verbose_name="authorities",
        help_text="The borough(s) this officer may edit. They see nothing of any other borough.",
    )

    version = IntegerVersionField()
    history = HistoricalRecords(m2m_fields=["authorities"])

    class Meta:
        ordering = ["user__username"]
        verbose_name = "borough officer"
        verbose_name_plural = "borough officers"
        permissions = [("edit_all_boroughs", "Can edit every borough's records and publish anything (portal editor)")]

    def __str__(self) -> str:
        names = ", ".join(authority.name for authority in self.authorities.all())
        return f"{self.user.get_username()} ({names or 'no borough yet'})"


class Proposal(models.Model):
    """An officer's draft sent to the editors for publication (``officers.review``). One record has at most
    one proposal awaiting a decision; a returned one carries the editor's reason, shown on the record's page."""

    class State(models.TextChoices):
        AWAITING = "awaiting", "Awaiting an editor"
        RETURNED = "returned", "Returned for changes"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn: published or withdrawn outside the queue"

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name="kind of record")
    object_id = models.PositiveBigIntegerField("record id")
    record = GenericForeignKey("content_type", "object_id")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="proposed by"
    )
    proposed_at = models.DateTimeField("proposed at", default=timezone.now, db_index=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.AWAITING, db_index=True)
    reason = models.TextField("reason for returning it", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="decided by",
    )
    decided_at = models.DateTimeField("decided at", null=True, blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        verbose_name = "proposal for publication"
        verbose_name_plural = "review queue"
        indexes = [models.Index(fields=["content_type", "object_id"], name="proposal_record")]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"],
                condition=models.Q(state="awaiting"),
                name="proposal_one_awaiting_per_record",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="returned") | ~models.Q(reason=""), name="proposal_returned_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.name} #{self.object_id} proposed by {self.proposed_by} ({self.get_state_display()})"


class SentNotification(models.Model):
    """One email about a proposal to one person, written before it is sent so that it is never sent twice;
    a failed send is recorded here instead of breaking the page that caused it."""

    class Event(models.TextChoices):
        PROPOSED = "proposed", "Proposed for publication"
        RETURNED = "returned", "Returned for changes"
        PUBLISHED = "published", "Published"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="notifications")
    event = models.CharField(max_length=10, choices=Event.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    address = models.EmailField("sent to")
    subject = models.CharField(max_length=255)
    body = models.TextField()
    created_at = models.DateTimeField("written at", default=timezone.now)
    sent_at = models.DateTimeField("sent at", null=True, blank=True)
    failure = models.TextField("why sending failed", blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "email notification"
        verbose_name_plural = "email notifications"
        constraints = [
            models.UniqueConstraint(fields=["proposal", "event", "recipient"], name="notification_once_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.subject} (to {self.address})"
