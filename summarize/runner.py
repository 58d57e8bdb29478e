"""Running the async work: the sync runner behind ``summarize_article``/``translate_article``, and ``gather_or_cancel``.

Below both ``pipeline`` and ``translate``, so that neither job imports the other for these.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

T = TypeVar("T")


# Seconds an interrupted run in a worker thread is given to cancel its requests and close its
# connections before the interrupt reaches the caller.
CANCEL_GRACE = 5.0
# How often a sync call inside a running loop looks whether its caller's task was cancelled.
POLL_SECONDS = 0.1


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end and return its result, from synchronous code.

    Without a running event loop this is ``asyncio.run``. Inside one (a Jupyter notebook, an
    async web handler calling sync code) a second loop cannot nest, so the work runs on its
    own loop in a worker thread while this thread waits for it; the async twins
    (``asummarize_article``) avoid the thread. An interrupt of the waiting thread (Ctrl-C, a
    notebook's "interrupt kernel") cancels the work, which stops sending and hangs up on its
    requests, before it reaches the caller: it does not wait for the run to finish.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        running = False
    else:
        running = True
    if not running:  # outside the except block, so that a failure is not shown "during" this RuntimeError
        return asyncio.run(coroutine)
    done: concurrent.futures.Future[T] = concurrent.futures.Future()
    worker: dict[str, Any] = {}

    async def main() -> T:
        worker["loop"], worker["task"] = asyncio.get_running_loop(), asyncio.current_task()
        return await coroutine

    def work() -> None:
        try:
            done.set_result(asyncio.run(main()))
        except BaseException as exc:  # the caller's thread re-raises it
            done.set_exception(exc)

    context = contextvars.copy_context()  # the caller's context variables (logging context, ...) go along
    # A daemon thread: an interrupted run that will not end cannot hold the interpreter's exit.
    threading.Thread(target=context.run, args=(work,), name="summarize", daemon=True).start()
    # Inside asyncio.run, Ctrl-C does not raise here: it cancels the caller's task, which this
    # blocking wait would never let run. So the wait looks, now and then, for that cancel.
    caller = asyncio.current_task()
    cancelling: Callable[[], int] = getattr(caller, "cancelling", lambda: 0)
    # Only a cancel that comes during the call stops it: one the task caught before (without
    # uncancel(), as most code does) stays counted, and stopped every later call at once.
    before = cancelling()
    try:
        while True:
            try:
                return done.result(timeout=POLL_SECONDS)
            except concurrent.futures.TimeoutError:
                if caller is not None and cancelling() > before:
                    raise asyncio.CancelledError() from None
    except BaseException:
        if not done.done() and "task" in worker:
            worker["loop"].call_soon_threadsafe(worker["task"].cancel)
            concurrent.futures.wait([done], timeout=CANCEL_GRACE)
        raise


async def gather_or_cancel(aws: Iterable[Awaitable[T]]) -> list[T]:
    """``asyncio.gather``, but the first failure cancels the rest instead of leaving them running,
    and waits for them to end, so nothing they hold (a shared client) is closed under them. A
    ``KeyboardInterrupt`` or ``SystemExit`` raised inside one stops the event loop itself: the
    rest are cancelled and left to ``asyncio.run`` to end, and the caller ends cancelled, since
    raised again in its task the interrupt would stop ``asyncio.run``'s clean-up of those tasks
    too ("Task was destroyed but it is pending!" at exit). A coroutine closed unfinished (its loop
    gone, collected as garbage) cancels them and awaits nothing: ``close()`` forbids it."""
    tasks = [asyncio.ensure_future(a) for a in aws]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException as exc:
        for task in tasks:
            task.cancel()
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            if any(t.done() and not t.cancelled() and t.exception() is exc for t in tasks):
                raise asyncio.CancelledError() from exc  # the loop's runner has it already
        elif not isinstance(exc, GeneratorExit):
            await asyncio.gather(*tasks, return_exceptions=True)
        raise
