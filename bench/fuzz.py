"""Long fuzz run of hear()/say() with random Unicode: counts inputs, failures and the slowest turn.

    python bench/fuzz.py --n 100000 [--seed 1]

Prints one line per failure (the input's repr and the exception) and a summary. Exit 1 on
any failure. The hypothesis suite in tests/test_hostile.py runs a few hundred examples in
CI; this script is the long run.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from coach import Coach, CoachError

PIECES = ["太贵了", "我們不需要", "不是不需要", "贵公司", "没问题", "😀", "👨\u200d👩\u200d👧", "\u202e", "مرحبا",
          "hello", "ＡＢＣ", "\x00", "\x1b[31m", "\ud800", "１２３万", "李总", "15号", "？", "。", " ", "\n", "\t"]
RANGES = [(0x20, 0x7E), (0x4E00, 0x9FFF), (0x3000, 0x303F), (0xFF00, 0xFFEF), (0x1F300, 0x1FAFF),
          (0x0590, 0x06FF), (0x0000, 0x001F), (0xD800, 0xDFFF), (0x0300, 0x036F), (0x10000, 0x10FFFF)]


def random_text(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.4:
        return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, 12)))
    if kind < 0.95:
        lo, hi = rng.choice(RANGES)
        return "".join(chr(rng.randint(lo, hi)) for _ in range(rng.randint(0, 60)))
    return "".join(chr(rng.randint(0, 0x10FFFF)) for _ in range(rng.randint(1000, 20000)))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000, help="number of inputs (default 100000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    coach = Coach.load()
    session = coach.session()
    failures = 0
    slowest = (0.0, "")
    t0 = time.perf_counter()
    for i in range(args.n):
        text = random_text(rng)
        if i % 50 == 0:
            session = coach.session()
        start = time.perf_counter()
        try:
            if rng.random() < 0.7:
                s = session.hear(text)
                if not s.text or not s.why:
                    raise AssertionError("empty suggestion")
            else:
                session.say(text)
            if i % 97 == 0:
                coach.restore(json.loads(json.dumps(session.to_dict())))
        except CoachError:
            pass  # documented errors are allowed
        except Exception as exc:  # the point is to catch everything else
            failures += 1
            print(f"FAIL {text[:80]!r}: {type(exc).__name__}: {exc}", file=sys.stderr)
        took = time.perf_counter() - start
        if took > slowest[0]:
            slowest = (took, f"{len(text)} chars")
        if args.n >= 10_000 and (i + 1) % (args.n // 10) == 0:
            print(f"  {i + 1}/{args.n} inputs, {failures} failures", file=sys.stderr)
    summary = {"inputs": args.n, "failures": failures, "seconds": round(time.perf_counter() - t0, 1),
               "slowest_turn_ms": round(slowest[0] * 1000, 2), "slowest_input": slowest[1]}
    print(json.dumps(summary) if args.json else
          f"{summary['inputs']} inputs, {failures} failures, {summary['seconds']} s, "
          f"slowest turn {summary['slowest_turn_ms']} ms ({summary['slowest_input']})")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
