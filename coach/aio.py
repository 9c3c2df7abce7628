"""Using a Coach from asyncio code: every call that may block runs in a worker thread.

A turn is pure CPU work (jieba plus the rule tables, well under a millisecond once
warm), but the first turn of a fresh ``Coach`` starts its tokenizer, which takes a few
hundred milliseconds; a store's ``get``/``put`` may wait on a disk or the network. Each
helper here hands that work to ``asyncio.to_thread``, so the event loop keeps serving
other chats meanwhile::

    coach = Coach.load()
    await aio.warm_up(coach)                      # optional: pay the start-up now
    s = await aio.handle(coach, store, chat_id, customer=text)

A ``Session`` belongs to one conversation and must not run two turns at once: await one
turn before sending the next, or keep sessions in a store and use ``handle``, whose
version check keeps concurrent turns on one conversation id safe.
"""

from __future__ import annotations

import asyncio
import threading
from typing import TYPE_CHECKING

from .stores import SessionStore, TurnCancelled, _turn, check_turn

if TYPE_CHECKING:
    from .engine import Coach, Explanation
    from .session import Feedback, Session, Suggestion


async def warm_up(coach: Coach) -> None:
    """Start the coach's tokenizer in a worker thread; later turns are fast."""
    await asyncio.to_thread(coach.warm_up)


async def hear(session: Session, text: str) -> Suggestion:
    """``session.hear(text)`` without blocking the event loop."""
    return await asyncio.to_thread(session.hear, text)


async def say(session: Session, text: str) -> Feedback:
    """``session.say(text)`` without blocking the event loop."""
    return await asyncio.to_thread(session.say, text)


async def explain(coach: Coach, text: str, session: Session | None = None) -> Explanation:
    """``coach.explain(text, session=session)`` without blocking the event loop."""
    return await asyncio.to_thread(coach.explain, text, session)


async def handle(coach: Coach, store: SessionStore, conversation_id: str, *,
                 customer: str | None = None, salesperson: str | None = None,
                 customer_name: str = "") -> Suggestion | Feedback:
    """``coach.stores.handle(...)`` without blocking the event loop: load, answer, save.

    Cancelling is safe to retry: when this raises ``CancelledError`` the turn was not
    saved. A thread cannot be stopped, so the worker is told to drop the turn before its
    save; a cancellation that arrives while the save is already under way waits for it,
    and the call then returns the saved turn's result instead (it would otherwise be
    applied twice by a retry).
    """
    key = check_turn(conversation_id, customer, salesperson, customer_name)
    cancelled = threading.Event()
    work = asyncio.ensure_future(asyncio.to_thread(
        _turn, coach, store, key, customer, salesperson, customer_name, cancelled))
    try:
        return await asyncio.shield(work)
    except asyncio.CancelledError:
        cancelled.set()
        try:
            result = await asyncio.shield(work)
        except TurnCancelled:
            raise asyncio.CancelledError from None  # not saved: the caller may retry
        task = asyncio.current_task()
        if task is not None and hasattr(task, "uncancel"):
            task.uncancel()
        return result
