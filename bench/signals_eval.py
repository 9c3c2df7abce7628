#!/usr/bin/env python3
"""Evaluate the signal detector of ``coach`` against a labelled dev set.

The dev set is a YAML file of customer utterances, each with the complete set of
signals a careful annotator expects (``tests/data/signals_dev.yaml`` by default)::

    items:
      - text: 我们的预算不够
        labels: [no_money]

Every text goes through the library's public API only, with a fresh session per
item::

    from coach import Coach
    coach = Coach.load()
    signals = coach.session().hear(text).signals

and the script reports, for each of the 13 signal ids, support, TP, FP, FN,
precision, recall and F1, then the macro-F1 over the 13 signals, the micro
scores and the exact-set accuracy (predicted set == expected set).

Usage (from the repository root)::

    python bench/signals_eval.py                      # table
    python bench/signals_eval.py path/to/set.yaml     # another data set
    python bench/signals_eval.py --errors             # also list misclassified items
    python bench/signals_eval.py --json [--errors]    # one JSON object on stdout

Signals the engine emits that are not among the 13 ids still make the exact-set
comparison fail and are counted under "unknown". An exception raised while
hearing an item is recorded (the prediction counts as empty) and reported; the
exit status is then 1. Only the standard library and PyYAML are used.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "tests" / "data" / "signals_dev.yaml"

SIGNAL_IDS: tuple[str, ...] = (
    "no_need",
    "no_money",
    "stall",
    "agree",
    "deny",
    "interest",
    "price_question",
    "competitor",
    "decision_maker",
    "info_disclosure",
    "request_demo",
    "ready_to_buy",
    "complaint",
)


# --------------------------------------------------------------------------- data


def load_items(path: Path) -> list[dict[str, Any]]:
    """Load and validate the dev set; return a list of {"text", "labels"} dicts."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ValueError(f"{path}: expected a mapping with an 'items' list")
    known = set(SIGNAL_IDS)
    items: list[dict[str, Any]] = []
    for n, raw in enumerate(data["items"], 1):
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise ValueError(f"{path}: item {n} has no 'text' string")
        labels = raw.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"{path}: item {n} ({raw['text']!r}): 'labels' must be a list of ids")
        bad = sorted(set(labels) - known)
        if bad:
            raise ValueError(f"{path}: item {n} ({raw['text']!r}): unknown signal id(s) {bad}")
        items.append({"text": raw["text"], "labels": frozenset(labels)})
    return items


# --------------------------------------------------------------------------- engine


def import_coach():
    """Return the ``Coach`` class, adding the repository root to sys.path if needed."""
    try:
        from coach import Coach  # noqa: PLC0415
    except ImportError:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        for name in [m for m in sys.modules if m == "coach" or m.startswith("coach.")]:
            del sys.modules[name]
        from coach import Coach  # noqa: PLC0415
    return Coach


