"""Every test database starts with the portal's shipped data, loaded once per test session by the
same service that ``make run`` uses; each test runs in a transaction that is rolled back."""

import pytest

from portal.services import load_portal_data


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_portal_data()


def pytest_collection_modifyitems(config, items):
    """Tests marked ``browser`` run last: they use the live server, so they are transactional and the
    database is flushed after each one (tests/browser/conftest.py loads the shipped data again for them)."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(autouse=True)
def _own_prepared_exports(settings, tmp_path):
    """Each test prepares its exports in a folder of its own: rolled-back data never leaves files behind."""
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
