"""With REDIS_URL set, the cache lives in Redis, so several app servers share it.

These tests talk to the local Redis server (CI starts one); they fail, rather than skip, when it is
down. They use database 15 unless REDIS_URL names another.
"""

import os
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.core.cache import CacheHandler

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
REDIS_CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}


def fresh_cache():
    """A cache connection of its own, as another app server would have."""
    return CacheHandler(REDIS_CACHES)["default"]


def test_a_value_set_through_one_connection_is_read_through_another():
    key = f"shared-cache-test:{uuid.uuid4()}"
    first, second = fresh_cache(), fresh_cache()
    assert first is not second
    try:
        first.set(key, {"page": "pilots"}, timeout=30)

        assert second.get(key) == {"page": "pilots"}
    finally:
        first.delete(key)
    assert fresh_cache().get(key) is None


def test_a_counter_such_as_a_rate_limit_is_shared():
    key = f"shared-cache-test:counter:{uuid.uuid4()}"
    first, second = fresh_cache(), fresh_cache()
    try:
        assert first.add(key, 0, timeout=30)
        assert not second.add(key, 0, timeout=30)
        second.incr(key)
        first.incr(key)

        assert fresh_cache().get(key) == 2
    finally:
        first.delete(key)


def run_app_server_process(code: str) -> str:
    """Run code in a separate Python process configured like a production app server with REDIS_URL."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "devolution_portal.settings.production",
        "SECRET_KEY": "shared-cache-test-only",
        "REDIS_URL": REDIS_URL,
    }
    script = f"import django\ndjango.setup()\nfrom django.core.cache import cache, caches\n{code}"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_app_servers_configured_with_redis_url_share_the_cache():
    key = f"shared-cache-test:servers:{uuid.uuid4()}"
    backend = run_app_server_process(
        "from django.core.cache.backends.redis import RedisCache\n"
        f"cache.set({key!r}, 'from server one', 30); print(isinstance(caches['default'], RedisCache))"
    )
    try:
        assert backend == "True"

        assert run_app_server_process(f"print(cache.get({key!r}))") == "from server one"
    finally:
        fresh_cache().delete(key)


def test_the_export_rate_limit_counts_across_app_servers():
    client = f"shared-cache-test-{uuid.uuid4()}"
    # One window of about 30 years, so that the count cannot start afresh between the two servers.
    setup = "from django.conf import settings\nsettings.EXPORT_RATE_WINDOW = 10**9\n"
    setup += "from datasets.ratelimit import _limits, seconds_until_allowed\nlimit, _ = _limits()\n"

    try:
        allowed_by_server_one = run_app_server_process(
            setup + f"print(sum(seconds_until_allowed({client!r}) == 0 for _ in range(limit)), limit)"
        )
        refused_by_server_two = run_app_server_process(setup + f"print(seconds_until_allowed({client!r}))")
    finally:
        fresh_cache().delete(f"datasets:export:rate:{client}:{int(time.time() // 10**9)}")

    allowed, limit = allowed_by_server_one.split()
    assert allowed == limit
    assert int(refused_by_server_two) > 0
