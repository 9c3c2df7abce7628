#!/usr/bin/env python3
"""Score the coach's signal detection on the labelled corpus of customer turns.

The corpus is ``corpus/turns/*.yaml``: one file per source, each with a ``source:`` block
(id, title, kind, split, url or repo + path) and ``items:`` (text, labels, optional script
and origin). Format and labelling conventions: ``corpus/README.md``.

Sources are split into ``dev`` (rules may be tuned on it) and ``test`` (only the aggregate
figures this script prints are ever looked at). Items written by the project itself
(``origin: self``, on the item or on its source) live in dev files and never count towards
test. Every text goes through the library's public API only, a fresh session per item::

    signals = Coach.load().session().hear(text).signals

For the chosen split the script prints, per signal, support, TP, FP, FN, precision, recall
and F1; the macro-F1 over the signals with support; the silence rate (the share of turns
carrying at least one gold signal that get no signal at all); and the same figures for
simplified (zh-Hans), traditional (zh-Hant) and Cantonese (yue) turns separately.

Usage (from the repository root)::

    python bench/signals_eval.py --split dev          # the dev split (the default)
    python bench/signals_eval.py --split test         # aggregate figures only
    python bench/signals_eval.py --split dev --errors # list misclassified dev items
    python bench/signals_eval.py --sources            # sources, kinds, splits, item counts
    python bench/signals_eval.py --split dev --source jddc-service   # one or more sources
    python bench/signals_eval.py path/to/set.yaml     # any file of items
    python bench/signals_eval.py --json ...           # one JSON object on stdout

``--errors`` is refused for the test split (and for a file whose source is a test source):
looking at test items one by one is how a test split turns into a dev split.

An exception raised while hearing an item is recorded (the prediction counts as empty) and
reported; the exit status is then 1. Only the standard library, PyYAML and OpenCC are used.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = REPO_ROOT / "corpus" / "turns"

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
SPLITS = ("dev", "test")
SCRIPTS = ("zh-Hans", "zh-Hant", "yue")
KINDS = ("e-commerce", "b2b", "insurance-finance", "realestate-cars", "education",
         "telecoms-utilities", "asr-call", "taiwan", "cantonese", "other")
ORIGINS = ("real", "self")
#: The script a source's items default to when neither the item nor the source says.
KIND_SCRIPT = {"taiwan": "zh-Hant", "cantonese": "yue"}
_SOURCE_KEYS = {"id", "title", "kind", "url", "repo", "path", "split", "note", "script",
                "origin", "license", "retrieved"}
# Characters and words only Cantonese writes: a turn holding one is Cantonese whatever its
# source (used only when neither the item nor its source names a script).
# 係 alone is not among them: traditional Mandarin writes it too (關係).
_YUE = re.compile(r"[唔冇嘅咩佢哋喺啲嘢睇畀啱嚟咗噉嗰攞揾搵諗谂嘥]|係咪|係唔係|點解|邊度|乜嘢|幾多")


class CorpusError(ValueError):
    """A corpus file that does not follow corpus/README.md."""


@dataclass
class Source:
    id: str
    title: str
    kind: str
    split: str
    origin: str
    path: Path
    where: str  # the URL, or repo:path
    script: str | None
    items: list[dict[str, Any]] = field(default_factory=list)


# --------------------------------------------------------------------------- data


def _detect_script(text: str) -> str:
    if _YUE.search(text):
        return "yue"
    from opencc import OpenCC

    global _T2S
    if _T2S is None:
        _T2S = OpenCC("t2s")
    return "zh-Hant" if _T2S.convert(text) != text else "zh-Hans"


_T2S: Any = None


def load_file(path: Path) -> Source:
    """Read one corpus file (or a bare ``items:`` file) and check it.

    Error messages quote an item's text only for dev sources: a malformed test item is
    reported by file and number, so fixing the file never means reading test text here.
    """
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise CorpusError(f"{path}: expected a mapping with an 'items' list")
    raw_src = data.get("source")
    if raw_src is None:
        # A bare file of items (the old data-set format): treated as a dev source.
        raw_src = {"id": path.stem, "title": path.stem, "kind": "other", "split": "dev"}
    if not isinstance(raw_src, dict):
        raise CorpusError(f"{path}: 'source' must be a mapping")
    unknown = set(raw_src) - _SOURCE_KEYS
    if unknown:
        raise CorpusError(f"{path}: unknown source key(s) {sorted(unknown)}")
    split = raw_src.get("split")
    if split not in SPLITS:
        raise CorpusError(f"{path}: source.split must be one of {SPLITS}, not {split!r}")
    kind = raw_src.get("kind", "other")
    if kind not in KINDS:
        raise CorpusError(f"{path}: source.kind {kind!r} is not one of {KINDS}")
    origin = raw_src.get("origin", "real")
    if origin not in ORIGINS:
        raise CorpusError(f"{path}: source.origin must be one of {ORIGINS}")
    script = raw_src.get("script") or KIND_SCRIPT.get(kind)
    if script is not None and script not in SCRIPTS:
        raise CorpusError(f"{path}: source.script must be one of {SCRIPTS}")
    where = raw_src.get("url") or ":".join(str(raw_src[k]) for k in ("repo", "path") if raw_src.get(k))
    src = Source(id=str(raw_src.get("id", path.stem)), title=str(raw_src.get("title", "")), kind=kind,
                 split=split, origin=origin, path=path, where=where, script=script)
    known = set(SIGNAL_IDS)
    for n, raw in enumerate(data["items"], 1):
        what = f"{path}: item {n}"
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"].strip():
            raise CorpusError(f"{what} has no 'text'")
        if split == "dev":
            what += f" ({raw['text']!r})"
        labels = raw.get("labels")
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise CorpusError(f"{what}: 'labels' must be a list of signal ids")
        bad = sorted(set(labels) - known)
        if bad:
            raise CorpusError(f"{what}: unknown signal id(s) {bad}")
        item_script = raw.get("script") or script or _detect_script(raw["text"])
        if item_script not in SCRIPTS:
            raise CorpusError(f"{what}: script must be one of {SCRIPTS}")
        item_origin = raw.get("origin", origin)
        if item_origin not in ORIGINS:
            raise CorpusError(f"{what}: origin must be one of {ORIGINS}")
        if item_origin == "self" and split == "test":
            raise CorpusError(f"{what}: self-written items belong in dev sources only")
        src.items.append({"text": raw["text"], "labels": frozenset(labels), "script": item_script,
                          "origin": item_origin, "source": src.id})
    return src


def load_corpus(root: Path = CORPUS_DIR) -> list[Source]:
    """Every source under ``root`` (``corpus/turns``), in file-name order."""
    sources = [load_file(p) for p in sorted(root.glob("*.yaml"))]
    seen: dict[str, Path] = {}
    for s in sources:
        if s.id in seen:
            raise CorpusError(f"{s.path}: source id {s.id!r} already used by {seen[s.id]}")
        seen[s.id] = s.path
    return sources


def select(sources: Iterable[Source], split: str, only: Iterable[str] = ()) -> list[dict[str, Any]]:
    """The items that count towards ``split``: self-written items never count towards test."""
    wanted = set(only)
    return [it for s in sources if s.split == split and (not wanted or s.id in wanted)
            for it in s.items if not (split == "test" and it["origin"] == "self")]


# --------------------------------------------------------------------------- engine


def import_coach():
    """Return the ``Coach`` class, adding the repository root to sys.path if needed."""
    try:
        from coach import Coach
    except ImportError:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        for name in [m for m in sys.modules if m == "coach" or m.startswith("coach.")]:
            del sys.modules[name]
        from coach import Coach
    return Coach


def predict(items: list[dict[str, Any]], coach: Any = None) -> list[dict[str, Any]]:
    """Run every text through a fresh session; return per-item results.

    A source's own turns may be among the packs' labelled examples (the nearest-example
    fallback): each item is heard by a coach that leaves out its own source's examples, so
    a dev source is scored on what the *other* sources' examples teach.
    """
    if coach is None:
        coach = import_coach().load()
    held_out: dict[str, Any] = {}
    results = []
    for it in items:
        error = None
        source = it.get("source", "")
        if source not in held_out:
            held_out[source] = coach.without_examples([source]) if hasattr(coach, "without_examples") else coach
        try:
            got = frozenset(held_out[source].session().hear(it["text"]).signals)
        except Exception as exc:  # report, keep evaluating
            got = frozenset()
            error = f"{type(exc).__name__}: {exc}"
        results.append({"text": it["text"], "expected": it["labels"], "got": got, "error": error,
                        "script": it.get("script", "zh-Hans"), "source": it.get("source", "")})
    return results


# --------------------------------------------------------------------------- metrics


def _ratio(num: int, den: int) -> float:
    return num / den if den else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-signal counts and scores, macro-F1, micro scores, silence, exact-set accuracy.

    The macro-F1 averages the signals that have support in ``results``: a subset (one
    script) without a single turn of some signal says nothing about that signal, and its
    false alarms still show in that signal's FP count and in the micro precision.
    """
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
    exact = sum(1 for r in results if r["got"] & known == r["expected"])
    bearing = [r for r in results if r["expected"]]
    silent = sum(1 for r in bearing if not (r["got"] & known))
    empty = [r for r in results if not r["expected"]]
    supported = [v["f1"] for v in per.values() if v["support"]]
    return {
        "items": len(results),
        "signals": per,
        "macro_f1": sum(supported) / len(supported) if supported else 0.0,
        "micro": {"precision": micro_p, "recall": micro_r, "f1": _f1(micro_p, micro_r)},
        "silence": _ratio(silent, len(bearing)),
        "silent_count": silent,
        "bearing_count": len(bearing),
        # Turns labelled with no signal that still got one: the false alarms on small talk.
        "false_alarm": _ratio(sum(1 for r in empty if r["got"] & known), len(empty)),
        "exact_match": _ratio(exact, len(results)),
        "exact_match_count": exact,
        "unknown_signals": dict(sorted(unknown.items())),
        "exceptions": sum(1 for r in results if r["error"]),
    }


