"""Storing a problem report, within a per-client limit."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import Resolver404, resolve

from boroughs.models import LocalAuthority

from .models import ProblemReport


def authority_of_page(page: str) -> LocalAuthority | None:
    """The borough a page is about, when it is a borough's page ("/boroughs/hackney/")."""
    try:
        match = resolve(page.split("?", 1)[0])
    except Resolver404:
        return None
    if match.view_name != "boroughs:detail":
        return None
    return LocalAuthority.objects.filter(slug=match.kwargs.get("slug")).first()


def reports_allowed(*, client: str) -> bool:
    """Count one report from ``client``: True while it is within FEEDBACK_RATE_LIMIT reports per
    FEEDBACK_RATE_WINDOW seconds (a fixed window in the shared cache, so it holds across servers)."""
    limit, window = settings.FEEDBACK_RATE_LIMIT, max(1, settings.FEEDBACK_RATE_WINDOW)
    if limit <= 0:
        return True
    key = f"feedback:rate:{client}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=window + 1)
        count = 1
    return count <= limit


@transaction.atomic
def submit_report(*, page: str, description: str, email: str = "") -> ProblemReport:
    return ProblemReport.objects.create(
        page=page, authority=authority_of_page(page) if page else None, description=description, email=email
    )
