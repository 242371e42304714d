"""Run a coroutine to completion from a test, whatever else holds the main thread's event loop.

Playwright's sync API (the browser tests' session-scoped browser) keeps an event loop running in
the main thread for the whole session, and ``asyncio.run`` refuses to start inside it; a fresh
thread has no loop, so the websocket clients of these tests run there.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def start(coro: Coroutine[Any, Any, T]) -> Future[T]:
    """Run ``coro`` in a thread of its own while the test goes on (a browser step, say); the
    returned future's ``result()`` waits for it."""
    pool = ThreadPoolExecutor(max_workers=1)
    future = pool.submit(asyncio.run, coro)
    pool.shutdown(wait=False)
    return future
