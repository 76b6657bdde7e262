""" "Report a problem with this page": a short form on its own page, linked from every page with the
page's address, stored for the editors (feedback app). Spam is refused twice over: a honeypot field
and a per-client limit."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from feedback.forms import ProblemReportForm, validate_site_path
from feedback.services import reports_allowed, submit_report

SPAM_MESSAGE = "Your report could not be sent. Leave the last field empty and try again."
RATE_MESSAGE = "You have sent several reports in a short time. Wait an hour, then send this one again."


def _client(request: HttpRequest) -> str:
    # REMOTE_ADDR, as the export limits use: behind a proxy the deployment sets it to the client's.
    return request.META.get("REMOTE_ADDR", "unknown")


def _back_link(page: str) -> str:
    """The page the report is about, if it is a page of this site; else the home page."""
    try:
        validate_site_path(page)
    except ValidationError:
        return "/"
    return page


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def report_problem(request: HttpRequest) -> HttpResponse:
    status = 200
    errors: list[dict[str, str]] = []
    if request.method == "POST":
        form = ProblemReportForm(request.POST)
        if not reports_allowed(client=_client(request)):
            status, errors = 429, [{"href": "#description", "text": RATE_MESSAGE}]
        elif form.is_spam():
            status, errors = 400, [{"href": "#description", "text": SPAM_MESSAGE}]
        elif form.is_valid():
            page = form.cleaned_data["page"]
            submit_report(page=page, description=form.cleaned_data["description"], email=form.cleaned_data["email"])
            return redirect(f"{reverse('portal:feedback_sent')}?{urlencode({'page': page})}")
        else:
            status = 400
            errors = [
                {"href": f"#{name}", "text": message}
                for name, messages in form.errors.items()
                for message in messages
                if name != "page"
            ] or [{"href": "#description", "text": form.errors["page"][0]}]
    else:
        form = ProblemReportForm(initial={"page": request.GET.get("page", "")[:500]})
    page = form.data.get("page", "") if form.is_bound else form.initial["page"]
    context = {
        "crumbs": [("Report a problem", None)],
        "form": form,
        "errors": errors,
        "back_link": _back_link(page),
    }
    return render(request, "portal/feedback.html", context, status=status)


@require_safe
def feedback_sent(request: HttpRequest) -> HttpResponse:
    context = {
        "crumbs": [("Report a problem", reverse("portal:feedback")), ("Report sent", None)],
        "back_link": _back_link(request.GET.get("page", "")),
    }
    return render(request, "portal/feedback_sent.html", context)
