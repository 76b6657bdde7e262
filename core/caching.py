"""HTTP caching for public pages.

``PublicCacheMiddleware`` sets the headers, for GET and HEAD outside the admin:

- anonymous visitors, 200 responses: ``Cache-Control: public, max-age=300`` unless the view set its own,
  and ``Vary: Cookie`` so that a shared cache never hands a visitor's copy to signed-in staff;
- signed-in users (staff, who may preview drafts): ``Cache-Control: private, no-store`` on every response.

``ConditionalGetMiddleware`` (outside it) adds the ETag and answers conditional requests with 304.

``PageCacheMiddleware`` (inside both) keeps whole public pages in Django's cache (Redis when
``REDIS_URL`` is set, else each process's memory) for visitors without a session, filed under the
current generation token. The token lives in the database (``core.models.PageCacheGeneration``), changes
in the same transaction as any change to a record (``core.signals``) and is read once per cacheable
request, so the next request to any process of any app server after an edit shows it, whether the
cache is shared or not. (Emptying the cache on save, as before, reached only the process that saved
when the cache was per process; requiring Redis wherever several processes serve would make every
deployment depend on it, and stale pages would follow from one misconfigured server.)

``ForgivingRedisCache`` is the Redis backend for ``REDIS_URL``: when Redis cannot be reached every read
misses and every write is dropped (pages are served uncached; a warning is logged at most once a minute
per process) instead of every request failing. Counting (``incr``) raises ``CacheUnavailable`` instead,
so that a rate limit can count elsewhere rather than restart from zero.

Pages carry no per-request nonce (the one inline script is allowed by its hash), so a stored page is
valid for everyone. CSV exports keep their bytes the same way (``datasets.views``), as long as they
are small and finished normally.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control, patch_vary_headers

from core.models import PageCacheGeneration

logger = logging.getLogger(__name__)

PUBLIC_MAX_AGE = 300
DATABASE_ERRORS = (DatabaseError, InterfaceError)
SAFE_METHODS = ("GET", "HEAD")


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


def invalidate_cached_pages(using: str = DEFAULT_DB_ALIAS) -> None:
    """Make every stored page stale at once, in every process of every app server."""
    PageCacheGeneration.objects.using(using).advance()


def cache_key(request: HttpRequest, kind: str) -> str:
    """A key for what ``request`` gets, valid until the next change to any record."""
    generation = PageCacheGeneration.objects.current()
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
        try:
            key = cache_key(request, "page")
        except DATABASE_ERRORS:
            # The generation is read on the primary, before any replica routing: with the primary away,
            # answer uncached (a visitor's page can still come from the replica) rather than fail.
            return self.get_response(request)
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


# --- Redis, when it is there ---------------------------------------------------------------------

REDIS_UNREACHABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
# After a failure Redis is left alone this long, so that requests do not each wait for it.
RETRY_SECONDS = 5
WARNING_SECONDS = 60


class CacheUnavailable(Exception):
    """The shared cache cannot be reached, and the operation cannot pretend it missed."""


class _RedisState:
    """Per process (shared by its threads): when to try Redis again, when we last warned."""

    lock = threading.Lock()
    retry_at = 0.0
    warned_at = float("-inf")


class ForgivingRedisCache(RedisCache):
    def _attempt(self, operation: Callable, *args, missed=None, **kwargs):
        if time.monotonic() < _RedisState.retry_at:
            return missed
        try:
            return operation(*args, **kwargs)
        except REDIS_UNREACHABLE as error:
            self._went_away(error)
            return missed

    @staticmethod
    def _went_away(error: Exception) -> None:
        now = time.monotonic()
        with _RedisState.lock:
            _RedisState.retry_at = now + RETRY_SECONDS
            warn = now - _RedisState.warned_at >= WARNING_SECONDS
            if warn:
                _RedisState.warned_at = now
        if warn:
            logger.warning("The cache (REDIS_URL) cannot be reached, so pages are served uncached: %s", error)

    def get(self, key, default=None, version=None):
        return self._attempt(super().get, key, default, version, missed=default)

    def get_many(self, keys, version=None):
        return self._attempt(super().get_many, keys, version, missed={})

    def has_key(self, key, version=None):
        return self._attempt(super().has_key, key, version, missed=False)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().add, key, value, timeout, version, missed=False)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._attempt(super().set, key, value, timeout, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().set_many, data, timeout, version, missed=list(data))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._attempt(super().touch, key, timeout, version, missed=False)

    def delete(self, key, version=None):
        return self._attempt(super().delete, key, version, missed=False)

    def delete_many(self, keys, version=None):
        self._attempt(super().delete_many, keys, version)

    def clear(self):
        return self._attempt(super().clear, missed=False)

    def incr(self, key, delta=1, version=None):
        if time.monotonic() < _RedisState.retry_at:
            raise CacheUnavailable("Redis is not answering")
        try:
            return super().incr(key, delta, version)
        except REDIS_UNREACHABLE as error:
            self._went_away(error)
            raise CacheUnavailable(str(error)) from error


def cache_is_shared() -> bool:
    """Whether the default cache is one store for every process (Redis), not each process's own."""
    return isinstance(caches["default"], RedisCache)
