"""HTTP helpers: response headers that Django's own SecurityMiddleware does not send, and compression.

``PermissionsPolicyMiddleware`` adds ``Permissions-Policy`` (the ``PERMISSIONS_POLICY`` setting: the browser
features no page of the portal uses, switched off) to every response that does not already carry one,
including static files and error pages. Place it right after ``SecurityMiddleware`` in ``MIDDLEWARE``, outside
WhiteNoise, so that static files get it too.

``PageGZipMiddleware`` compresses pages (Django's ``GZipMiddleware``, which pads against BREACH) for the
clients that accept gzip (``accepts_gzip``: "gzip;q=0" refuses it).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.utils.cache import patch_vary_headers


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        self.policy = (getattr(settings, "PERMISSIONS_POLICY", "") or "").strip()

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if self.policy and not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = self.policy
        return response


def accepts_gzip(request: HttpRequest) -> bool:
    """Whether the request's ``Accept-Encoding`` accepts gzip with a quality above 0."""
    for item in request.headers.get("Accept-Encoding", "").split(","):
        coding, _, parameters = item.strip().partition(";")
        if coding.strip().lower() in {"gzip", "x-gzip"}:
            quality = parameters.strip().removeprefix("q=").strip()
            return quality == "" or _positive(quality)
    return False


def _positive(quality: str) -> bool:
    try:
        return float(quality) > 0
    except ValueError:
        return False


class PageGZipMiddleware(GZipMiddleware):
    """Pages gzipped on the way out. Downloads (``Content-Disposition: attachment``) are left as their views
    made them: the exports choose their own encoding and answer byte ranges (datasets/prepared.py), which
    compressing them again here would break."""

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.get("Content-Disposition", "").startswith("attachment"):
            return response
        if not accepts_gzip(request):
            patch_vary_headers(response, ("Accept-Encoding",))
            return response
        return super().process_response(request, response)
