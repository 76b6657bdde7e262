"""The admin for officers and editors, one module per app's records; ``base`` holds what they share.
Importing the package (Django's admin autodiscovery does) registers every model."""

from officers.admin import boroughs, feedback, officers, pilots, review, sources  # noqa: F401
