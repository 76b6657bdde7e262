"""The shared Redis cache, made optional: if Redis is away the portal carries on without it.

Django's ``RedisCache`` raises on every call while Redis is down, which would turn every public page into
a 500. The cache here holds only what can be made again (whole pages, finished small exports, export
rate-limit counts), so ``ResilientRedisCache`` treats an unreachable Redis as an empty cache: reads miss,
writes are dropped, ``incr`` says the key is missing (callers already handle that), and after a failure
Redis is left alone for ``RETRY_SECONDS`` so that requests don't each wait on a dead connection. While it
is away the export rate limit is not enforced (it fails open; the open data stays open) and every page
is rendered afresh.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

RETRY_SECONDS = 2.0


class _Down(Exception):
    pass


class ResilientRedisCache(RedisCache):
    def __init__(self, server, params):
        options = params.setdefault("OPTIONS", {})
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 2)
        super().__init__(server, params)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _guarded(self, method, *args, **kwargs):
        import redis

        if time.monotonic() < self._down_until:
            raise _Down
        try:
            return method(*args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            with self._lock:
                self._down_until = time.monotonic() + RETRY_SECONDS
            logger.warning("Redis cache unreachable (%s): carrying on without it for %s s", error, RETRY_SECONDS)
            raise _Down from error


def _fallback(name, value):
    parent = getattr(RedisCache, name)

    @functools.wraps(parent)
    def method(self, *args, **kwargs):
        try:
            return self._guarded(parent, self, *args, **kwargs)
        except _Down:
            if isinstance(value, type) and issubclass(value, Exception):
                raise value("cache unavailable") from None
            if callable(value):
                return value(*args, **kwargs)
            return value

    setattr(ResilientRedisCache, name, method)


for _name, _value in {
    "get": lambda key, default=None, version=None: default,
    "get_many": lambda *args, **kwargs: {},
    "has_key": False,
    "add": False,
    "set": None,
    "set_many": lambda *args, **kwargs: [],
    "touch": False,
    "delete": False,
    "delete_many": None,
    "clear": False,
    "incr": ValueError,
    "decr": ValueError,
}.items():
    _fallback(_name, _value)
