"""Local development (``make run``): DEBUG is on unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403

# Synthetic load data (generate_load_data) for trying the portal at scale; never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405

# Emails (the review queue's notifications) are printed by the server, not sent.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
