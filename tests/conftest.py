"""Every test database starts with the portal's shipped data, loaded once per test session by the
same service that ``make run`` uses; each test runs in a transaction that is rolled back."""

import pytest
from django.db import connection

from portal.services import load_portal_data


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_portal_data()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``browser`` run last: they use the live server, so they are transactional and the
    database is flushed after each one (tests/browser/conftest.py loads the shipped data again for them).

    Tests marked ``postgresql`` (its planner, COPY, JIT) are deselected on SQLite, as ``-m 'not slow'``
    deselects the slow ones: they are not skipped, they do not apply; CI runs them on PostgreSQL."""
    if connection.vendor != "postgresql":
        deselected = [item for item in items if item.get_closest_marker("postgresql")]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if not item.get_closest_marker("postgresql")]
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _own_prepared_exports(settings, tmp_path):
    """Each test prepares its exports in a folder of its own: rolled-back data never leaves files behind."""
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
