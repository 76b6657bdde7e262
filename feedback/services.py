"""Storing a problem report, within a per-client limit."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.urls import Resolver404, resolve

from boroughs.models import LocalAuthority
from core.ratelimit import seconds_until_allowed

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
    FEEDBACK_RATE_WINDOW seconds, counted where every app server sees it (``core.ratelimit``)."""
    limit, window = settings.FEEDBACK_RATE_LIMIT, settings.FEEDBACK_RATE_WINDOW
    return seconds_until_allowed(scope="feedback", client=client, limit=limit, window=window) == 0


@transaction.atomic
def submit_report(*, page: str, description: str, email: str = "") -> ProblemReport:
    return ProblemReport.objects.create(
        page=page, authority=authority_of_page(page) if page else None, description=description, email=email
    )
