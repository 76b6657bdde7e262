"""HTTP helpers every layer shares: who the client is, the error pages, and headers Django's own
SecurityMiddleware does not send.

- ``client_address``: the one place that decides a request's client address (lock-outs, rate limits).
- ``server_error``: the ``handler500``. Django calls it for any exception that escapes a view or a
  middleware, while that exception is being handled; when the exception says the database cannot be
  reached, the answer is the 503 page with ``Retry-After`` instead of the 500 page. Both are static
  templates rendered without context processors or a database, with no stack trace. A middleware could
  not do this: Django turns an exception in one middleware (the session's save, the page cache's
  generation read, a rate-limit count) into a response before any other middleware sees it. Nothing is
  kept about the failure, so the first request after the database is back is answered normally.
- ``require_database``: for a streamed response, reach the database before the first byte is sent.
- ``PermissionsPolicyMiddleware`` adds ``Permissions-Policy`` (the ``PERMISSIONS_POLICY`` setting: the
  browser features no page of the portal uses, switched off) to every response that does not already
  carry one, including static files and error pages. Place it right after ``SecurityMiddleware`` in
  ``MIDDLEWARE``, outside WhiteNoise, so that static files get it too.
"""

from __future__ import annotations

import datetime
import ipaddress
import logging
import sys
from collections.abc import Callable

from csp.utils import build_policy
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)

# How long a client is asked to wait before trying again while the database cannot be reached.
DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_UNREACHABLE = (OperationalError, InterfaceError)


def client_address(request: HttpRequest) -> str | None:
    """The address of the client that sent ``request``.

    With ``PROXY_COUNT`` = N proxies in front, each proxy appends the address it was reached from to
    ``X-Forwarded-For``, so the N-th entry from the right is the address the outermost proxy saw: the
    client. Entries further left were written by the client itself and are never believed. With no
    proxy (0), or a header shorter than the chain of proxies or not an address, it is ``REMOTE_ADDR``
    (``None`` for a request that has none, such as one made up by ``Client.force_login``).
    (django-ipware counts the proxies differently: with a proxy count of one it believes the left-most,
    client-written entry.)
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(hops) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-proxies].strip()))
    except ValueError:
        return remote


def _render_static(template_name: str, request: HttpRequest, fallback: str, **context) -> str:
    try:
        return loader.get_template(template_name).render(
            {"request": request, "year": datetime.date.today().year, **context}
        )
    except Exception:  # the error page must never fail itself
        logger.exception("Could not render %s", template_name)
        return fallback


def database_unavailable(request: HttpRequest) -> HttpResponse:
    """The 503 page: the service is down for a moment, try again in ``DATABASE_RETRY_AFTER_SECONDS``.

    In the admin it says editing is unavailable and nothing was saved (every save is one transaction,
    which the failure rolled back), and gives an officer's refused save back: what they typed, with a
    button that sends it again with the record's version, so a colleague's save in between is still
    caught. Passwords are never echoed. The response is marked ``database_unavailable`` so that the
    replica router (devolution_portal/db_router.py) can answer a public read again from the other
    database."""
    admin = request.path_info.startswith("/" + settings.ADMIN_PATH)
    typed = []
    if admin and request.method == "POST" and not request.FILES:
        typed = [
            (name, value) for name, values in request.POST.lists() for value in values if "password" not in name.lower()
        ]
    body = _render_static(
        "503.html",
        request,
        "<h1>Sorry, the service is unavailable</h1><p>Try again in a few minutes.</p>",
        admin=admin,
        typed=typed,
        action=request.get_full_path(),
    )
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    # The failure may be in a middleware outside django-csp's (the session, the page cache), whose answer
    # never passes through it: the page carries the site's policy itself (django-csp keeps a set header).
    response["Content-Security-Policy"] = build_policy(config=settings.CONTENT_SECURITY_POLICY["DIRECTIVES"])
    response.database_unavailable = True
    return response


def server_error(request: HttpRequest, template_name: str = "500.html") -> HttpResponse:
    """``handler500``: the 503 page if the database cannot be reached, else the 500 page."""
    if isinstance(sys.exc_info()[1], DATABASE_UNREACHABLE):
        return database_unavailable(request)
    body = _render_static(
        template_name, request, "<h1>Sorry, there is a problem with the service</h1><p>Try again later.</p>"
    )
    return HttpResponseServerError(body)


def require_database(using: str = DEFAULT_DB_ALIAS) -> None:
    """Reach the database now (connecting, or health-checking a kept connection): a streamed response
    calls this before it starts, so that a database that cannot be reached gives the 503 page rather
    than a 200 whose body breaks off."""
    connections[using].cursor().close()


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = (getattr(settings, "PERMISSIONS_POLICY", "") or "").strip()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = self.policy
        return response
