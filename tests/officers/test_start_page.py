"""The admin's start page: an officer's borough's records, their drafts and what needs attention (status
evidence over 12 months old, records nobody has saved for 12 months, residents' reports not closed); an
editor sees every borough's. A Hackney officer's page holds nothing of Lewisham's, and the page's queries
do not grow with the data."""

import datetime
import itertools
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from boroughs.models import LocalAuthority
from core.dates import DatePrecision, is_older_than_years
from core.models import PublicationStatus
from feedback.models import ProblemReport
from feedback.services import submit_report
from officers.review import propose, return_proposal
from officers.services import CHECKED_REASON
from officers.start_page import stale_evidence_pilots
from pilots.models import Pilot
from tests.factories import PilotFactory, PilotParticipantFactory, PilotUpdateFactory, SourceFactory
from tests.html import text

from .conftest import change_form_data, client_for

pytestmark = pytest.mark.django_db

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
LEWISHAM_PILOT = "lewisham-physical-and-mental-health-integration"
TODAY = timezone.localdate()


def _page(user) -> str:
    response = client_for(user).get(reverse("admin:index"))
    assert response.status_code == 200
    return response.content.decode()


def _section(page: str, key: str) -> re.Match:
    found = re.search(rf'<section [^>]*id="{key}"[^>]*data-total="(\d+)">(.*?)</section>', page, re.S)
    assert found is not None, key
    return found


def _panel(user, key: str) -> tuple[int, list[str]]:
    """The start page's panel ``key``: its total and the text of its links."""
    found = _section(_page(user), key)
    return int(found.group(1)), [text(link) for link in re.findall(r"<a [^>]*>(.*?)</a>", found.group(2), re.S)]


def _age_history(record, days: int) -> None:
    """Every history entry of ``record`` made ``days`` days ago, as if nobody had saved it since."""
    type(record).history.filter(id=record.pk).update(history_date=timezone.now() - datetime.timedelta(days=days))


def _make_lewisham_need_attention() -> dict:
    pilot = Pilot.objects.get(slug=LEWISHAM_PILOT)
    Pilot.objects.filter(pk=pilot.pk).update(status_as_of=datetime.date(2016, 1, 1), status_as_of_precision="year")
    _age_history(pilot, 800)
    _age_history(LocalAuthority.objects.get(slug="lewisham"), 800)
    update = PilotUpdateFactory(pilot=pilot, title="Lewisham draft about its budget", publication_status="draft")
    report = submit_report(page="/boroughs/lewisham/", description="Lewisham resident: the figure is out of date")
    return {"pilot": pilot, "update": update, "report": report}


def test_a_hackney_officers_start_page_shows_nothing_of_lewishams(hackney_officer, lewisham_officer):
    totals_before = {key: _panel(hackney_officer, key)[0] for key in ("drafts", "stale-evidence", "not-reviewed")}
    reports_before = _panel(hackney_officer, "reports")[0]
    lewisham = _make_lewisham_need_attention()

    page = _page(hackney_officer)
    assert "Lewisham" not in page
    assert lewisham["pilot"].title not in page
    assert lewisham["update"].title not in page
    assert "the figure is out of date" not in page
    for key, total in totals_before.items():
        assert _panel(hackney_officer, key)[0] == total, key
    assert _panel(hackney_officer, "reports")[0] == reports_before == 0

    # ...while Lewisham's officer sees each of them
    lewisham_page = _page(lewisham_officer)
    for shown in (lewisham["pilot"].title, lewisham["update"].title, "the figure is out of date"):
        assert shown in lewisham_page


def test_an_editor_sees_every_boroughs_items(editor, hackney_officer):
    lewisham = _make_lewisham_need_attention()
    hackney_report = submit_report(page="/boroughs/hackney/", description="Hackney resident: a broken link")
    page = _page(editor)
    assert "Every borough: records" in page
    assert lewisham["pilot"].title in page and lewisham["update"].title in page
    assert "the figure is out of date" in page and "a broken link" in page
    assert hackney_report.page in page


def test_the_records_panel_links_to_the_boroughs_lists_with_their_counts(hackney_officer):
    panel = _section(_page(hackney_officer), "your-records").group(2)
    assert "Hackney: records" in text(panel)
    links = set(re.findall(r'href="([^"]+)"', panel))
    for name in ("pilots_pilot", "pilots_pilotupdate", "sources_source", "boroughs_placepartnership"):
        assert reverse(f"admin:{name}_changelist") in links
    pilots = Pilot.objects.filter(participants__authority__slug="hackney").count()
    assert f"Pilots {pilots} record" in text(panel)


