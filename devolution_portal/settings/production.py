"""Production: DEBUG off, TLS ended at a proxy in front, hashed and compressed static files.

``SECURE_TRANSPORT=false`` is for a production-like run over plain HTTP on 127.0.0.1
(``make serve``): it turns off the HTTPS-only settings without editing this file.
"""

import os

os.environ["DEBUG"] = os.environ.get("DEBUG") or "false"

from .base import *  # noqa: F403
from .base import STORAGES, env_bool

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}
WHITENOISE_MAX_AGE = 31536000

SECURE_TRANSPORT = env_bool("SECURE_TRANSPORT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = SECURE_TRANSPORT
SESSION_COOKIE_SECURE = SECURE_TRANSPORT
CSRF_COOKIE_SECURE = SECURE_TRANSPORT
SECURE_HSTS_SECONDS = 31536000 if SECURE_TRANSPORT else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_TRANSPORT
SECURE_HSTS_PRELOAD = SECURE_TRANSPORT
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE_TRANSPORT else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_TRANSPORT else "csrftoken"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

# Emails (the review queue's notifications) through an SMTP server; a send that fails is recorded on its
# SentNotification row, and the timeout keeps a slow server from holding up the page that sent it.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))

# Cookies: never readable from scripts, not sent on cross-site subrequests (set in base, restated here so
# that this file says everything production relies on; tests/security checks them on the wire).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# The other headers, all from base: Content-Security-Policy (django-csp; the one inline script by its
# hash; frame-ancestors 'none'), Referrer-Policy, X-Content-Type-Options, Cross-Origin-Opener-Policy,
# X-Frame-Options, and Permissions-Policy (core/http.py).
