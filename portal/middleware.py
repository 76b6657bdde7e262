"""HTTP caching for public pages.

``PublicCacheMiddleware``, for GET and HEAD outside the admin:

- anonymous visitors, 200 responses: ``Cache-Control: public, max-age=300`` unless the view set its own,
  and ``Vary: Cookie`` so that a shared cache never hands a visitor's copy to signed-in staff;
- signed-in users (staff, who may preview drafts): ``Cache-Control: private, no-store`` on every response;
- a weak ``ETag`` computed on the body with the request's Content-Security-Policy nonce taken out, so the
  per-request nonce does not change the ETag and conditional requests can get 304 Not Modified.

Order in MIDDLEWARE: ``ConditionalGetMiddleware`` first (outermost, after WhiteNoise), then this, then
``csp.middleware.CSPMiddleware`` and the rest. Being outside CSPMiddleware means a 304 carries no new
Content-Security-Policy header, so the browser keeps the policy (and nonce) that matches its cached copy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 300
SAFE_METHODS = ("GET", "HEAD")


class PublicCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS or self._is_admin(request):
            return response
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Replace whatever the view said: a staff member's page may show drafts.
            if response.has_header("Cache-Control"):
                del response["Cache-Control"]
            patch_cache_control(response, private=True, no_store=True)
            return response
        if response.status_code == 200:
            if not response.has_header("Cache-Control"):
                patch_cache_control(response, public=True, max_age=PUBLIC_MAX_AGE)
            patch_vary_headers(response, ("Cookie",))
            self._set_etag(request, response)
        return response

    @staticmethod
    def _is_admin(request: HttpRequest) -> bool:
        return request.path_info.startswith("/" + settings.ADMIN_PATH)

    @staticmethod
    def _set_etag(request: HttpRequest, response: HttpResponseBase) -> None:
        """A weak ETag of the body without the CSP nonce (left to ConditionalGetMiddleware if no nonce)."""
        if response.streaming or response.has_header("ETag"):
            return
        nonce = getattr(request, "_csp_nonce", None)
        if not isinstance(nonce, str) or not nonce:
            return
        body = response.content.replace(nonce.encode("ascii"), b"")
        response["ETag"] = f'W/"{hashlib.md5(body, usedforsecurity=False).hexdigest()}"'
