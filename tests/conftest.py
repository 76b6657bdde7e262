"""Every test database starts with the portal's shipped data, loaded once per test session by the
same service that ``make run`` uses; each test runs in a transaction that is rolled back."""

import pytest

from portal.services import load_portal_data


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_portal_data()
