"""The review queue: an officer sends a draft to the editors; an editor returns it with a reason, which the
officer reads on the record's page, edits and sends again; the editor publishes it. Each step is in the
record's history and mailed exactly once, after it commits, to nobody outside the record's borough; an
officer of another borough can neither see, propose nor decide; bad or stale input is a form error or a 4xx."""

import smtplib

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.models import PublicationStatus
from officers.differences import reviews
from officers.models import EDITORS_GROUP, OfficerProfile, Proposal, SentNotification
from officers.notifications import send_notifications
from officers.review import awaiting_review, proposals_of, propose, publish_proposal, return_proposal, returned_to
from pilots.models import Pilot, PilotUpdate
from tests.factories import PilotUpdateFactory, SourceFactory, UserFactory

from .conftest import change_form_data, client_for

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
QUEUE = "admin:officers_proposal_changelist"
REASON = "Cite the board's minutes for the new status, not the press release."


def _url(obj, view="change"):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}", args=[obj.pk])


def _decision_url(proposal, decision):
    return reverse(f"admin:officers_proposal_{decision}", args=[proposal.pk])


@pytest.fixture
def source(db):
    return SourceFactory(title="Hackney board minutes", url="https://example.org/hackney-minutes")


@pytest.fixture
def draft(db, hackney_officer, source):
    """A Hackney officer's draft that changes the pilot's status: only an editor may publish it."""
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    new_status = next(value for value in Pilot.Status.values if value != pilot.status)
    update = PilotUpdateFactory(
        pilot=pilot, title="Joint budget agreed", status_after=new_status, publication_status=PublicationStatus.DRAFT
    )
    update.sources.set([source])
    return update


def _reasons(record) -> list[str]:
    return list(record.history.order_by("history_date").values_list("history_change_reason", flat=True))


def _mail_to(address: str) -> list:
    return [message for message in mail.outbox if address in message.to]


