"""A minimal bot loop: each line the customer says goes in, the line to say next comes out.

Type (or pipe) what the customer said, one line at a time; an empty input ends::

    printf '我们的客户不需要\n太贵了\n' | python examples/minimal_bot.py
"""

from __future__ import annotations

import sys

from coach import Coach


def main() -> None:
    coach = Coach.load()
    session = coach.session(customer="李总")
    for line in sys.stdin:
        text = line.strip()
        if not text:
            break
        s = session.hear(text)
        print(f"客户：{text}")
        print(f"建议（{s.step.label}）：{s.text}")
        print(f"原因：{s.why}")
        print()


if __name__ == "__main__":
    main()
