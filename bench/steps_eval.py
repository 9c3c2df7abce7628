#!/usr/bin/env python3
"""Score the coach's step judgement on whole labelled sales conversations.

Each file of ``corpus/conversations/`` is one conversation (format: ``corpus/README.md``).
The conversation is replayed through the public API only, one session per conversation::

    session = Coach.load().session(customer=conv.get("customer", ""))
    session.say(turn["salesperson"])            # feedback ignored here
    suggestion = session.hear(turn["customer"])
    hit = suggestion.step.value in turn["accept"]

and the script prints the step accuracy over every labelled customer turn, the accuracy per
script (zh-Hans, zh-Hant, yue), and the recall of the probe and wait steps: of the turns
whose ``accept`` holds ``probe`` (``wait``), the share where the coach's step is ``probe``
(``wait``).

Usage (from the repository root)::

    python bench/steps_eval.py --split dev              # table
    python bench/steps_eval.py --split dev --errors     # also every missed turn, in context
    python bench/steps_eval.py --split test --json      # one JSON object

The test split is scored only in aggregate: ``--errors`` is refused there and nothing of a
test conversation's text is ever printed. An exception while replaying a conversation
counts its remaining turns as missed and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = REPO_ROOT / "corpus" / "conversations"

STEPS = ("investigate", "analyse", "communicate", "probe", "repeat", "confirm", "demo", "wait")
SCRIPTS = ("zh-Hans", "zh-Hant", "yue")
SPLITS = ("dev", "test")
#: The steps whose recall is reported on their own: the ones the method most often misses.
RECALLED = ("probe", "wait")


@dataclass(frozen=True)
class Turn:
    salesperson: str
    customer: str
    accept: frozenset[str]  # empty: the turn is not scored (a salesperson-only turn)


@dataclass(frozen=True)
class Conversation:
    path: Path
    split: str
    script: str
    register: str
    industry: str
    customer: str
    turns: tuple[Turn, ...]


@dataclass
class TurnResult:
    conversation: str
    index: int  # 1-based turn number in the file
    script: str
    accept: frozenset[str]
    got: str  # the suggestion's step; "" when replay raised
    rule: str = ""
    text: str = ""

    @property
    def hit(self) -> bool:
        return self.got in self.accept


@dataclass
class Replay:
    turns: list[TurnResult] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- data


class CorpusError(ValueError):
    """A conversation file breaks the format of corpus/README.md; the message names it."""


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise CorpusError(f"{where}: '{key}' must be text")
    return value.strip()


def load_conversation(path: Path) -> Conversation:
    """Read and check one conversation file."""
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    where = str(path)
    if not isinstance(data, dict):
        raise CorpusError(f"{where}: not a mapping")
    source = data.get("source")
    if not isinstance(source, dict):
        raise CorpusError(f"{where}: no 'source' mapping")
    split = source.get("split")
    if split not in SPLITS:
        raise CorpusError(f"{where}: source.split must be dev or test, not {split!r}")
    script = data.get("script")
    if script not in SCRIPTS:
        raise CorpusError(f"{where}: script must be one of {', '.join(SCRIPTS)}, not {script!r}")
    register = data.get("register", "")
    turns_raw = data.get("turns")
    if not isinstance(turns_raw, list) or not turns_raw:
        raise CorpusError(f"{where}: 'turns' must be a non-empty list")
    turns = []
    for n, raw in enumerate(turns_raw, 1):
        at = f"{where}: turn {n}"
        if not isinstance(raw, dict):
            raise CorpusError(f"{at}: not a mapping")
        salesperson = _text(raw, "salesperson", at)
        customer = _text(raw, "customer", at)
        if not salesperson and not customer:
            raise CorpusError(f"{at}: neither a salesperson nor a customer line")
        accept = raw.get("accept", [])
        if not isinstance(accept, list) or not all(isinstance(s, str) for s in accept):
            raise CorpusError(f"{at}: 'accept' must be a list of step ids")
        bad = sorted(set(accept) - set(STEPS))
        if bad:
            raise CorpusError(f"{at}: unknown step id(s) {bad}")
        if customer and not accept:
            raise CorpusError(f"{at}: a customer line needs 'accept'")
        if accept and not customer:
            raise CorpusError(f"{at}: 'accept' without a customer line")
        turns.append(Turn(salesperson, customer, frozenset(accept)))
    return Conversation(path, split, script, str(register or ""), str(data.get("industry", "")),
                        _text(data, "customer", where), tuple(turns))


def load_split(split: str, folder: Path = DEFAULT_DIR) -> list[Conversation]:
    """Every conversation of one split, in file-name order."""
    convs = [load_conversation(p) for p in sorted(folder.glob("*.yaml"))]
    return [c for c in convs if c.split == split]


# --------------------------------------------------------------------------- engine


def import_coach() -> Any:
    """The ``Coach`` class, from the repository if coach is not installed."""
    try:
        from coach import Coach
    except ImportError:
        sys.path.insert(0, str(REPO_ROOT))
        from coach import Coach
    return Coach


def replay(convs: list[Conversation], coach: Any = None) -> Replay:
    """Run every conversation through a fresh session; one result per labelled turn."""
    if coach is None:
        coach = import_coach().load()
    out = Replay()
    for conv in convs:
        session = coach.session(customer=conv.customer)
        broken = False
        for n, turn in enumerate(conv.turns, 1):
            result = TurnResult(conv.path.stem, n, conv.script, turn.accept, "")
            if not broken:
                try:
                    if turn.salesperson:
                        session.say(turn.salesperson)
                    if turn.customer:
                        s = session.hear(turn.customer)
                        result.got, result.rule, result.text = s.step.value, s.rule, s.text
                except Exception as exc:  # report, keep scoring the others
                    broken = True
                    out.exceptions.append(f"{conv.path.stem} turn {n}: {type(exc).__name__}: {exc}")
            if turn.accept:
                out.turns.append(result)
    return out


# --------------------------------------------------------------------------- metrics


def _ratio(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def score(rep: Replay, convs: list[Conversation]) -> dict[str, Any]:
    """Accuracy overall and per script, the recall of probe and wait, and the counts."""
    turns = rep.turns
    hits = sum(t.hit for t in turns)
    per_script = {}
    for script in SCRIPTS:
        mine = [t for t in turns if t.script == script]
        per_script[script] = {"turns": len(mine), "hits": sum(t.hit for t in mine),
                              "accuracy": _ratio(sum(t.hit for t in mine), len(mine))}
    trad = [t for t in turns if t.script != "zh-Hans"]
    recall = {}
    for step in RECALLED:
        due = [t for t in turns if step in t.accept]
        reached = sum(t.got == step for t in due)
        recall[step] = {"due": len(due), "reached": reached, "recall": _ratio(reached, len(due))}
    return {
        "conversations": len(convs),
        "turns": len(turns),
        "hits": hits,
        "accuracy": _ratio(hits, len(turns)),
        "scripts": per_script,
        # zh-Hant and yue together: the traditional-script conversations
        "traditional": {"turns": len(trad), "accuracy": _ratio(sum(t.hit for t in trad), len(trad))},
        "recall": recall,
        "exceptions": len(rep.exceptions),
    }


def missed(rep: Replay, convs: list[Conversation]) -> list[dict[str, Any]]:
    """Every missed dev turn, with the conversation so far (dev only)."""
    by_name = {c.path.stem: c for c in convs}
    out = []
    for t in rep.turns:
        if t.hit:
            continue
        conv = by_name[t.conversation]
        turn = conv.turns[t.index - 1]
        out.append({"conversation": t.conversation, "turn": t.index, "salesperson": turn.salesperson,
                    "customer": turn.customer, "accept": sorted(t.accept), "got": t.got,
                    "rule": t.rule, "text": t.text})
    return out


# --------------------------------------------------------------------------- output


def _fmt(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def format_table(report: dict[str, Any]) -> str:
    lines = [(f"step accuracy  {_fmt(report['accuracy'])}  ({report['hits']}/{report['turns']} turns, "
              f"{report['conversations']} conversations)")]
    for script, v in report["scripts"].items():
        lines.append(f"  {script:<8}     {_fmt(v['accuracy'])}  ({v['hits']}/{v['turns']})")
    lines.append(f"  traditional  {_fmt(report['traditional']['accuracy'])}  ({report['traditional']['turns']} turns)")
    for step, v in report["recall"].items():
        lines.append(f"{step:<5} recall   {_fmt(v['recall'])}  ({v['reached']}/{v['due']} turns where due)")
    if report["exceptions"]:
        lines.append(f"exceptions     {report['exceptions']} conversation(s) raised")
    return "\n".join(lines)


def format_errors(errors: list[dict[str, Any]], exceptions: list[str]) -> str:
    lines = [f"{len(errors)} missed turn(s):"]
    for e in errors:
        lines.append(f"- {e['conversation']} #{e['turn']}  accept {e['accept']}  got {e['got']} ({e['rule']})")
        if e["salesperson"]:
            lines.append(f"    销售: {e['salesperson']}")
        lines.append(f"    客户: {e['customer']}")
        lines.append(f"    建议: {e['text']}")
    lines.extend(f"exception: {x}" for x in exceptions)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Score the coach's steps on labelled conversations.")
    ap.add_argument("--split", choices=SPLITS, required=True)
    ap.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder of conversation files")
    ap.add_argument("--errors", action="store_true", help="list every missed turn (dev only)")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    if args.errors and args.split == "test":
        ap.error("--errors is for the dev split only: the test split is scored in aggregate")
    convs = load_split(args.split, args.dir)
    t0 = time.perf_counter()
    rep = replay(convs)
    elapsed = time.perf_counter() - t0
    report = score(rep, convs)
    dev_errors = missed(rep, convs) if args.errors else None
    if args.json:
        out = {"split": args.split, "seconds": round(elapsed, 3), **report}
        if dev_errors is not None:
            out["errors"] = dev_errors
            out["exception_details"] = rep.exceptions
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(f"{args.split}: {elapsed:.2f}s\n")
        print(format_table(report))
        if dev_errors is not None:
            print()
            print(format_errors(dev_errors, rep.exceptions))
    return 1 if rep.exceptions else 0


if __name__ == "__main__":
    sys.exit(main())
