"""The test suite: same as local, with fast password hashing and quiet lock-outs."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-any-deployment")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from .base import *  # noqa: F403

# The bench app (synthetic load data) is tested too; production settings never install it.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Tests roll back each test's data but not the cache: stored pages are tested on their own
# (tests/portal/test_page_cache.py) and off everywhere else.
PAGE_CACHE_SECONDS = 0

# Serve static files straight from static/ (no collectstatic in tests; the live-server browser tests
# need the compiled CSS).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A `replica` alias mirroring the test database, so that the read-replica router can be tested
# (tests/test_db_router.py turns the router on); without DATABASE_REPLICA_URL nothing is routed to it.
if "replica" not in DATABASES:  # noqa: F405
    DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}  # noqa: F405

# Emails are kept in django.core.mail.outbox.
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