def test_a_pilot_with_old_status_evidence_appears_and_goes_once_newer_evidence_is_recorded(hackney_officer):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    thirteen_months_ago = TODAY - datetime.timedelta(days=400)
    Pilot.objects.filter(pk=pilot.pk).update(status_as_of=thirteen_months_ago, status_as_of_precision="day")
    assert pilot.title in _panel(hackney_officer, "stale-evidence")[1]

    Pilot.objects.filter(pk=pilot.pk).update(
        status_as_of=TODAY - datetime.timedelta(days=300), status_as_of_precision="day"
    )
    total, links = _panel(hackney_officer, "stale-evidence")
    assert pilot.title not in links
    assert total == 0
    assert "Every pilot&#x27;s status rests on evidence from the last 12 months." in _page(hackney_officer)


def test_a_month_or_year_of_evidence_is_old_only_once_its_last_day_is(editor):
    """The database condition and the pilot page's rule (core.dates.is_older_than_years) agree on every
    date and precision around the limit."""
    today = datetime.date(2026, 12, 1)
    pilots = {}
    for offset, precision in itertools.product(range(330, 800, 9), DatePrecision.values):
        value = today - datetime.timedelta(days=offset)
        if precision == DatePrecision.MONTH:
            value = value.replace(day=1)
        elif precision == DatePrecision.YEAR:
            value = value.replace(month=1, day=1)
        pilot = PilotFactory(status_as_of=value, status_as_of_precision=precision, sources=[])
        PilotParticipantFactory(pilot=pilot, authority=LocalAuthority.objects.get(slug="hackney"))
        pilots[pilot.pk] = is_older_than_years(value, precision, 1, today)
    stale = set(stale_evidence_pilots(editor, today).filter(pk__in=pilots).values_list("pk", flat=True))
    assert stale == {pk for pk, old in pilots.items() if old}
    assert 0 < len(stale) < len(pilots)


def test_a_record_nobody_saved_for_12_months_appears_and_goes_once_it_is_saved(hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    assert hackney.name not in _panel(hackney_officer, "not-reviewed")[1]
    _age_history(hackney, 400)
    total, links = _panel(hackney_officer, "not-reviewed")
    assert hackney.name in links and total >= 1

    data = change_form_data(hackney_officer, hackney)
    data["description"] = "Checked again: health and care in Hackney, in plain words."
    response = client_for(hackney_officer).post(
        reverse("admin:boroughs_localauthority_change", args=[hackney.pk]), data
    )
    assert response.status_code == 302
    assert hackney.name not in _panel(hackney_officer, "not-reviewed")[1]
    assert _panel(hackney_officer, "not-reviewed")[0] == total - 1


def test_a_withdrawn_pilot_needs_no_attention(hackney_officer):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    Pilot.objects.filter(pk=pilot.pk).update(
        status_as_of=datetime.date(2016, 1, 1), status_as_of_precision="year", publication_status="withdrawn"
    )
    _age_history(pilot, 400)
    assert pilot.title not in _panel(hackney_officer, "stale-evidence")[1]
    assert pilot.title not in _panel(hackney_officer, "not-reviewed")[1]


def test_an_open_report_appears_until_it_is_closed(hackney_officer):
    report = submit_report(page="/boroughs/hackney/", description="The phone number is wrong")
    total, links = _panel(hackney_officer, "reports")
    assert total == 1 and report.page in links
    ProblemReport.objects.filter(pk=report.pk).update(status=ProblemReport.Status.IN_HAND)
    assert _panel(hackney_officer, "reports")[0] == 1
    ProblemReport.objects.filter(pk=report.pk).update(status=ProblemReport.Status.CLOSED)
    assert _panel(hackney_officer, "reports") == (0, [])


def test_drafts_are_the_officers_own_boroughs_and_the_sources_they_added(hackney_officer):
    pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    update = PilotUpdateFactory(pilot=pilot, title="Hackney draft on the joint budget", publication_status="draft")
    mine = SourceFactory(title="A source the officer is still checking", publication_status="draft")
    mine.created_by = hackney_officer
    mine.save()
    someone_elses = SourceFactory(title="Someone else's draft source", publication_status="draft")
    total, links = _panel(hackney_officer, "drafts")
    assert str(update) in links and str(mine) in links
    assert str(someone_elses) not in links
    assert total == 2


def _add_hackney_items(count: int, officer, editor) -> None:
    hackney = LocalAuthority.objects.get(slug="hackney")
    source = SourceFactory()
    for _ in range(count):
        pilot = PilotFactory(status_as_of=datetime.date(2016, 1, 1), status_as_of_precision="year", sources=[source])
        PilotParticipantFactory(pilot=pilot, authority=hackney)
        _age_history(pilot, 400)
        update = PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT, sources=[source])
        _age_history(update, 400)
        draft_source = SourceFactory(publication_status=PublicationStatus.DRAFT)
        draft_source.created_by = officer
        draft_source.save()
        submit_report(page="/boroughs/hackney/", description="Something is wrong on this page.")
        propose(record=update, by=officer)
        returned = PilotUpdateFactory(pilot=pilot, publication_status=PublicationStatus.DRAFT, sources=[source])
        return_proposal(proposal=propose(record=returned, by=officer), by=editor, reason="Name the source's page.")


