"""Running the async work: the sync runner behind ``summarize_article``/``translate_article``, and ``gather_or_cancel``.

Below both ``pipeline`` and ``translate``, so that neither job imports the other for these.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
from collections.abc import Awaitable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end and return its result, from synchronous code.

    Without a running event loop this is ``asyncio.run``. Inside one (a Jupyter notebook, an
    async web handler calling sync code) a second loop cannot nest, so the work runs on its
    own loop in a worker thread while this thread waits for it; the async twins
    (``asummarize_article``) avoid the thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:  # outside the except block, so that a failure is not shown "during" this RuntimeError
        return asyncio.run(coroutine)
    context = contextvars.copy_context()  # the caller's context variables (logging context, ...) go along
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="summarize") as pool:
        return pool.submit(context.run, asyncio.run, coroutine).result()


async def gather_or_cancel(aws: Iterable[Awaitable[T]]) -> list[T]:
    """``asyncio.gather``, but the first failure cancels the rest instead of leaving them running."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
