"""'Last updated' on public pages comes from the records' history (django-simple-history)."""

import datetime

from django.db import models


def last_updated(instance: models.Model) -> datetime.datetime | None:
    """When the record last changed, in one query; None if it has no history."""
    return instance.history.order_by("-history_date").values_list("history_date", flat=True).first()