@pytest.mark.parametrize("who", ["hackney", "editor"])
def test_the_start_pages_queries_do_not_grow_with_the_data(users, who, request):
    user = users[who]
    client = client_for(user)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("admin:index"))
        assert response.status_code == 200
        return len(queries)

    _add_hackney_items(4, users["hackney"], users["editor"])
    small = count()
    _add_hackney_items(8, users["hackney"], users["editor"])  # 3N
    large = count()
    assert large == small, f"{small} queries with N records, {large} with 3N"
    request.config.stash.setdefault("start_page_queries", {})[who] = small
    print(f"start page queries ({who}): {small}")


def test_marking_a_record_as_checked_takes_it_off_the_list_and_is_in_its_history(hackney_officer):
    hackney = LocalAuthority.objects.get(slug="hackney")
    lewisham = LocalAuthority.objects.get(slug="lewisham")
    _age_history(hackney, 400)
    _age_history(lewisham, 400)
    description = hackney.description
    client = client_for(hackney_officer)
    changelist = reverse("admin:boroughs_localauthority_changelist")

    refused = client.post(
        changelist, {"action": "mark_checked", ACTION_CHECKBOX_NAME: [f"{lewisham.pk},{lewisham.version}"]}
    )
    assert refused.status_code == 302
    assert lewisham.history.latest().history_change_reason != CHECKED_REASON  # not in the officer's list

    response = client.post(
        changelist, {"action": "mark_checked", ACTION_CHECKBOX_NAME: [f"{hackney.pk},{hackney.version}"]}, follow=True
    )
    assert "Marked as checked 1 record(s)." in response.content.decode()
    assert hackney.name not in _panel(hackney_officer, "not-reviewed")[1]
    latest = hackney.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (hackney_officer, CHECKED_REASON)
    hackney.refresh_from_db()
    assert hackney.description == description  # nothing else changed


def _sent_and_returned(officer, editor, pilot_slug: str, title: str) -> tuple:
    pilot = Pilot.objects.get(slug=pilot_slug)
    source = SourceFactory()
    waiting = PilotUpdateFactory(pilot=pilot, title=f"{title}: waiting", publication_status="draft", sources=[source])
    proposal = propose(record=waiting, by=officer)
    returned = PilotUpdateFactory(pilot=pilot, title=f"{title}: returned", publication_status="draft", sources=[source])
    return_proposal(proposal=propose(record=returned, by=officer), by=editor, reason=f"{title}: cite the minutes")
    return proposal, returned


def test_proposals_sent_and_returned_are_on_the_officers_start_page_and_only_theirs(
    hackney_officer, lewisham_officer, editor
):
    _sent_and_returned(hackney_officer, editor, HACKNEY_PILOT, "Hackney")
    _, lewisham_returned = _sent_and_returned(lewisham_officer, editor, LEWISHAM_PILOT, "Lewisham")

    hackney = Pilot.objects.get(slug=HACKNEY_PILOT).title
    assert _panel(hackney_officer, "sent-for-review") == (1, [f"{hackney}: Hackney: waiting"])
    assert _panel(hackney_officer, "returned") == (1, [f"{hackney}: Hackney: returned"])
    page = _page(hackney_officer)
    assert "Hackney: cite the minutes" in _section(page, "returned").group(2)
    assert "Lewisham" not in page

    # Sent again, it leaves "returned" and waits for an editor
    propose(record=lewisham_returned, by=lewisham_officer)
    assert _panel(lewisham_officer, "returned")[0] == 0
    assert _panel(lewisham_officer, "sent-for-review")[0] == 2


def test_an_editors_start_page_lists_the_queue_oldest_first(hackney_officer, lewisham_officer, editor):
    first, _ = _sent_and_returned(hackney_officer, editor, HACKNEY_PILOT, "Hackney")
    _sent_and_returned(lewisham_officer, editor, LEWISHAM_PILOT, "Lewisham")
    total, links = _panel(editor, "review-queue")
    titles = [Pilot.objects.get(slug=slug).title for slug in (HACKNEY_PILOT, LEWISHAM_PILOT)]
    assert (total, links[:2]) == (2, [f"{titles[0]}: Hackney: waiting", f"{titles[1]}: Lewisham: waiting"])
    section = _section(_page(editor), "review-queue").group(2)
    assert reverse("admin:officers_proposal_publish", args=[first.pk]) in section
    assert 'id="returned"' not in _page(editor)
