"""A lane: calls that run one after another on a background thread, so that a second core can work.

zlib, hashlib and Arrow's kernels release the GIL while they work, so the
deflating of a workbook and the formatting of the next block of rows run at
the same time. A lane keeps at most ``depth`` calls waiting (the caller waits
for the oldest beyond that), so the blocks handed over never pile up in memory.
An error in a call is raised in the caller at its next ``run`` or at ``close``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class Lane:
    def __init__(self, name: str, depth: int = 2):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._pending: deque[Future] = deque()
        self._depth = depth

    def run(self, fn: Callable, *args) -> None:
        """Queue ``fn(*args)`` after every call queued before it."""
        self._pending.append(self._pool.submit(fn, *args))
        while len(self._pending) > self._depth:
            self._pending.popleft().result()

    def call(self, fn: Callable, *args):
        """``fn(*args)`` on the lane's thread, after everything queued; its result."""
        self.run(fn, *args)
        result = None
        while self._pending:
            result = self._pending.popleft().result()
        return result

    def close(self) -> None:
        """Wait for every queued call (raising the first error) and end the thread."""
        try:
            while self._pending:
                self._pending.popleft().result()
        finally:
            self.abort()

    def abort(self) -> None:
        """End the thread, dropping calls that have not started (after an error elsewhere)."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pending.clear()
