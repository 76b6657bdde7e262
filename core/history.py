"""'Last updated' on public pages comes from the records' history (django-simple-history), and the
admin's steps leave their reasons in it."""

import datetime

from django.db import models
from django.utils.text import Truncator

# django-simple-history keeps at most this many characters of a change reason.
CHANGE_REASON_LENGTH = 100


def last_updated(instance: models.Model) -> datetime.datetime | None:
    """When the record last changed, in one query; None if it has no history."""
    return instance.history.order_by("-history_date").values_list("history_date", flat=True).first()


def save_with_reason(record: models.Model, *, by, reason: str) -> models.Model:
    """Save ``record`` with a history row naming who (``by``) and why (``reason``, cut to what the history
    keeps): the one way a step of the admin's (publish, check, send for review) writes its line."""
    record._history_user = by
    record._change_reason = Truncator(reason).chars(CHANGE_REASON_LENGTH)
    record.save()
    return record
