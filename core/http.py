"""Response headers that Django's own SecurityMiddleware does not send.

``PermissionsPolicyMiddleware`` adds ``Permissions-Policy`` (the ``PERMISSIONS_POLICY`` setting: the browser
features no page of the portal uses, switched off) to every response that does not already carry one,
including static files and error pages. Place it right after ``SecurityMiddleware`` in ``MIDDLEWARE``, outside
WhiteNoise, so that static files get it too.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = (getattr(settings, "PERMISSIONS_POLICY", "") or "").strip()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = self.policy
        return response
