"""How long ``Coach.load()`` of the bundled packs takes in a fresh process.

Usage, from the repository root::

    python bench/load.py [--runs N] [--env NAME=VALUE ...]

Two pack sets: the default pack alone (what ``coach assist`` loads) and every bundled pack
together. Each is loaded in N fresh processes (default 9) after one untimed start; the
figure is the median, in milliseconds of CPU time, of ``Coach.load()`` alone (imports
excluded). With
``--env``, the same runs are made a second time with that variable set, interleaved with
the first so that the machine's other load falls on both alike, and the difference is
printed (bench/README.md, "Loading packs", has what ``--env COACH_PACK_CACHE=0`` showed
while coach had a pack cache).
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
# CPU time of the load, not wall time: on a shared machine it moves far less with the
# other load, and loading is all CPU (the files are in the page cache after the first start).
CHILD = ("import sys, time, json; import coach; t = time.process_time(); "
         "coach.Coach.load(sys.argv[1:]); print(json.dumps(time.process_time() - t))")


def one(packs: list[str], env: dict[str, str]) -> float:
    out = subprocess.run([sys.executable, "-c", CHILD, *packs], env=env, check=True, capture_output=True, text=True)
    return float(json.loads(out.stdout)) * 1e3


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    p.add_argument("--runs", type=int, default=9)
    p.add_argument("--env", action="append", default=[], metavar="NAME=VALUE")
    args = p.parse_args()
    base = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    variants = {"as is": base}
    if args.env:
        variants[" ".join(args.env)] = {**base, **dict(e.split("=", 1) for e in args.env)}
    bundled = ["default"] + [f.stem for f in sorted((REPO_ROOT / "rules" / "optional").glob("*.yaml"))]
    for label, packs in (("default pack", ["default"]), (f"all {len(bundled)} bundled packs", bundled)):
        times: dict[str, list[float]] = {name: [] for name in variants}
        for env in variants.values():
            one(packs, env)  # untimed: fills any cache
        for _ in range(args.runs):
            for name, env in variants.items():
                times[name].append(one(packs, env))
        medians = {name: statistics.median(ts) for name, ts in times.items()}
        line = "  ".join(f"{name}: {ms:6.1f} ms" for name, ms in medians.items())
        if len(medians) == 2:
            a, b = medians.values()
            line += f"  difference: {b - a:+6.1f} ms"
        print(f"{label:24} {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