@pytest.mark.django_db
def test_propose_return_edit_propose_again_publish(
    hackney_officer, lewisham_officer, editor, draft, django_capture_on_commit_callbacks
):
    officer = client_for(hackney_officer)
    editors = client_for(editor)
    pilot = draft.pilot

    # The officer's draft page offers to send it; sending it puts it in the queue and mails the editors.
    page = officer.get(_url(draft)).content.decode()
    assert "Send to an editor for publication" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = officer.post(_url(draft, "propose"), {"version": draft.version})
    assert response.status_code == 302
    proposal = awaiting_review().get()
    assert (proposal.record, proposal.proposed_by) == (draft, hackney_officer)
    assert _reasons(draft)[-1] == "Sent to an editor for publication"
    assert [message.to for message in mail.outbox] == [[editor.email]]
    assert "Joint budget agreed" in mail.outbox[0].subject
    assert "http://127.0.0.1:8000" + reverse(QUEUE) in mail.outbox[0].body
    assert "With an editor" in officer.get(_url(draft)).content.decode()

    # The queue shows who, when, the change to the pilot's status and the sources, linked.
    queue = editors.get(reverse(QUEUE))
    assert queue.status_code == 200
    text = queue.content.decode()
    assert "officer-hackney" in text
    assert "The pilot&#x27;s status" in text
    assert pilot.get_status_display() in text and draft.get_status_after_display() in text
    assert 'href="https://example.org/hackney-minutes"' in text
    assert _decision_url(proposal, "return") in text and _decision_url(proposal, "publish") in text

    # Returning needs a reason; with one, the officer is told and sees it on the record's page.
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        refused = editors.post(_decision_url(proposal, "return"), {"version": draft.version, "reason": "  "})
    assert refused.status_code == 400
    assert "Say why you are returning it" in refused.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.AWAITING
    assert len(mail.outbox) == 1
    with django_capture_on_commit_callbacks(execute=True):
        response = editors.post(_decision_url(proposal, "return"), {"version": draft.version, "reason": REASON})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.state, proposal.reason, proposal.decided_by) == (Proposal.State.RETURNED, REASON, editor)
    assert _reasons(draft)[-1].startswith("Returned to officer-hackney for changes: Cite the board")
    returned_mail = _mail_to(hackney_officer.email)
    assert len(returned_mail) == 1 and REASON in returned_mail[0].body
    assert "http://127.0.0.1:8000" + _url(draft) in returned_mail[0].body
    assert list(returned_to(hackney_officer)) == [proposal]
    page = officer.get(_url(draft)).content.decode()
    assert "Returned for changes" in page and "Cite the board&#x27;s minutes" in page
    assert 'class="govuk-notification-banner"' in page

    # The officer edits and sends it again; the editor publishes it from the queue.
    data = change_form_data(hackney_officer, PilotUpdate.objects.get(pk=draft.pk))
    data["body"] = "The joint budget was agreed by the board."
    assert officer.post(_url(draft), data).status_code == 302
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        officer.post(_url(draft, "propose"), {"version": draft.version})
    again = awaiting_review().get()
    assert again != proposal and list(returned_to(hackney_officer)) == []
    assert len(_mail_to(editor.email)) == 2
    assert "The joint budget was agreed by the board." in editors.get(reverse(QUEUE)).content.decode()

    draft.refresh_from_db()
    assert editors.get(_decision_url(again, "publish")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = editors.post(_decision_url(again, "publish"), {"version": draft.version})
    assert response.status_code == 302
    draft.refresh_from_db()
    again.refresh_from_db()
    assert draft.publication_status == PublicationStatus.PUBLISHED and draft.published_by == editor
    assert again.state == Proposal.State.PUBLISHED
    assert _reasons(draft)[-1] == "Published from the review queue, as proposed by officer-hackney"
    assert [m.subject for m in _mail_to(hackney_officer.email)][-1] == "Published: " + str(draft)

    # Pressing "Publish it" again (the page was open twice) is refused, and nothing more is sent.
    with django_capture_on_commit_callbacks(execute=True):
        twice = editors.post(_decision_url(again, "publish"), {"version": draft.version})
    assert twice.status_code == 400
    assert "decided already (Published by editor," in twice.content.decode()
    assert len(mail.outbox) == 4
    assert _mail_to(lewisham_officer.email) == []
    assert SentNotification.objects.filter(sent_at__isnull=False).count() == 4
    assert [p.state for p in proposals_of(hackney_officer)] == ["published", "returned"]


@pytest.mark.django_db
def test_a_decision_on_a_page_showing_an_older_version_is_refused(hackney_officer, editor, draft):
    proposal = propose(record=draft, by=hackney_officer)
    draft.refresh_from_db()
    seen = draft.version
    data = change_form_data(hackney_officer, draft)
    data["title"] = "Joint budget agreed in March"
    assert client_for(hackney_officer).post(_url(draft), data).status_code == 302  # edited while in the queue
    response = client_for(editor).post(_decision_url(proposal, "publish"), {"version": seen})
    assert response.status_code == 400
    assert "the record was changed after you opened this page" in response.content.decode()
    for version in ("", "abc", "9" * 30):
        response = client_for(editor).post(_decision_url(proposal, "return"), {"version": version, "reason": REASON})
        assert response.status_code == 400
    proposal.refresh_from_db()
    draft.refresh_from_db()
    assert proposal.state == Proposal.State.AWAITING and draft.publication_status == PublicationStatus.DRAFT


@pytest.mark.django_db
def test_publishing_keeps_the_rule_that_a_record_cites_a_published_source(hackney_officer, editor, draft):
    draft.sources.set([SourceFactory(publication_status=PublicationStatus.DRAFT)])
    proposal = propose(record=draft, by=hackney_officer)
    draft.refresh_from_db()
    response = client_for(editor).post(_decision_url(proposal, "publish"), {"version": draft.version})
    assert response.status_code == 400
    assert "Add at least one published source" in response.content.decode()
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.AWAITING


@pytest.mark.django_db
def test_sending_what_cannot_be_sent_is_a_message_not_an_error(hackney_officer, draft):
    officer = client_for(hackney_officer)
    assert officer.get(_url(draft, "propose")).status_code == 405
    for version in ("", "abc", str(draft.version + 1)):  # a page showing another version: nothing sent
        response = officer.post(_url(draft, "propose"), {"version": version}, follow=True)
        assert "the record was changed after you opened this page" in response.content.decode()
    assert not Proposal.objects.exists()
    officer.post(_url(draft, "propose"), {"version": draft.version})
    draft.refresh_from_db()
    response = officer.post(_url(draft, "propose"), {"version": draft.version}, follow=True)
    assert "already with an editor" in response.content.decode()
    published = PilotUpdate.objects.get(pilot=draft.pilot, slug="announced")
    response = officer.post(_url(published, "propose"), {"version": published.version}, follow=True)
    assert "Only a draft is sent for publication" in response.content.decode()
    assert Proposal.objects.count() == 1


@pytest.mark.django_db
def test_the_list_action_sends_the_selected_drafts(hackney_officer, editor, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hackney_officer).post(
            reverse("admin:pilots_pilotupdate_changelist"),
            {"action": "propose_selected", ACTION_CHECKBOX_NAME: [f"{draft.pk},{draft.version}"]},
        )
    assert response.status_code == 302
    assert awaiting_review().get().record == draft
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_an_officer_of_another_borough_can_neither_see_propose_nor_decide(
    hackney_officer, lewisham_officer, draft, django_capture_on_commit_callbacks
):
    lewisham = client_for(lewisham_officer)
    assert lewisham.get(_url(draft)).status_code == 404
    assert lewisham.post(_url(draft, "propose"), {"version": draft.version}).status_code == 404
    lewisham.post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "propose_selected", ACTION_CHECKBOX_NAME: [f"{draft.pk},{draft.version}"]},
    )
    assert not Proposal.objects.exists()
    with pytest.raises(PermissionDenied):  # the service refuses too
        propose(record=draft, by=lewisham_officer)

    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(record=draft, by=hackney_officer)
    draft.refresh_from_db()
    # Officers (Hackney's own too) never see the queue nor decide, by any route.
    for user in (lewisham_officer, hackney_officer):
        client = client_for(user)
        assert client.get(reverse(QUEUE)).status_code == 403
        action = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [proposal.pk], "post": "yes"}
        assert client.post(reverse(QUEUE), action).status_code == 403
        assert client.get(reverse("admin:officers_proposal_change", args=[proposal.pk])).status_code in (403, 404)
        for decision in ("publish", "return"):
            assert client.get(_decision_url(proposal, decision)).status_code == 403
            response = client.post(_decision_url(proposal, decision), {"version": draft.version, "reason": "x"})
            assert response.status_code == 403
        with pytest.raises(PermissionDenied):
            publish_proposal(proposal=proposal, by=user)
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.AWAITING
    assert _mail_to(lewisham_officer.email) == [] and _mail_to(hackney_officer.email) == []


