"""Settings for the benchmarks: the production settings, plus the floor view's URL.

The database comes from ``BENCH_DATABASE_URL`` only (never ``DATABASE_URL``), so a stray
``DATABASE_URL`` in the shell can never point the benchmark, which adds and clears synthetic data,
at a real database. Without it: the SQLite file ``bench/out/bench.sqlite3``.
"""

import os

os.environ.setdefault("SECRET_KEY", "benchmark-only-secret-key-never-deployed")
os.environ.setdefault("SECURE_TRANSPORT", "false")  # plain HTTP on 127.0.0.1, as `make serve`
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
os.environ.setdefault("EXPORTS_DIR", os.path.join(os.path.dirname(__file__), "out", "exports"))

import dj_database_url

from devolution_portal.settings.production import *  # noqa: F403
from devolution_portal.settings.production import BASE_DIR, INSTALLED_APPS, LOGGING

# generate_load_data lives in the bench app, installed here and in development, never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]

BENCH_OUT = BASE_DIR / "bench" / "out"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{BENCH_OUT / 'bench.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}

# A runaway query fails the page (a 500, reported as such) instead of holding the benchmark for minutes.
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    timeout = os.environ.get("BENCH_STATEMENT_TIMEOUT", "60s")
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = f"-c statement_timeout={timeout}"

# The product's URLs plus the floor view (bench/urls.py); the floor is never in the product's URLs.
ROOT_URLCONF = "bench.urls"

# Collected static files (the production manifest) of the benchmark's own, beside its outputs.
STATIC_ROOT = BENCH_OUT / "staticfiles"

# Pages still being built answer 404; do not log a warning for each of thousands of requests.
LOGGING = {**LOGGING, "loggers": {"django.request": {"level": "ERROR"}}}

# The load generator sends every request from 127.0.0.1; a real crowd comes from many addresses.
# A limit no run reaches keeps the rate limit's cache round trip in the measurement without 429s.
EXPORT_RATE_LIMIT = 10**9