def predict(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Run every text through a fresh session; return per-item results."""
    Coach = import_coach()
    coach = Coach.load()
    results = []
    for it in items:
        error = None
        try:
            got = frozenset(coach.session().hear(it["text"]).signals)
        except Exception as exc:  # noqa: BLE001 - report, keep evaluating
            got = frozenset()
            error = f"{type(exc).__name__}: {exc}"
        results.append({"text": it["text"], "expected": it["labels"], "got": got, "error": error})
    return results


# --------------------------------------------------------------------------- metrics


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-signal counts and scores, macro-F1, micro scores, exact-set accuracy."""
    per: dict[str, dict[str, Any]] = {}
    for sid in SIGNAL_IDS:
        tp = sum(1 for r in results if sid in r["expected"] and sid in r["got"])
        fp = sum(1 for r in results if sid not in r["expected"] and sid in r["got"])
        fn = sum(1 for r in results if sid in r["expected"] and sid not in r["got"])
        p, rec = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
        per[sid] = {"support": tp + fn, "tp": tp, "fp": fp, "fn": fn,
                    "precision": p, "recall": rec, "f1": _f1(p, rec)}
    tp = sum(v["tp"] for v in per.values())
    fp = sum(v["fp"] for v in per.values())
    fn = sum(v["fn"] for v in per.values())
    micro_p, micro_r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    known = set(SIGNAL_IDS)
    unknown: dict[str, int] = {}
    for r in results:
        for sid in r["got"] - known:
            unknown[sid] = unknown.get(sid, 0) + 1
    exact = sum(1 for r in results if r["got"] == r["expected"])
    return {
        "items": len(results),
        "signals": per,
        "macro_f1": sum(v["f1"] for v in per.values()) / len(SIGNAL_IDS),
        "micro": {"precision": micro_p, "recall": micro_r, "f1": _f1(micro_p, micro_r)},
        "exact_match": _ratio(exact, len(results)),
        "exact_match_count": exact,
        "unknown_signals": dict(sorted(unknown.items())),
        "exceptions": sum(1 for r in results if r["error"]),
    }


def misclassified(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items whose predicted set differs from the expected set (or that raised)."""
    out = []
    for r in results:
        if r["got"] != r["expected"] or r["error"]:
            e = {"text": r["text"], "expected": sorted(r["expected"]), "got": sorted(r["got"]),
                 "missing": sorted(r["expected"] - r["got"]), "extra": sorted(r["got"] - r["expected"])}
            if r["error"]:
                e["error"] = r["error"]
            out.append(e)
    return out


# --------------------------------------------------------------------------- output


def format_table(report: dict[str, Any]) -> str:
    head = f"{'signal':<16} {'support':>7} {'TP':>5} {'FP':>5} {'FN':>5} {'prec':>6} {'recall':>6} {'F1':>6}"
    lines = [head, "-" * len(head)]
    for sid in SIGNAL_IDS:
        v = report["signals"][sid]
        lines.append(f"{sid:<16} {v['support']:>7} {v['tp']:>5} {v['fp']:>5} {v['fn']:>5} "
                     f"{v['precision']:>6.3f} {v['recall']:>6.3f} {v['f1']:>6.3f}")
    lines.append("-" * len(head))
    m = report["micro"]
    lines.append(f"{'macro-F1':<16} {report['macro_f1']:.3f}")
    lines.append(f"{'micro P/R/F1':<16} {m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}")
    lines.append(f"{'exact-set acc':<16} {report['exact_match']:.3f}"
                 f"  ({report['exact_match_count']}/{report['items']} items)")
    if report["unknown_signals"]:
        lines.append(f"{'unknown ids':<16} {report['unknown_signals']}")
    if report["exceptions"]:
        lines.append(f"{'exceptions':<16} {report['exceptions']} item(s) raised (see --errors)")
    return "\n".join(lines)


def format_errors(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "no misclassified items"
    lines = [f"{len(errors)} misclassified item(s):"]
    for e in errors:
        lines.append(f"- {e['text']}")
        lines.append(f"    expected: {e['expected']}  got: {e['got']}"
                     f"  (missing {e['missing']}, extra {e['extra']})")
        if "error" in e:
            lines.append(f"    exception: {e['error']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Evaluate coach signal detection on a labelled YAML set.")
    ap.add_argument("data", nargs="?", default=None,
                    help="YAML data set (default: tests/data/signals_dev.yaml under the repo root; "
                         "a relative path is tried from the current directory, then the repo root)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--errors", action="store_true", help="list every misclassified item")
    args = ap.parse_args(argv)

    if args.data is None:
        path = DEFAULT_DATA
    else:
        path = Path(args.data)
        if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
            path = REPO_ROOT / path

    items = load_items(path)
    t0 = time.perf_counter()
    results = predict(items)
    elapsed = time.perf_counter() - t0
    report = score(results)
    errors = misclassified(results) if args.errors else None

    if args.json:
        out = {"data": str(path), "seconds": round(elapsed, 3), **report}
        if errors is not None:
            out["errors"] = errors
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{path}  ({len(items)} items, {elapsed:.2f}s)\n")
        print(format_table(report))
        if errors is not None:
            print()
            print(format_errors(errors))
    return 1 if report["exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
