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
from django.db import models
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
