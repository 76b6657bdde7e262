"""Open data tests: the rate-limit counters live in the cache, so every test starts with it empty."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
