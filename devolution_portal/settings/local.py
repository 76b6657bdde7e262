"""Local development (``make run``): DEBUG is on unless the environment says otherwise."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
