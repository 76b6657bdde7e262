"""The permission matrix: anonymous, an officer of Hackney, an officer of Lewisham and a portal editor,
against every admin route of every model. Allowed where it should be; a 403 or 404 (or the sign-in
page for anonymous) where not, and the database unchanged after every refused POST."""

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from boroughs.models import IntegratedCareSystem, LocalAuthority, PlacePartnership
from core.models import PublicationStatus
from feedback.services import submit_report
from officers.models import OfficerProfile, SentNotification
from officers.review import propose
from pilots.models import Pilot, PilotUpdate
from sources.models import KeyFigure
from tests.factories import PilotUpdateFactory, SourceFactory, TimelineEventFactory, UserFactory

from .conftest import change_form_data, client_for, snapshot

USERS = ["anonymous", "hackney", "lewisham", "editor"]
ACTIONS = ["list", "change_get", "change_post", "delete_get", "delete_post", "history", "autocomplete"]

HACKNEY_PILOT = "hackney-health-and-social-care-integration"
LEWISHAM_PILOT = "lewisham-physical-and-mental-health-integration"

# Outcomes: shown/hidden (list and autocomplete: 200, record listed or not), ok (allowed), denied (403/404),
# login (sent to the sign-in page), "-" (no such route for this model).
ALL_OK = dict.fromkeys(["hackney", "lewisham", "editor"], "ok")
EDITOR_ONLY = {"hackney": "denied", "lewisham": "denied", "editor": "ok"}
EDITOR_ONLY_LIST = {"hackney": "denied", "lewisham": "denied", "editor": "shown"}
HACKNEYS = {"hackney": "ok", "lewisham": "denied", "editor": "ok"}
HACKNEYS_LIST = {"hackney": "shown", "lewisham": "hidden", "editor": "shown"}
LEWISHAMS = {"hackney": "denied", "lewisham": "ok", "editor": "ok"}
LEWISHAMS_LIST = {"hackney": "hidden", "lewisham": "shown", "editor": "shown"}
# logs: the review queue's proposals and the emails sent; nobody edits or deletes them
NOBODY = dict.fromkeys(["hackney", "lewisham", "editor"], "denied")
# editors may delete, but the database protects areas that other records point to: nothing is deleted
PROTECTED = {"hackney": "denied", "lewisham": "denied", "editor": "protected"}


def _records():
    hackney_pilot = Pilot.objects.get(slug=HACKNEY_PILOT)
    lewisham_pilot = Pilot.objects.get(slug=LEWISHAM_PILOT)
    hackney_officer = get_user_model().objects.get(username="officer-hackney")
    proposal = propose(
        record=PilotUpdateFactory(pilot=hackney_pilot, publication_status=PublicationStatus.DRAFT), by=hackney_officer
    )
    return {
        "authority-hackney": LocalAuthority.objects.get(slug="hackney"),
        "authority-lewisham": LocalAuthority.objects.get(slug="lewisham"),
        "place-hackney": PlacePartnership.objects.get(slug="city-and-hackney"),
        "place-lewisham": PlacePartnership.objects.get(slug="lewisham"),
        "pilot-hackney": hackney_pilot,
        "pilot-lewisham": lewisham_pilot,
        "update-hackney-published": PilotUpdate.objects.get(pilot=hackney_pilot, slug="announced"),
        "update-hackney-draft": PilotUpdateFactory(pilot=hackney_pilot, publication_status=PublicationStatus.DRAFT),
        "update-lewisham-draft": PilotUpdateFactory(pilot=lewisham_pilot, publication_status=PublicationStatus.DRAFT),
        "source-shared": SourceFactory(),
        "ics": IntegratedCareSystem.objects.get(code="NEL"),
        "event": TimelineEventFactory(),
        "figure": KeyFigure.objects.first(),
        "officer-profile": OfficerProfile.objects.get(user__username="officer-lewisham"),
        "proposal-hackney": proposal,
        "notification-hackney": SentNotification.objects.create(
            proposal=proposal, event="proposed", recipient=hackney_officer, address="-", subject="-", body="-"
        ),
        "report-hackney": submit_report(page="/boroughs/hackney/", description="A Hackney resident's report"),
        "report-lewisham": submit_report(page="/boroughs/lewisham/", description="A Lewisham resident's report"),
    }