def score_by_script(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The same figures for each script present in ``results``."""
    return {sc: score([r for r in results if r["script"] == sc]) for sc in SCRIPTS
            if any(r["script"] == sc for r in results)}


def evaluate(split: str = "dev", coach: Any = None, root: Path = CORPUS_DIR,
             only: Iterable[str] = ()) -> dict[str, Any]:
    """Score one split of the corpus: the report, with ``by_script``. For tests and tools."""
    items = select(load_corpus(root), split, only)
    results = predict(items, coach)
    report = score(results)
    report["by_script"] = score_by_script(results)
    return report


def misclassified(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items whose predicted set differs from the expected set (or that raised)."""
    out = []
    known = set(SIGNAL_IDS)
    for r in results:
        got = r["got"] & known
        if got != r["expected"] or r["error"]:
            e = {"text": r["text"], "source": r["source"], "script": r["script"],
                 "expected": sorted(r["expected"]), "got": sorted(got),
                 "missing": sorted(r["expected"] - got), "extra": sorted(got - r["expected"])}
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
    lines.extend(_summary(report))
    if report["unknown_signals"]:
        lines.append(f"{'unknown ids':<16} {report['unknown_signals']}")
    if report["exceptions"]:
        lines.append(f"{'exceptions':<16} {report['exceptions']} item(s) raised (see --errors)")
    by_script = report.get("by_script")
    if by_script:
        lines.append("")
        lines.append(f"{'script':<9} {'items':>6} {'macro-F1':>9} {'micro-F1':>9} {'prec':>6} "
                     f"{'recall':>6} {'silent':>7} {'exact':>6}")
        for sc, sub in by_script.items():
            m = sub["micro"]
            lines.append(f"{sc:<9} {sub['items']:>6} {sub['macro_f1']:>9.3f} {m['f1']:>9.3f} "
                         f"{m['precision']:>6.3f} {m['recall']:>6.3f} {sub['silence']:>7.1%} "
                         f"{sub['exact_match']:>6.3f}")
    return "\n".join(lines)


def _summary(report: dict[str, Any]) -> list[str]:
    m = report["micro"]
    return [
        f"{'macro-F1':<16} {report['macro_f1']:.3f}",
        f"{'micro P/R/F1':<16} {m['precision']:.3f} / {m['recall']:.3f} / {m['f1']:.3f}",
        (f"{'silent':<16} {report['silence']:.1%}  ({report['silent_count']}/{report['bearing_count']}"
         " turns with a signal got none)"),
        f"{'false alarms':<16} {report['false_alarm']:.1%}  (turns with no signal that got one)",
        f"{'exact-set acc':<16} {report['exact_match']:.3f}  ({report['exact_match_count']}/{report['items']} items)",
    ]


def format_errors(errors: list[dict[str, Any]]) -> str:
    if not errors:
        return "no misclassified items"
    lines = [f"{len(errors)} misclassified item(s):"]
    for e in errors:
        lines.append(f"- {e['text']}    [{e['source']}, {e['script']}]")
        lines.append(f"    expected: {e['expected']}  got: {e['got']}"
                     f"  (missing {e['missing']}, extra {e['extra']})")
        if "error" in e:
            lines.append(f"    exception: {e['error']}")
    return "\n".join(lines)


def sources_table(sources: list[Source]) -> dict[str, Any]:
    """Per source: kind, split, origin, where from, item counts (per split and per script)."""
    rows = []
    for s in sources:
        counted = {sp: len(select([s], sp)) for sp in SPLITS}
        rows.append({"id": s.id, "kind": s.kind, "split": s.split, "origin": s.origin,
                     "where": s.where, "items": len(s.items), **counted,
                     "scripts": {sc: sum(1 for it in s.items if it["script"] == sc) for sc in SCRIPTS}})
    totals = {sp: sum(r[sp] for r in rows) for sp in SPLITS}
    real = [s for s in sources if s.origin == "real"]
    return {"sources": rows, "totals": totals, "source_count": len(sources),
            "real_source_count": len(real), "kinds": sorted({s.kind for s in real})}


def format_sources(table: dict[str, Any]) -> str:
    head = f"{'source':<28} {'kind':<19} {'split':<5} {'origin':<6} {'dev':>5} {'test':>5}  zh-Hans/zh-Hant/yue"
    lines = [head, "-" * len(head)]
    for r in table["sources"]:
        sc = r["scripts"]
        lines.append(f"{r['id']:<28} {r['kind']:<19} {r['split']:<5} {r['origin']:<6} {r['dev']:>5} "
                     f"{r['test']:>5}  {sc['zh-Hans']}/{sc['zh-Hant']}/{sc['yue']}")
    lines.append("-" * len(head))
    t = table["totals"]
    lines.append(f"{table['source_count']} sources ({table['real_source_count']} of real speech), "
                 f"{t['dev']} dev items, {t['test']} test items")
    lines.append("kinds of real sources: " + (", ".join(table["kinds"]) or "none"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score coach signal detection on the corpus of customer turns.")
    ap.add_argument("data", nargs="?", default=None,
                    help="a YAML file of items instead of the corpus (a relative path is tried from "
                         "the current directory, then the repo root)")
    ap.add_argument("--split", choices=SPLITS, default=None, help="which split of corpus/turns (default dev)")
    ap.add_argument("--source", action="append", default=[], metavar="ID",
                    help="only this source (repeatable)")
    ap.add_argument("--sources", action="store_true", help="list the sources and their item counts")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    ap.add_argument("--errors", action="store_true", help="list every misclassified item (dev only)")
    ap.add_argument("--corpus", type=Path, default=CORPUS_DIR, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.sources:
        table = sources_table(load_corpus(args.corpus))
        print(json.dumps(table, ensure_ascii=False, indent=2) if args.json else format_sources(table))
        return 0

    if args.data is not None:
        if args.split:
            ap.error("give either a data file or --split, not both")
        path = Path(args.data)
        if not path.is_absolute() and not path.exists() and (REPO_ROOT / path).exists():
            path = REPO_ROOT / path
        src = load_file(path)
        split = src.split
        items = select([src], split)
        label = str(path)
    else:
        split = args.split or "dev"
        sources = load_corpus(args.corpus)
        unknown = set(args.source) - {s.id for s in sources}
        if unknown:
            ap.error(f"no such source: {', '.join(sorted(unknown))}")
        items = select(sources, split, args.source)
        label = f"corpus/turns split={split}" + (f" sources={','.join(args.source)}" if args.source else "")
    if args.errors and split == "test":
        print("--errors is refused for the test split: only its aggregate figures may be looked at.",
              file=sys.stderr)
        return 2

    if not items:
        print(json.dumps({"data": label, "split": split, "items": 0}) if args.json
              else f"{label}: no items, nothing to score")
        return 0
    t0 = time.perf_counter()
    results = predict(items)
    elapsed = time.perf_counter() - t0
    report = score(results)
    report["by_script"] = score_by_script(results)
    errors = misclassified(results) if args.errors else None

    if args.json:
        out = {"data": label, "split": split, "seconds": round(elapsed, 3), **report}
        if errors is not None:
            out["errors"] = errors
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{label}  ({len(items)} items, {elapsed:.2f}s)\n")
        print(format_table(report))
        if errors is not None:
            print()
            print(format_errors(errors))
    return 1 if report["exceptions"] else 0


if __name__ == "__main__":
    sys.exit(main())
