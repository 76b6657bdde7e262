"""Local development (``make run``): DEBUG is on unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403

# Synthetic load data (generate_load_data) for trying the portal at scale; never in production.
INSTALLED_APPS = [*INSTALLED_APPS, "bench"]  # noqa: F405
