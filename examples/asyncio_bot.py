"""An asyncio bot serving many chats at once without blocking its event loop.

Every turn runs through ``coach.aio``, which hands the work (and the tokenizer's first
start) to a worker thread, so the loop keeps answering other chats meanwhile::

    python examples/asyncio_bot.py
"""

from __future__ import annotations

import asyncio

from coach import Coach, aio
from coach.stores import MemorySessionStore, SessionStore

CHATS = 50
LINES = ("我们的客户不需要", "主要是区域销售市场的信息不太通畅，效率也偏低。", "太贵了", "是的")


async def chat(coach: Coach, store: SessionStore, chat_id: str) -> str:
    """One customer's conversation; returns the last suggestion."""
    text = ""
    for line in LINES:
        s = await aio.handle(coach, store, chat_id, customer=line)
        text = f"{s.step.value}: {s.text}"
        await asyncio.sleep(0)  # a real bot would wait for the customer's next message here
    return text


async def run() -> None:
    coach = Coach.load()
    store = MemorySessionStore()
    await aio.warm_up(coach)  # the tokenizer starts in a thread, not on the loop
    last = await asyncio.gather(*(chat(coach, store, f"chat-{i}") for i in range(CHATS)))
    turns = 0
    for i in range(CHATS):
        record = store.get(f"chat-{i}")
        turns += record.state["turn"] if record else 0
    print(f"{CHATS} chats, {turns} turns answered concurrently")
    print(f"chat-0 last suggestion -> {last[0]}")


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()
