"""A webhook-style handler: sessions in SQLite keyed by chat id, one ``handle`` call per message.

Whatever web framework receives the chat platform's webhook calls ``on_message`` with
the chat id and the customer's text. The conversation survives restarts, and several
threads or worker processes may share the same database file: concurrent messages in
one chat are all kept (see docs/embedding.md). Run it with an optional database path::

    python examples/webhook_sqlite.py [sessions.sqlite3]
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from coach import Coach
from coach.stores import SQLiteSessionStore, handle


def make_handler(db_path: Path) -> Callable[[str, str], str]:
    """The whole integration: a coach, a store, and a handler keyed by chat id."""
    coach = Coach.load()
    store = SQLiteSessionStore(db_path)

    def on_message(chat_id: str, text: str) -> str:
        return handle(coach, store, chat_id, customer=text).text

    return on_message


def main() -> None:
    db = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "sessions.sqlite3"
    on_message = make_handler(db)
    # Two chats, their messages interleaved as a webhook would deliver them.
    for chat_id, text in [("wecom:1001", "我们的客户不需要"), ("wecom:2002", "太贵了"),
                          ("wecom:1001", "主要是区域销售市场的信息不太通畅，效率也偏低。"),
                          ("wecom:2002", "是的")]:
        print(f"{chat_id} 客户：{text}")
        print(f"{chat_id} 建议：{on_message(chat_id, text)}")
    # A restart: a new process (here: a new handler) continues where the chats were.
    on_message = make_handler(db)
    print(f"wecom:1001 建议（重启后）：{on_message('wecom:1001', '对，就是这个问题')}")
    record = SQLiteSessionStore(db).get("wecom:1001")
    print(f"wecom:1001 已保存 {record.state['turn'] if record else 0} 轮，数据库：{db}")


if __name__ == "__main__":
    main()
