"""Fixed-window request counts per client, shared by every process and app server: in Redis when the
cache is Redis (``REDIS_URL``), else, or while Redis cannot be reached, in the database
(``core.models.RequestCount``). A process's own local cache is never the store: each gunicorn worker
would keep its own count and a client would get the limit once per worker."""

import math
import time

from django.core.cache import cache

from .caching import CacheUnavailable, cache_is_shared
from .models import RequestCount


def _count_in_cache(key: str, timeout: int) -> int:
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


def seconds_until_allowed(*, scope: str, client: str, limit: int, window: int) -> int:
    """Count one request from ``client`` against ``limit`` requests per ``window`` seconds in ``scope``
    (the exports, the feedback form, ...): 0 if it is allowed, else the seconds until the next window.
    A ``limit`` of 0 or less turns the limit off."""
    if limit <= 0:
        return 0
    window = max(1, window)
    now = time.time()
    number = int(now // window)
    key = f"{scope}:rate:{client}:{number}"
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