# record -> (text field changed by the POST, autocomplete (app, model, field) or None, expectations per action)
MATRIX = {
    "authority-hackney": (
        "description",
        ("pilots", "pilotparticipant", "authority"),
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": HACKNEYS,
            "delete_get": EDITOR_ONLY,
            "delete_post": PROTECTED,
            "history": HACKNEYS,
            "autocomplete": HACKNEYS_LIST,
        },
    ),
    "authority-lewisham": (
        "description",
        ("pilots", "pilotparticipant", "authority"),
        {
            "list": LEWISHAMS_LIST,
            "change_get": LEWISHAMS,
            "change_post": LEWISHAMS,
            "delete_get": EDITOR_ONLY,
            "delete_post": PROTECTED,
            "history": LEWISHAMS,
            "autocomplete": LEWISHAMS_LIST,
        },
    ),
    "place-hackney": (
        "description",
        ("boroughs", "localauthority", "place_partnership"),
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": HACKNEYS,
            "delete_get": EDITOR_ONLY,
            "delete_post": PROTECTED,
            "history": HACKNEYS,
            "autocomplete": HACKNEYS_LIST,
        },
    ),
    "place-lewisham": (
        "description",
        ("boroughs", "localauthority", "place_partnership"),
        {
            "list": LEWISHAMS_LIST,
            "change_get": LEWISHAMS,
            "change_post": LEWISHAMS,
            "delete_get": EDITOR_ONLY,
            "delete_post": PROTECTED,
            "history": LEWISHAMS,
            "autocomplete": LEWISHAMS_LIST,
        },
    ),
    "pilot-hackney": (
        "summary",
        ("pilots", "pilotupdate", "pilot"),
        # officers see their pilots but propose changes through updates: no change, no delete
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": HACKNEYS,
            "autocomplete": HACKNEYS_LIST,
        },
    ),
    "pilot-lewisham": (
        "summary",
        ("pilots", "pilotupdate", "pilot"),
        {
            "list": LEWISHAMS_LIST,
            "change_get": LEWISHAMS,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": LEWISHAMS,
            "autocomplete": LEWISHAMS_LIST,
        },
    ),
    "update-hackney-published": (
        "body",
        None,
        # published updates are withdrawn, not deleted, by officers
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": HACKNEYS,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": HACKNEYS,
        },
    ),
    "update-hackney-draft": (
        "body",
        None,
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": HACKNEYS,
            "delete_get": HACKNEYS,
            "delete_post": HACKNEYS,
            "history": HACKNEYS,
        },
    ),
    "update-lewisham-draft": (
        "body",
        None,
        {
            "list": LEWISHAMS_LIST,
            "change_get": LEWISHAMS,
            "change_post": LEWISHAMS,
            "delete_get": LEWISHAMS,
            "delete_post": LEWISHAMS,
            "history": LEWISHAMS,
        },
    ),
    "source-shared": (
        "summary",
        ("pilots", "pilotupdate", "sources"),
        # sources are shared: everyone sees them; only editors (or whoever added one) change them
        {
            "list": dict.fromkeys(["hackney", "lewisham", "editor"], "shown"),
            "change_get": ALL_OK,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": ALL_OK,
            "autocomplete": dict.fromkeys(["hackney", "lewisham", "editor"], "shown"),
        },
    ),
    "ics": (
        "description",
        ("boroughs", "localauthority", "ics"),
        {
            "list": EDITOR_ONLY_LIST,
            "change_get": EDITOR_ONLY,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": PROTECTED,
            "history": EDITOR_ONLY,
            "autocomplete": EDITOR_ONLY_LIST,
        },
    ),
    "event": (
        "description",
        None,
        {
            "list": EDITOR_ONLY_LIST,
            "change_get": EDITOR_ONLY,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": EDITOR_ONLY,
        },
    ),
    "figure": (
        "note",
        None,
        {
            "list": EDITOR_ONLY_LIST,
            "change_get": EDITOR_ONLY,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": EDITOR_ONLY,
        },
    ),
    # residents' problem reports: triaged by the borough whose page it was, deleted by editors only
    "report-hackney": (
        "note",
        None,
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": HACKNEYS,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": HACKNEYS,
        },
    ),
    "report-lewisham": (
        "note",
        None,
        {
            "list": LEWISHAMS_LIST,
            "change_get": LEWISHAMS,
            "change_post": LEWISHAMS,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": LEWISHAMS,
        },
    ),
    "officer-profile": (
        None,
        None,
        {
            "list": EDITOR_ONLY_LIST,
            "change_get": EDITOR_ONLY,
            "change_post": EDITOR_ONLY,
            "delete_get": EDITOR_ONLY,
            "delete_post": EDITOR_ONLY,
            "history": EDITOR_ONLY,
        },
    ),
    "proposal-hackney": (
        "reason",
        None,
        # the review queue is for editors; they decide through its own pages (tests/officers/test_review_queue.py)
        {
            "list": EDITOR_ONLY_LIST,
            "change_get": EDITOR_ONLY,
            "change_post": NOBODY,
            "delete_get": NOBODY,
            "delete_post": NOBODY,
            "history": EDITOR_ONLY,
        },
    ),
    "notification-hackney": (
        "body",
        None,
        # an email sent to the Hackney officer: theirs to read, and the editors'
        {
            "list": HACKNEYS_LIST,
            "change_get": HACKNEYS,
            "change_post": NOBODY,
            "delete_get": NOBODY,
            "delete_post": NOBODY,
            "history": HACKNEYS,
        },
    ),
}

