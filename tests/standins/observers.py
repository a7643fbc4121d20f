"""Watching a stand-in from outside: how many requests it received, and how many at once."""

from __future__ import annotations

import re
import threading

from tests.standins.base import StandIn


class Requests:
    """How many requests to matching paths a stand-in received (`method` None: any method), and
    how many were in flight at once at most (made before the stand-in starts)."""

    def __init__(self, standin: StandIn, method: str | None, path: str) -> None:
        self.total = self.in_flight = self.most = 0
        self._lock = threading.Lock()
        pattern = re.compile(path)

        @standin.app.middleware("http")
        async def count(request, call_next):
            if (method is not None and request.method != method) or not pattern.fullmatch(request.url.path):
                return await call_next(request)
            with self._lock:
                self.total += 1
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            try:
                return await call_next(request)
            finally:
                with self._lock:
                    self.in_flight -= 1