@pytest.mark.django_db
def test_mail_goes_only_to_active_editors_with_an_address_and_the_proposer_in_scope(
    hackney_officer, lewisham_officer, editor, draft, django_capture_on_commit_callbacks
):
    editors = Group.objects.get(name=EDITORS_GROUP)
    editors.user_set.add(
        UserFactory(username="no-address", email="", is_staff=True),
        UserFactory(username="left", email="left@example.org", is_staff=True, is_active=False),
    )
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(record=draft, by=hackney_officer)
    assert [message.to for message in mail.outbox] == [[editor.email]]

    # The proposer has moved to Lewisham since: the decision about Hackney's record is not mailed to them.
    OfficerProfile.objects.get(user=hackney_officer).authorities.set(lewisham_officer.officer_profile.authorities.all())
    with django_capture_on_commit_callbacks(execute=True):
        return_proposal(proposal=proposal, by=editor, reason=REASON)
    assert len(mail.outbox) == 1
    assert not SentNotification.objects.filter(recipient=hackney_officer).exists()
    moved = type(hackney_officer).objects.get(pk=hackney_officer.pk)  # as their next request reads them
    assert list(proposals_of(moved)) == []  # nor listed for them


@pytest.mark.django_db
def test_nothing_is_mailed_for_a_step_that_is_rolled_back(hackney_officer, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        propose(record=draft, by=hackney_officer)
    assert len(callbacks) == 1 and mail.outbox == []  # not sent before the step commits


@pytest.mark.django_db
def test_a_notification_is_never_sent_twice(hackney_officer, editor, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proposal = propose(record=draft, by=hackney_officer)
    send_notifications(proposal_id=proposal.pk, event=SentNotification.Event.PROPOSED)  # a retry, say
    assert len(mail.outbox) == 1
    assert SentNotification.objects.get().sent_at is not None


@pytest.mark.django_db
def test_a_failed_send_is_recorded_not_an_error_page(
    hackney_officer, editor, draft, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    monkeypatch.setattr("officers.notifications.send_mail", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(hackney_officer).post(_url(draft, "propose"), {"version": draft.version})
    assert response.status_code == 302
    assert awaiting_review().exists()
    notification = SentNotification.objects.get()
    assert notification.sent_at is None and "Connection unexpectedly closed" in notification.failure
    listing = client_for(editor).get(reverse("admin:officers_sentnotification_changelist")).content.decode()
    assert "not sent: Connection unexpectedly closed" in listing


@pytest.mark.django_db
def test_officers_see_only_their_own_mail(hackney_officer, lewisham_officer, editor, draft):
    proposal = propose(record=draft, by=hackney_officer)
    return_proposal(proposal=proposal, by=editor, reason=REASON)
    send_notifications(proposal_id=proposal.pk, event=SentNotification.Event.PROPOSED)
    send_notifications(proposal_id=proposal.pk, event=SentNotification.Event.RETURNED)
    changelist = reverse("admin:officers_sentnotification_changelist")
    listed = {
        name: [n.recipient for n in client_for(user).get(changelist).context["cl"].result_list]
        for name, user in (("hackney", hackney_officer), ("lewisham", lewisham_officer), ("editor", editor))
    }
    assert listed == {"hackney": [hackney_officer], "lewisham": [], "editor": [hackney_officer, editor]}


@pytest.mark.django_db
def test_a_deleted_draft_leaves_the_queue(hackney_officer, draft):
    propose(record=draft, by=hackney_officer)
    draft.delete()
    assert not awaiting_review().exists()


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(QUEUE))
    assert response.status_code == 200
    return len(queries)


def _propose_drafts(officer, pilot, source, count):
    for _ in range(count):
        update = PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT, status_after="")
        update.sources.set([source])
        propose(record=update, by=officer)
    own = SourceFactory(publication_status=PublicationStatus.DRAFT, created_by=officer)
    propose(record=own, by=officer)


@pytest.mark.django_db
def test_the_queue_takes_the_same_number_of_queries_as_it_grows(hackney_officer, editor, source):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    published = PilotUpdate.objects.get(pilot=pilot, slug="announced")
    client = client_for(editor)
    _propose_drafts(hackney_officer, pilot, source, 5)
    published.publication_status = PublicationStatus.DRAFT  # an edit of a published update, proposed
    published.save()
    propose(record=published, by=hackney_officer)
    few, few_count = _queue_queries(client), awaiting_review().count()
    _propose_drafts(hackney_officer, pilot, source, 13)
    many, many_count = _queue_queries(client), awaiting_review().count()
    print(f"\nreview queue: {few_count} proposals, {few} queries; {many_count} proposals, {many} queries")
    assert many_count == 3 * few_count
    assert many == few


@pytest.mark.django_db
@pytest.mark.parametrize("object_id", [":", "nan", "9" * 20, "0"])
@pytest.mark.parametrize("view", ["officers_proposal_publish", "officers_proposal_return", "sources_source_propose"])
def test_a_decision_or_proposal_on_an_id_that_names_nothing_is_not_found(editor, view, object_id):
    client = client_for(editor)
    assert client.get(reverse(f"admin:{view}", args=[object_id])).status_code in (404, 405)
    assert client.post(reverse(f"admin:{view}", args=[object_id]), {"version": "1", "reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_queue_and_its_decisions_send_anonymous_visitors_to_sign_in(hackney_officer, draft):
    proposal = propose(record=draft, by=hackney_officer)
    for url in (reverse(QUEUE), _decision_url(proposal, "publish"), _decision_url(proposal, "return")):
        response = client_for(None).post(url, {"version": draft.version, "reason": "x"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.AWAITING


@pytest.mark.django_db
def test_the_queue_shows_an_edit_of_a_published_update_against_its_published_version(hackney_officer, editor):
    update = PilotUpdate.objects.get(pilot__slug=HACKNEY_PILOT, slug="announced")
    before = update.body
    data = change_form_data(hackney_officer, update)
    data.update(body="A new account of the announcement.", publication_status=PublicationStatus.DRAFT)
    assert client_for(hackney_officer).post(_url(update), data).status_code == 302
    proposal = propose(record=PilotUpdate.objects.get(pk=update.pk), by=hackney_officer)
    [review] = reviews([proposal])
    assert review.published_before
    assert [(change.label, change.before, change.after) for change in review.changes] == [
        ("Body", before, "A new account of the announcement.")
    ]
    text = client_for(editor).get(reverse(QUEUE)).content.decode()
    assert "against its last published version" in text and "A new account of the announcement." in text


@pytest.mark.django_db
def test_a_draft_published_outside_the_queue_leaves_it_and_can_be_proposed_again(hackney_officer, editor, source):
    """An officer may publish an update that changes no status themselves, from its page or the list."""
    update = PilotUpdateFactory(
        pilot=Pilot.objects.get(slug=HACKNEY_PILOT), status_after="", publication_status=PublicationStatus.DRAFT
    )
    update.sources.set([source])
    proposal = propose(record=update, by=hackney_officer)
    update.refresh_from_db()
    response = client_for(hackney_officer).post(
        reverse("admin:pilots_pilotupdate_changelist"),
        {"action": "publish_selected", ACTION_CHECKBOX_NAME: [f"{update.pk},{update.version}"]},
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.state == Proposal.State.WITHDRAWN
    assert not awaiting_review().exists()
    response = client_for(editor).post(_decision_url(proposal, "publish"), {"version": update.version})
    assert response.status_code == 400  # nothing left to decide
    assert "decided already (Withdrawn: published or withdrawn outside the queue," in response.content.decode()

    update.refresh_from_db()
    update.publication_status = PublicationStatus.DRAFT
    update.save()
    assert propose(record=update, by=hackney_officer).state == Proposal.State.AWAITING
