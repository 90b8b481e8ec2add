"""Access log: one line per request, bounded and off the request path.

The request path only appends a tuple to a bounded deque (O(1), no formatting, no IO). A daemon thread
drains it a few times a second and emits each line on the ``openai_kit.proxy.access`` logger. When the
deque is full, the oldest entries are dropped and counted; the count is reported in the next line.
Lines carry a token id (a short hash), never a token or the upstream key, and the path without its query.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

__all__ = ["ACCESS_LOGGER", "AccessLog"]

ACCESS_LOGGER = "openai_kit.proxy.access"

# (token id, method, path, status, seconds, bytes in, bytes out)
Entry = tuple[str, str, str, int, float, int, int]


class AccessLog:
    def __init__(
        self,
        *,
        enabled: bool = True,
        max_pending: int = 10_000,
        interval: float = 0.2,
        logger: logging.Logger | None = None,
    ) -> None:
        self.enabled = enabled
        self.logger = logger or logging.getLogger(ACCESS_LOGGER)
        self.interval = interval
        self._pending: deque[Entry] = deque(maxlen=max_pending)
        self._dropped = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def record(
        self,
        token_id: str,
        method: str,
        path: str,
        status: int,
        seconds: float,
        bytes_in: int,
        bytes_out: int,
    ) -> None:
        if not self.enabled:
            return
        pending = self._pending
        if len(pending) == pending.maxlen:
            self._dropped += 1
        pending.append((token_id, method, path, status, seconds, bytes_in, bytes_out))
        if self._thread is None:
            self.start()

    def start(self) -> None:
        with self._lock:
            if self._thread is None and self.enabled:
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._run, name="openai-kit-proxy-access-log", daemon=True
                )
                self._thread.start()

    def stop(self) -> None:
        """Flush what is pending and stop the writer thread."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def flush(self) -> None:
        pending = self._pending
        logger = self.logger
        while pending:
            try:
                token, method, path, status, seconds, bytes_in, bytes_out = pending.popleft()
            except IndexError:  # pragma: no cover - raced with another flush
                break
            if not path.isprintable() or len(path) > 300:
                path = path[:300].encode("unicode_escape").decode("ascii")
            dropped, self._dropped = self._dropped, 0
            suffix = f" dropped={dropped}" if dropped else ""
            logger.info(
                "token=%s %s %s %d %.1fms in=%d out=%d%s",
                token,
                method,
                path,
                status,
                seconds * 1000.0,
                bytes_in,
                bytes_out,
                suffix,
            )
