"""Fair use of the exports: a fixed-window request count per client address.

Settings: ``EXPORT_RATE_LIMIT`` (requests per window, default 60; 0 turns the limit off) and
``EXPORT_RATE_WINDOW`` (seconds, default 60).

- The count is shared by every process and app server (``core.ratelimit``).
- It is kept by ``ExportRateLimitMiddleware``, which sits in front of the page cache, so a response
  served from the cache is counted like any other. Views opt in with ``@rate_limited``.
- The client is ``core.http.client_address`` (``PROXY_COUNT`` says how many proxies stand in front).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve

from core.http import client_address
from core.ratelimit import seconds_until_allowed as shared_seconds_until_allowed

DEFAULT_LIMIT = 60
DEFAULT_WINDOW = 60


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "EXPORT_RATE_LIMIT", DEFAULT_LIMIT)),
        max(1, int(getattr(settings, "EXPORT_RATE_WINDOW", DEFAULT_WINDOW))),
    )


def seconds_until_allowed(client: str) -> int:
    """Count one export request from ``client``; 0 if it is allowed, else the seconds until the next window."""
    limit, window = _limits()
    return shared_seconds_until_allowed(scope="datasets:export", client=client, limit=limit, window=window)


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
