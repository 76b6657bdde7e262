"""Fair use of the exports: a fixed-window request count per client address, kept in Django's cache so
that it holds across processes and servers when the cache is shared (REDIS_URL).

Settings: ``EXPORT_RATE_LIMIT`` (requests per window, default 60; 0 turns the limit off) and
``EXPORT_RATE_WINDOW`` (seconds, default 60).

The client is ``REMOTE_ADDR``. Behind a reverse proxy every request would share the proxy's address,
so a deployment behind one must set REMOTE_ADDR to the real client address (for example gunicorn's
``--forwarded-allow-ips`` with a trusted proxy, or the proxy's PROXY protocol) before Django sees it.
"""

import functools
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse

DEFAULT_LIMIT = 60
DEFAULT_WINDOW = 60


def _limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "EXPORT_RATE_LIMIT", DEFAULT_LIMIT)),
        max(1, int(getattr(settings, "EXPORT_RATE_WINDOW", DEFAULT_WINDOW))),
    )


def seconds_until_allowed(client: str) -> int:
    """Count one request from ``client``; 0 if it is allowed, else the seconds until the next window."""
    limit, window = _limits()
    if limit <= 0:
        return 0
    now = time.time()
    key = f"datasets:export-rate:{client}:{int(now // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil(window - now % window))


def rate_limited(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "OPTIONS":
            retry_after = seconds_until_allowed(request.META.get("REMOTE_ADDR", "unknown"))
            if retry_after:
                response = HttpResponse(
                    f"Too many downloads from your address. Try again in {retry_after} seconds.\n",
                    status=429,
                    content_type="text/plain; charset=utf-8",
                )
                response["Retry-After"] = str(retry_after)
                response["Access-Control-Allow-Origin"] = "*"
                return response
        return view(request, *args, **kwargs)

    return wrapper
