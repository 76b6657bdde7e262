"""Problem reports in the admin: editors read them with the page they came from; officers do not see them."""

import pytest
from django.test import Client
from django.urls import reverse

from feedback.services import submit_report

from .conftest import client_for

pytestmark = pytest.mark.django_db

HACKNEY = "/boroughs/hackney/"


def test_editors_see_reports_in_the_admin_with_their_page(editor, hackney_officer):
    report = submit_report(page=HACKNEY, description="Broken link to the source")
    editor_client = client_for(editor)
    listing = editor_client.get(reverse("admin:feedback_problemreport_changelist"))
    assert listing.status_code == 200
    content = listing.content.decode()
    assert "Broken link to the source" in content
    assert f'<a href="{HACKNEY}">{HACKNEY}</a>' in content
    assert "Hackney" in content
    assert editor_client.get(reverse("admin:feedback_problemreport_change", args=[report.pk])).status_code == 200
    assert editor_client.get(reverse("admin:feedback_problemreport_add")).status_code == 403
    officer_client = client_for(hackney_officer)
    assert officer_client.get(reverse("admin:feedback_problemreport_changelist")).status_code == 403
    assert Client().get(reverse("admin:feedback_problemreport_changelist")).status_code == 302
