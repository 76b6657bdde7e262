"""Emails about proposals: a proposal tells the editors; publishing or returning it tells the officer who
proposed it. Sent once the step's transaction has committed (a step rolled back sends nothing), at most
once per proposal, step and person (a ``SentNotification`` row, written before sending, is the proof),
and only to people who may see the record. A failed send is recorded on its row, never an error page."""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import EDITORS_GROUP, Proposal, SentNotification
from .scoping import in_scope

logger = logging.getLogger(__name__)

SUBJECTS = {
    SentNotification.Event.PROPOSED: "For publication: {record}",
    SentNotification.Event.RETURNED: "Returned for changes: {record}",
    SentNotification.Event.PUBLISHED: "Published: {record}",
}


def notify_after_commit(proposal: Proposal, event: str) -> None:
    """``robust``: should the database fail us while sending, the step is done all the same (it is logged)."""
    transaction.on_commit(lambda: send_notifications(proposal_id=proposal.pk, event=event), robust=True)


def recipients(proposal: Proposal, event: str) -> list[AbstractBaseUser]:
    """Who hears of ``event``: the editors of a new proposal, the proposer of a decision; never the person
    who took the step, and only people with an address who may see the record."""
    if event == SentNotification.Event.PROPOSED:
        candidates = list(
            get_user_model()
            ._default_manager.filter(is_active=True, groups__name=EDITORS_GROUP)
            .exclude(email="")
            .order_by("pk")
            .distinct()
        )
        actor = proposal.proposed_by
    else:
        candidates = [proposal.proposed_by] if proposal.proposed_by.is_active and proposal.proposed_by.email else []
        actor = proposal.decided_by
    record = proposal.record
    return [user for user in candidates if user.pk != actor.pk and record is not None and in_scope(record, user)]


def send_notifications(*, proposal_id: int, event: str) -> None:
    proposal = Proposal.objects.select_related("content_type", "proposed_by", "decided_by").get(pk=proposal_id)
    for user in recipients(proposal, event):
        subject, body = _message(proposal, event, user)
        try:
            with transaction.atomic():
                notification = SentNotification.objects.create(
                    proposal=proposal, event=event, recipient=user, address=user.email, subject=subject, body=body
                )
        except IntegrityError:  # already written for this person: never twice
            continue
        try:
            send_mail(subject, body, None, [user.email])
        except Exception as error:  # any mail backend's failure; the step itself is done and committed
            logger.warning("Could not send %r to %s: %s", subject, user.email, error)
            SentNotification.objects.filter(pk=notification.pk).update(failure=str(error) or type(error).__name__)
        else:
            SentNotification.objects.filter(pk=notification.pk).update(sent_at=timezone.now())


def _message(proposal: Proposal, event: str, user: AbstractBaseUser) -> tuple[str, str]:
    record = proposal.record
    opts = record._meta
    page = (
        reverse("admin:officers_proposal_changelist")
        if event == SentNotification.Event.PROPOSED
        else reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[record.pk])
    )
    subject = " ".join(SUBJECTS[event].format(record=record).split())[:255]  # one line: no header injection
    body = render_to_string(
        "officers/email/proposal.txt",
        {
            "proposal": proposal,
            "record": record,
            "kind": opts.verbose_name,
            "event": event,
            "recipient": user,
            "link": settings.PORTAL_URL.rstrip("/") + page,
        },
    )
    return subject, body
