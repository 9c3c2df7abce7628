"""Measurements that need a fresh process: ``run.py`` starts this script and reads its JSON.

Each command prints one JSON object on stdout and nothing else there::

    python bench/probe.py load-default [--repeat N]   # Coach.load() once jieba is initialised
    python bench/probe.py hold [--pack P ...]         # load, start, one turn; times and RSS
    python bench/probe.py hold --jieba-only           # jieba's global tokenizer and one cut

Run with the repository root on ``PYTHONPATH`` (``run.py`` sets it).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: The utterance of the single turn a held process takes.
TURN = "太贵了，我们的预算根本不够。"


def memory_mb() -> dict[str, float]:
    """VmRSS (resident now) and VmHWM (peak resident) of this process, in MiB."""
    out: dict[str, float] = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = int(value.split()[0]) / 1024  # kB → MiB
    except OSError:
        pass
    return {"rss_mb": out.get("VmRSS", float("nan")), "hwm_mb": out.get("VmHWM", float("nan"))}


def _quiet_jieba() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    return jieba


def load_default(repeat: int) -> dict[str, Any]:
    """``Coach.load()`` of the default packs, first in this process and then repeated."""
    jieba = _quiet_jieba()
    jieba.initialize()  # "once jieba is initialised": its dictionary is not part of the load
    from coach import Coach

    t0 = time.perf_counter()
    coach = Coach.load()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        Coach.load()
        warm.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    coach.warm_up()
    start = time.perf_counter() - t0
    return {
        "load_first_ms": first * 1e3,
        "load_warm_ms": statistics.median(warm) * 1e3 if warm else None,
        "tokenizer_start_ms": start * 1e3,
    }


def hold(packs: Sequence[str], jieba_only: bool) -> dict[str, Any]:
    """Import, load, start the tokenizer and take one turn; report each time and memory."""
    t0 = time.perf_counter()
    if jieba_only:
        jieba = _quiet_jieba()
        imported = time.perf_counter()
        jieba.lcut(TURN)
        done = time.perf_counter()
        return {"import_s": imported - t0, "first_cut_s": done - imported, **memory_mb()}
    from coach import Coach

    imported = time.perf_counter()
    coach = Coach.load(list(packs) or None)
    loaded = time.perf_counter()
    coach.warm_up()
    started = time.perf_counter()
    session = coach.session()
    suggestion = session.hear(TURN)
    done = time.perf_counter()
    assert suggestion.text
    return {
        "import_s": imported - t0,
        "load_s": loaded - imported,
        "tokenizer_start_s": started - loaded,
        "first_turn_ms": (done - started) * 1e3,
        "rules": len(coach.packset.rules),
        **memory_mb(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("load-default")
    p.add_argument("--repeat", type=int, default=10)
    p = sub.add_parser("hold")
    p.add_argument("--pack", action="append", default=[], help="pack to load (default: the bundled default)")
    p.add_argument("--jieba-only", action="store_true", help="only jieba's global tokenizer and one cut")
    args = ap.parse_args(argv)
    if args.command == "load-default":
        out = load_default(args.repeat)
    else:
        out = hold([str(Path(p)) for p in args.pack], args.jieba_only)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
