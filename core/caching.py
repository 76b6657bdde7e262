"""HTTP caching for public pages.

``PublicCacheMiddleware`` sets the headers, for GET and HEAD outside the admin:

- anonymous visitors, 200 responses: ``Cache-Control: public, max-age=300`` unless the view set its own,
  and ``Vary: Cookie`` so that a shared cache never hands a visitor's copy to signed-in staff;
- signed-in users (staff, who may preview drafts): ``Cache-Control: private, no-store`` on every response.

``ConditionalGetMiddleware`` (outside it) adds the ETag and answers conditional requests with 304.

``PageCacheMiddleware`` (inside both) keeps whole public pages in Django's cache (Redis when
``REDIS_URL`` is set, so every app server shares it) for visitors without a session. Any change to a
record bumps a generation number (``core.signals``), so no page outlives the data it shows.
Pages carry no per-request nonce (the one inline script is allowed by its hash), so a stored page is
valid for everyone. CSV exports keep their bytes the same way (``datasets.views``), as long as they
are small and finished normally.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 300
SAFE_METHODS = ("GET", "HEAD")
GENERATION_KEY = "page-cache:generation"


def is_admin(request: HttpRequest) -> bool:
    return request.path_info.startswith("/" + settings.ADMIN_PATH)


class PublicCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS or is_admin(request):
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
        return response


def invalidate_cached_pages() -> None:
    """Make every stored page stale at once, on every app server sharing the cache."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, timeout=None)


def cache_key(request: HttpRequest, kind: str) -> str:
    """A key for what ``request`` gets, valid until the next change to any record."""
    generation = cache.get(GENERATION_KEY, 0)
    url = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"{kind}-cache:{generation}:{url}"


class PageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        seconds = settings.PAGE_CACHE_SECONDS
        if (
            not seconds
            or request.method not in SAFE_METHODS
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or is_admin(request)
        ):
            return self.get_response(request)
        key = cache_key(request, "page")
        response = cache.get(key)
        if response is None:
            response = self.get_response(request)
            if (
                request.method == "GET"
                and response.status_code == 200
                and not response.streaming
                and not response.cookies
            ):
                cache.set(key, response, seconds)
        return response