CASES = [
    pytest.param(record, action, user, id=f"{record}-{action}-{user}")
    for record, (_, autocomplete, expectations) in MATRIX.items()
    for action in ACTIONS
    if action in expectations
    for user in USERS
]


def _url(obj, view: str) -> str:
    name = f"admin:{obj._meta.app_label}_{obj._meta.model_name}_{view}"
    return reverse(name) if view == "changelist" else reverse(name, args=[obj.pk])


def _outcome(response, login_url: str) -> str:
    if response.status_code == 302 and response["Location"].startswith(login_url):
        return "login"
    if response.status_code in (403, 404):
        return "denied"
    return "ok"


@pytest.mark.django_db
@pytest.mark.parametrize(("record", "action", "user"), CASES)
def test_permission_matrix(users, editor, record, action, user):
    obj = _records()[record]
    field, autocomplete, expectations = MATRIX[record]
    expected = "login" if user == "anonymous" else expectations[action][user]
    client = client_for(users[user])
    login_url = reverse("admin:login")
    before = snapshot(obj)

    if action == "list":
        response = client.get(_url(obj, "changelist"))
        outcome = _outcome(response, login_url)
        if outcome == "ok":
            assert response.status_code == 200
            changelist = response.context["cl"]
            listed = [item.pk for item in changelist.result_list]
            if obj.pk not in listed and changelist.multi_page and getattr(obj, "slug", ""):
                # not on the first page of a long list: search for it, as a person would
                response = client.get(_url(obj, "changelist"), {"q": obj.slug})
                listed = [item.pk for item in response.context["cl"].result_list]
            outcome = "shown" if obj.pk in listed else "hidden"
            # the page itself never names another borough's record
            if outcome == "hidden":
                assert _url(obj, "change") not in response.content.decode()
        assert outcome == expected

    elif action == "autocomplete":
        app_label, model_name, field_name = autocomplete
        response = client.get(
            reverse("admin:autocomplete"),
            {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": ""},
        )
        outcome = _outcome(response, login_url)
        if outcome == "ok":
            ids = {int(result["id"]) for result in response.json()["results"]}
            more = response.json()["pagination"]["more"]
            outcome = "shown" if obj.pk in ids else "hidden"
            if outcome == "hidden" and more:  # not on the first page: search for it by name
                response = client.get(
                    reverse("admin:autocomplete"),
                    {
                        "app_label": app_label,
                        "model_name": model_name,
                        "field_name": field_name,
                        "term": getattr(obj, "title", str(obj))[:20],
                    },
                )
                ids = {int(result["id"]) for result in response.json()["results"]}
                outcome = "shown" if obj.pk in ids else "hidden"
        assert outcome == expected

    elif action in ("change_get", "history"):
        response = client.get(_url(obj, "change" if action == "change_get" else "history"))
        outcome = _outcome(response, login_url)
        assert outcome == expected, response.status_code
        if outcome == "ok":
            assert response.status_code == 200

    elif action == "change_post":
        data = change_form_data(editor, obj)
        if field:
            data[field] = "Changed in the permission matrix test."
        else:  # the officer profile: give the Lewisham officer Hackney too
            data["authorities"] = [
                str(pk)
                for pk in LocalAuthority.objects.filter(slug__in=["lewisham", "hackney"]).values_list("pk", flat=True)
            ]
        response = client.post(_url(obj, "change"), data)
        outcome = _outcome(response, login_url)
        assert outcome == expected, (
            response.status_code,
            getattr(response, "context", None) and response.context.get("errors"),
        )
        if outcome == "ok":
            assert response.status_code == 302, response.context["errors"]
            after = snapshot(obj)
            assert after != before
            if field:
                assert after[field] == "Changed in the permission matrix test."
        else:
            assert snapshot(obj) == before

    elif action == "delete_get":
        response = client.get(_url(obj, "delete"))
        assert _outcome(response, login_url) == expected

    elif action == "delete_post":
        response = client.post(_url(obj, "delete"), {"post": "yes"})
        outcome = _outcome(response, login_url)
        if expected == "protected":
            assert response.status_code == 200
            assert "Cannot delete" in response.content.decode()
            assert snapshot(obj) == before
            return
        assert outcome == expected
        if outcome == "ok":
            assert response.status_code == 302
            assert not type(obj)._base_manager.filter(pk=obj.pk).exists()
        else:
            assert snapshot(obj) == before


@pytest.mark.django_db
@pytest.mark.parametrize("user", USERS)
def test_users_and_groups_are_for_editors_only(users, user):
    client = client_for(users[user])
    target = get_user_model().objects.get(username="officer-hackney")
    expected = {"anonymous": "login", "hackney": "denied", "lewisham": "denied", "editor": "ok"}[user]
    for url in (reverse("admin:auth_user_changelist"), reverse("admin:auth_user_change", args=[target.pk])):
        assert _outcome(client.get(url), reverse("admin:login")) == expected
    before = snapshot_user(target)
    client.post(reverse("admin:auth_user_change", args=[target.pk]), {"username": "renamed", "is_superuser": "on"})
    if user != "editor":
        assert snapshot_user(target) == before


def snapshot_user(user):
    user.refresh_from_db()
    return (user.username, user.is_superuser, user.is_staff, list(user.groups.values_list("name", flat=True)))


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["admin:two_factor", "admin:two_factor_enrol"])
@pytest.mark.parametrize("user", USERS)
def test_two_factor_pages(users, user, route):
    """Anonymous: the sign-in page. Signed in with both factors: nothing to do, on to the admin. Signed in
    with the password only: the code page if their app is set up, else the set-up page."""
    response = client_for(users[user]).get(reverse(route))
    if user == "anonymous":
        assert _outcome(response, reverse("admin:login")) == "login"
        return
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")

    password_only = Client()
    password_only.force_login(users[user])
    page = password_only.get(reverse(route), follow=True)
    assert page.status_code == 200
    assert page.request["PATH_INFO"] == reverse("admin:two_factor")  # client_for set their app up
    assert "Enter your security code" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ["admin:two_factor", "admin:two_factor_enrol"])
