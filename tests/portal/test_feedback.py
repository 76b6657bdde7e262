"""'Report a problem with this page': on every page, a short form whose reports editors read in the admin;
spam is refused by a honeypot and a per-client limit."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from boroughs.models import LocalAuthority
from feedback.models import ProblemReport
from tests.html import main

pytestmark = pytest.mark.django_db

FEEDBACK = reverse("portal:feedback")
HACKNEY = "/boroughs/hackney/"


@pytest.fixture(autouse=True)
def empty_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def post_report(client, **fields):
    """Open the form (for its CSRF token), as a browser does, then send it."""
    client.get(FEEDBACK, {"page": HACKNEY})
    data = {"page": HACKNEY, "description": "The ICS name looks wrong.", "email": "", "website": ""}
    data.update(fields)
    return client.post(FEEDBACK, {**data, "csrfmiddlewaretoken": client.cookies["csrftoken"].value})


@pytest.mark.parametrize("url", ["/", "/pilots/", HACKNEY, "/timeline/", "/search/?q=Hackney", "/no-such-page/"])
def test_every_page_links_to_the_form_with_its_own_address(client, url):
    content = client.get(url).content.decode()
    assert "Report a problem with this page" in content
    assert f'href="{FEEDBACK}?page={url.replace("?", "%3F").replace("=", "%3D")}"' in content


def test_the_beta_banner_links_to_the_form(client):
    content = client.get("/").content.decode()
    banner = content[content.index("govuk-phase-banner") : content.index("</div>", content.index("govuk-phase-banner"))]
    assert f'href="{FEEDBACK}?page=/"' in banner
    assert "/about/" not in banner


def test_a_report_is_stored_with_its_page_and_borough(csrf_client):
    response = post_report(csrf_client, email="resident@example.org")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:feedback_sent')}?page=%2Fboroughs%2Fhackney%2F"
    report = ProblemReport.objects.get()
    assert report.page == HACKNEY
    assert report.authority == LocalAuthority.objects.get(slug="hackney")
    assert report.description == "The ICS name looks wrong."
    assert report.email == "resident@example.org"
    sent = csrf_client.get(response["Location"])
    assert "Report sent" in main(sent)
    assert f'href="{HACKNEY}"' in main(sent)


def test_a_report_from_a_page_that_is_not_a_borough_names_no_borough(csrf_client):
    assert post_report(csrf_client, page="/pilots/").status_code == 302
    assert ProblemReport.objects.get().authority is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"description": ""}, "Enter what went wrong"),
        ({"description": "x" * 1201}, "1200 characters or fewer"),
        ({"email": "not-an-email"}, "Enter an email address in the correct format"),
        ({"page": "https://evil.example/"}, "not one of this site"),
        ({"page": "//evil.example/"}, "not one of this site"),
        ({"description": "Bad\x00byte"}, "null characters"),
    ],
)
def test_a_bad_report_is_a_400_with_the_error_and_the_text_kept(csrf_client, fields, message):
    response = post_report(csrf_client, **fields)
    assert response.status_code == 400
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert message in content
    assert not ProblemReport.objects.exists()
    if fields.get("email"):
        assert 'value="not-an-email"' in content
        assert "The ICS name looks wrong." in content


def test_the_honeypot_refuses_a_bot(csrf_client):
    response = post_report(csrf_client, website="https://spam.example/")
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert not ProblemReport.objects.exists()


@override_settings(FEEDBACK_RATE_LIMIT=3, FEEDBACK_RATE_WINDOW=3600)
@pytest.mark.parametrize("each_to_another_worker", [False, True], ids=["one worker", "each to another worker"])
def test_the_rate_limit_refuses_a_flood_from_one_address(csrf_client, each_to_another_worker):
    """With no Redis each process has its own local cache: emptying it before every report stands for
    each report reaching another worker. The count must live where every process sees it."""
    statuses = []
    for number in range(5):
        if each_to_another_worker:
            cache.clear()
        statuses.append(post_report(csrf_client, description=f"Report {number}").status_code)
    assert statuses == [302, 302, 302, 429, 429]
    assert ProblemReport.objects.count() == 3
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    assert post_report(other).status_code == 302


def test_the_form_is_never_cached_and_needs_a_csrf_token(client, csrf_client):
    response = client.get(FEEDBACK, {"page": HACKNEY})
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert csrf_client.post(FEEDBACK, {"description": "x", "page": HACKNEY}).status_code == 403
    assert not ProblemReport.objects.exists()


@pytest.mark.parametrize("name", ["portal:about", "portal:privacy", "portal:accessibility"])
def test_who_runs_the_portal_comes_from_configuration(client, settings, name):
    settings.PORTAL_OPERATOR = "London Example Trust"
    settings.PORTAL_CONTACT_EMAIL = "portal@example.org"
    page = main(client.get(reverse(name)))
    assert "The portal is run by London Example Trust." in page
    assert 'href="mailto:portal@example.org"' in page
    assert "to be published" not in page


@pytest.mark.parametrize("name", ["portal:about", "portal:privacy", "portal:accessibility"])
def test_unset_the_pages_say_so_plainly_and_offer_the_form(client, settings, name):
    settings.PORTAL_OPERATOR = ""
    settings.PORTAL_CONTACT_EMAIL = ""
    page = main(client.get(reverse(name)))
    assert "has not been named on this site yet" in page
    assert "There is no contact email address yet" in page
    assert f'href="{FEEDBACK}?page=' in page
    assert "to be published" not in page
    assert "mailto:" not in page
