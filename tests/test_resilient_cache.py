"""Redis away: the shared cache behaves as an empty one instead of failing every page."""

import time

import pytest

from devolution_portal import cache as resilient
from devolution_portal.cache import ResilientRedisCache


@pytest.fixture
def dead_redis():
    # Nothing listens on port 1: every call is refused at once.
    return ResilientRedisCache("redis://127.0.0.1:1/7", {})


def test_reads_miss_and_writes_are_dropped_while_redis_is_away(dead_redis):
    assert dead_redis.get("page", "missing") == "missing"
    assert dead_redis.get_many(["a", "b"]) == {}
    assert dead_redis.add("k", 1) is False
    assert dead_redis.set("k", 1) is None
    assert dead_redis.delete("k") is False
    with pytest.raises(ValueError):
        dead_redis.incr("counter")  # as for a missing key, which every caller handles


def test_a_dead_redis_is_left_alone_for_a_while(dead_redis, monkeypatch):
    dead_redis.get("first")
    calls = []
    monkeypatch.setattr(dead_redis, "_cache", None)  # any real call would now fail differently
    for _ in range(100):
        calls.append(dead_redis.get("again", 0))
    assert calls == [0] * 100
    assert time.monotonic() < dead_redis._down_until <= time.monotonic() + resilient.RETRY_SECONDS
