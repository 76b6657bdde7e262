"""Response headers that Django's own SecurityMiddleware does not send, and the 503 page for a database away.

``PermissionsPolicyMiddleware`` adds ``Permissions-Policy`` (the ``PERMISSIONS_POLICY`` setting: the browser
features no page of the portal uses, switched off) to every response that does not already carry one,
including static files and error pages. Place it right after ``SecurityMiddleware`` in ``MIDDLEWARE``, outside
WhiteNoise, so that static files get it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase

logger = logging.getLogger(__name__)


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = (getattr(settings, "PERMISSIONS_POLICY", "") or "").strip()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = self.policy
        return response


class DatabaseUnavailableMiddleware:
    """A view that finds the database away (``OperationalError``/``InterfaceError``: the server stopped,
    restarting or unreachable) answers 503 with ``Retry-After: 30`` and a page saying so, instead of a 500;
    in the admin the page says that editing is unavailable, so an officer knows nothing was saved.

    Nothing is half-saved: every admin save runs in one transaction, which the failure rolls back. The
    service recovers by itself: at the end of the request Django closes a connection that had an error
    and is no longer usable, and the next request connects afresh (``CONN_HEALTH_CHECKS`` checks a reused
    one first). The response is marked
    ``database_unavailable`` so that ``db_router.ReplicaReadMiddleware`` can answer it again from the
    primary when it was the replica that went away.
    """

    RETRY_AFTER = 30

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("Database unavailable for %s %s: %s", request.method, request.path, exception)
        return database_unavailable_response(request)


class DatabaseUnavailableGuardMiddleware:
    """The same 503 when the database error comes from a middleware rather than a view (for example a
    signed-in visitor's session, loaded by a middleware after the view): Django has already turned it
    into a 500 by then, so the error is noted from ``got_request_exception`` and the 500 replaced here.
    Place it right after ``PermissionsPolicyMiddleware`` (the headers of the layers inside it are
    missing from a 500 made outside them, so it sets the Content-Security-Policy itself)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        from django.core.signals import got_request_exception

        self.get_response = get_response
        got_request_exception.connect(_note_database_error, dispatch_uid="portal-database-unavailable")
        directives = getattr(settings, "CONTENT_SECURITY_POLICY", {}).get("DIRECTIVES", {})
        self.csp = "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code == 500 and getattr(request, "_database_unavailable", False):
            response = database_unavailable_response(request)
            if self.csp:
                response["Content-Security-Policy"] = self.csp
        return response


def _note_database_error(sender, request=None, **kwargs) -> None:
    import sys

    from django.db import InterfaceError, OperationalError

    if request is not None and isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        request._database_unavailable = True


def database_unavailable_response(request: HttpRequest) -> HttpResponse:
    from django.template import loader

    admin = request.path_info.startswith("/" + settings.ADMIN_PATH)
    # An officer's refused save: what they typed comes back to them, with a button that sends it again
    # (the record's version goes with it, so a colleague's save in between is still caught). Passwords
    # are never echoed.
    typed = []
    if admin and request.method == "POST" and not request.FILES:
        typed = [
            (name, value) for name, values in request.POST.lists() for value in values if "password" not in name.lower()
        ]
    context = {"request": request, "admin": admin, "typed": typed, "action": request.get_full_path()}
    try:
        body = loader.get_template("503.html").render(context)
    except Exception:  # rendered with no database and no context processors; must never fail itself
        logger.exception("Could not render the 503 page")
        body = "<h1>Sorry, the service is unavailable</h1><p>Try again in a minute.</p>"
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(DatabaseUnavailableMiddleware.RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    response.database_unavailable = True
    return response