def test_two_factor_pages_are_not_for_people_who_are_not_staff(route):
    client = Client()
    client.force_login(UserFactory(is_staff=False))
    assert _outcome(client.get(reverse(route)), reverse("admin:login")) == "login"


# The screens that are not a model's: the start page and the spreadsheet import of pilot updates.
SCREENS = [
    "admin:index",
    "admin:pilots_pilotupdate_import",
    "admin:pilots_pilotupdate_import_template_csv",
    "admin:pilots_pilotupdate_import_template_xlsx",
]


@pytest.mark.django_db
@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("user", USERS)
def test_the_start_page_and_import_screens(users, user, screen):
    response = client_for(users[user]).get(reverse(screen))
    assert _outcome(response, reverse("admin:login")) == ("login" if user == "anonymous" else "ok")
    if user != "anonymous":
        assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("user", USERS)
def test_an_import_naming_hackneys_pilot_is_refused_to_all_but_hackney_and_editors(users, user):
    source = SourceFactory()
    content = f"pilot,title,body,sources\n{HACKNEY_PILOT},Matrix import,Body.,{source.slug}\n".encode()
    client = client_for(users[user])
    response = client.post(
        reverse("admin:pilots_pilotupdate_import"), {"file": SimpleUploadedFile("updates.csv", content)}
    )
    if user == "anonymous":
        assert _outcome(response, reverse("admin:login")) == "login"
        return
    assert response.status_code == 200
    assert response.context["result"].is_valid == (user in ("hackney", "editor"))
    if response.context["checked_file"]:
        client.post(reverse("admin:pilots_pilotupdate_import"), {"checked_file": response.context["checked_file"]})
    assert PilotUpdate.objects.filter(title="Matrix import").exists() == (user in ("hackney", "editor"))
