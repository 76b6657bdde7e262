"""Fair use of the exports: a fixed-window request count per client address.

Settings: ``EXPORT_RATE_LIMIT`` (requests per window, default 60; 0 turns the limit off) and
``EXPORT_RATE_WINDOW`` (seconds, default 60).

- The count is shared by every process and app server: in Redis when the cache is Redis
  (``REDIS_URL``), else, or while Redis cannot be reached, in the database (``core.models.RequestCount``).
- It is kept by ``ExportRateLimitMiddleware``, which sits in front of the page cache, so a response
  served from the cache is counted like any other. Views opt in with ``@rate_limited``.
- The client is ``core.http.client_address`` (``PROXY_COUNT`` says how many proxies stand in front).
"""

import math
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

from core.caching import CacheUnavailable, cache_is_shared
from core.http import client_address
from core.models import RequestCount

DEFAULT_LIMIT = 60
DEFAULT_WINDOW = 60


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "EXPORT_RATE_LIMIT", DEFAULT_LIMIT)),
        max(1, int(getattr(settings, "EXPORT_RATE_WINDOW", DEFAULT_WINDOW))),
    )


def _count_in_cache(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


def seconds_until_allowed(client: str) -> int:
    """Count one request from ``client``; 0 if it is allowed, else the seconds until the next window."""
    limit, window = _limits()
    if limit <= 0:
        return 0
    now = time.time()
    number = int(now // window)
    key = f"datasets:export-rate:{client}:{number}"
    count = None
    if cache_is_shared():
        try:
            count = _count_in_cache(key, timeout=window + 1)
        except CacheUnavailable:
            count = None
    if count is None:
        count = RequestCount.objects.count_one(key=key, expires_at=(number + 1) * window)
    if count <= limit:
        return 0
    return max(1, math.ceil(window - now % window))


def rate_limited(view):
    """Mark an export view: ``ExportRateLimitMiddleware`` counts every request to it but OPTIONS (the
    mark survives decorators applied on top, which copy the view's attributes)."""
    view.export_rate_limited = True
    return view


def _too_many(retry_after: int) -> HttpResponse:
    response = HttpResponse(
        f"Too many downloads from your address. Try again in {retry_after} seconds.\n",
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    response["Access-Control-Allow-Origin"] = "*"
    response["Access-Control-Expose-Headers"] = "Retry-After"
    return response


class ExportRateLimitMiddleware:
    """Counts requests to ``@rate_limited`` views before anything answers them (place it before
    ``core.caching.PageCacheMiddleware``); a client over its limit gets 429 with ``Retry-After``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method != "OPTIONS" and self._limited(request):
            retry_after = seconds_until_allowed(client_address(request) or "unknown")
            if retry_after:
                return _too_many(retry_after)
        return self.get_response(request)

    @staticmethod
    def _limited(request: HttpRequest) -> bool:
        try:
            match = resolve(request.path_info, getattr(request, "urlconf", None))
        except Resolver404:
            return False
        return getattr(match.func, "export_rate_limited", False)
