"""Settings shared by every environment. Everything that differs between machines comes from
the environment, never from editing this file."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# A development-only key is allowed only while DEBUG is on; production refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    "officers.apps.PortalAdminConfig",  # django.contrib.admin with the portal's admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "django_filters",
    "simple_history",
    "concurrency",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    # The project's apps, bottom layer first (pyproject.toml's import contract holds this order).
    "core",
    "sources",
    "boroughs",
    "pilots",
    "feedback",
    "datasets",
    "officers",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Permissions-Policy on every response, static files included (PERMISSIONS_POLICY below).
    "core.http.PermissionsPolicyMiddleware",
    # Pages compressed on the way out (static files come compressed from WhiteNoise, exports choose their
    # own encoding); Django's gzip pads its output at random against BREACH. A phone on a slow network
    # gets the first paint sooner.
    "core.http.PageGZipMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # A POST body Django cannot read is a 400 at every address, unrouted ones included (core/http.py).
    "core.http.ReadFormDataMiddleware",
    # ETag and 304s, Cache-Control, the export rate limit (counted before the page cache answers), then
    # whole public pages from the cache (core/caching.py, datasets/ratelimit.py).
    "django.middleware.http.ConditionalGetMiddleware",
    "core.caching.PublicCacheMiddleware",
    "datasets.ratelimit.ExportRateLimitMiddleware",
    "core.caching.PageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): past the second factor
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "devolution_portal.urls"
WSGI_APPLICATION = "devolution_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.navigation.navigation",
            ],
        },
    },
]

# No DATABASE_URL means the embedded SQLite file beside manage.py.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A PostgreSQL streaming replica for anonymous public reads and exports (devolution_portal/db_router.py);
# officers, the admin and every write use the primary. Unset: everything uses the primary.
DATABASE_REPLICA_URL = os.environ.get("DATABASE_REPLICA_URL", "")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        DATABASE_REPLICA_URL,
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        # Notice a stopped replica at once rather than after the operating system's connect timeout.
        DATABASES["replica"].setdefault("OPTIONS", {})["connect_timeout"] = 2
    DATABASE_ROUTERS = ["devolution_portal.db_router.ReplicaRouter"]
# How far the replica may lag (seconds): reads stay on the primary this long after a change, and after
# a POST a browser keeps to the primary for this plus 10 s. REPLICA_RETRY_SECONDS: how long a replica
# that failed to connect is left alone.
REPLICA_LAG_BUDGET_SECONDS = float(os.environ.get("REPLICA_LAG_BUDGET_SECONDS", "5"))
REPLICA_RETRY_SECONDS = float(os.environ.get("REPLICA_RETRY_SECONDS", "5"))

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Prepared full exports (datasets/prepared.py): a folder every app server can read (a shared volume
    # when there are several), or object storage by replacing this entry (any Django storage backend).
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": os.environ.get("EXPORTS_DIR") or BASE_DIR / "run" / "exports"},
    },
}


def cache_settings(redis_url: str) -> dict:
    """With a Redis address, one cache (pages, export rate limits) shared by every app server, which
    misses rather than fails while Redis cannot be reached; without, each process's own memory. Either
    way a page is never served after an edit (core/caching.py) and rate limits count across processes."""
    if not redis_url:
        return {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    return {
        "default": {
            "BACKEND": "core.caching.ForgivingRedisCache",
            "LOCATION": redis_url,
            # Seconds: a Redis that stops answering costs a request at most this, then is left alone.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES = cache_settings(REDIS_URL)

# How many reverse proxies stand in front of the app servers: lock-outs and export rate limits take the
# client's address from X-Forwarded-For accordingly (core/http.py); 0 means the header is ignored.
# AXES_PROXY_COUNT is its old name, still read.
PROXY_COUNT = int(os.environ.get("PROXY_COUNT") or os.environ.get("AXES_PROXY_COUNT") or "0")

# Fair use of the open-data exports, per client address (datasets/ratelimit.py); 0 turns it off.
EXPORT_RATE_LIMIT = int(os.environ.get("EXPORT_RATE_LIMIT", "60"))
EXPORT_RATE_WINDOW = int(os.environ.get("EXPORT_RATE_WINDOW", "60"))  # seconds

# "Report a problem with this page": reports allowed per client address per window (seconds); 0: no limit.
FEEDBACK_RATE_LIMIT = int(os.environ.get("FEEDBACK_RATE_LIMIT", "5"))
FEEDBACK_RATE_WINDOW = int(os.environ.get("FEEDBACK_RATE_WINDOW", "3600"))

# Who runs the portal and how to reach them (About, Privacy, the accessibility statement); unset, those
# pages say that they are not yet named.
PORTAL_OPERATOR = os.environ.get("PORTAL_OPERATOR", "").strip()
PORTAL_CONTACT_EMAIL = os.environ.get("PORTAL_CONTACT_EMAIL", "").strip()

# Where the portal is reached, for the links in the emails the review queue sends (officers/notifications.py).
PORTAL_URL = os.environ.get("PORTAL_URL", "http://127.0.0.1:8000").strip()
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "London Health Devolution Portal <portal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Whole public pages are kept this long for visitors without a session; any record change empties them.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "300"))

# The admin lives at a configurable path, so it is not where scanners look first.
ADMIN_PATH = os.environ.get("ADMIN_PATH", "admin/").strip("/") + "/"

# Staff sign in with a password and a code from an authenticator app (django-otp, TOTP) whenever DEBUG is
# off; OTP_REQUIRED=false makes the second factor optional for a local `make run`.
OTP_REQUIRED = env_bool("OTP_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = "London Health Devolution Portal"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True  # editors may delete a lost phone's device, never read its key
# After signing in with no (or an unsafe) next= address: the admin's index, never Django's /accounts/profile/.
LOGIN_REDIRECT_URL = "admin:index"

SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# django-axes: lock out a username from an address after repeated failures.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.5  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Failures are forgiven only once the whole sign-in succeeds, second factor included (officers/two_factor.py),
# so a password alone cannot reset the count of wrong security codes.
AXES_RESET_ON_SUCCESS = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "core.http.client_address"

# Content Security Policy (django-csp 4): no inline scripts or styles. The one inline script, GOV.UK
# Frontend's "js-enabled" class toggle in templates/base.html, is allowed by its hash rather than a
# nonce, so that pages are identical between requests (cacheable, stable ETags).
GOVUK_JS_ENABLED_SCRIPT_HASH = "'sha256-GUQ5ad8JK5KmEWmROf3LZd9ge94daqNvd8xy9YS1iDw='"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", GOVUK_JS_ENABLED_SCRIPT_HASH],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

PORTAL_NAME = "London Health Devolution Portal"

# Which database a request reads (devolution_portal/db_router.py), right after authentication, which it
# needs. (The 503 page when the database is away is the handler500, core/http.py.)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "devolution_portal.db_router.ReplicaReadMiddleware",
)
