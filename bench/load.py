"""How long ``Coach.load()`` of the bundled packs takes in a fresh process.

Usage, from the repository root::

    python bench/load.py [--runs N]

Each bundled pack set (the default pack, and the default pack with each optional pack)
is loaded in N fresh processes (default 7) after one untimed start; the figure is the
median, in milliseconds, of the load alone (imports excluded). Run it twice with
``COACH_PACK_CACHE=0`` set and unset to compare the two when a pack cache exists.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CHILD = ("import sys, time, json; import coach; t = time.perf_counter(); "
         "coach.Coach.load(sys.argv[1:]); print(json.dumps(time.perf_counter() - t))")


def load_ms(packs: list[str], runs: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    cmd = [sys.executable, "-c", CHILD, *packs]
    subprocess.run(cmd, env=env, check=True, capture_output=True)  # untimed: fills any cache
    times = [json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
             for _ in range(runs)]
    return statistics.median(times) * 1e3


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    sets = [["default"]] + [["default", f.stem] for f in sorted((REPO_ROOT / "rules" / "optional").glob("*.yaml"))]
    total = 0.0
    for packs in sets:
        ms = load_ms(packs, args.runs)
        total += ms
        print(f"{'+'.join(packs):32} {ms:7.1f} ms")
    print(f"{'all sets, summed':32} {total:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
