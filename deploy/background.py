"""Threads that run beside a drill or a benchmark for the length of a ``with`` block."""

from __future__ import annotations

import threading
from collections.abc import Callable


class BackgroundThreads:
    """Starts one thread per target on entering the block; on leaving it sets ``stop`` (which the targets
    watch) and waits up to ``join_seconds`` for each, so nothing it started outlives the block."""

    join_seconds = 10.0

    def __init__(self, *targets: Callable[[], None]) -> None:
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=target, daemon=True) for target in targets]

    def __enter__(self) -> BackgroundThreads:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(self.join_seconds)
