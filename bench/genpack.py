"""Generate keyword rule packs of a given size, and the same rules for RiveScript and AIML.

A generated pack of N rules holds N keyword rules — each keyed on its own signal whose
``any:`` lists 1–3 keywords — plus one fallback rule per step (a rule whose only condition
is the step, with a reply that names no slot), as ``docs/rule-packs.md`` requires.

The first ``LIVE_RULES`` rules are the same in every size: their keywords include real
words of the benchmark corpus, so some utterances hit them. Every other rule uses
synthetic words made of the corpus's own characters that occur nowhere in the corpus and
are not in jieba's dictionary: they fill the index without ever firing. Each utterance
therefore fires the same rules at 100, 1,000 and 10,000 rules, and the timings compare
how the rule count alone costs.

The same keyword rules are written for the peer engines, on input segmented by jieba and
joined with spaces:

- RiveScript (utf8 mode): one trigger per rule, ``+ [*] (词一|词二) [*]``, plus ``+ *``;
- AIML (python-aiml): four patterns per keyword (``词``, ``* 词``, ``词 *``, ``* 词 *``,
  because ``*`` matches one or more words), plus ``*``.

Usage::

    python bench/genpack.py --rules 100 1000 10000 --out /tmp/coach-bench-packs

Nothing generated is committed: the files go to the folder given (``run.py`` uses a
temporary one).
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import CUSTOMER_UTTERANCES

#: Rules whose keywords come partly from the corpus; the same in every generated size.
LIVE_RULES = 60
#: The eight steps, each of which needs a fallback rule.
STEPS = ("investigate", "analyse", "communicate", "probe", "repeat", "confirm", "demo", "wait")
#: A real corpus word is used as a keyword only if it occurs in at most this many
#: utterances, so that a live rule stays specific.
MAX_DOC_FREQ = 3
#: Reply of the peers' catch-all rule.
FALLBACK_REPLY = "FALLBACK"
DEFAULT_SEED = 20240505

_CJK_WORD = re.compile(r"^[\u4e00-\u9fff]+$")
_CJK_CHAR = re.compile(r"[\u4e00-\u9fff]")

Segment = Callable[[str], list[str]]


@dataclass(frozen=True)
class KeywordRule:
    """One generated rule: fires when any of its keywords occurs in the utterance."""

    number: int  # 1-based
    keywords: tuple[str, ...]
    live: bool  # has at least one keyword taken from the corpus

    @property
    def signal_id(self) -> str:
        return f"k{self.number:05d}"

    @property
    def rule_id(self) -> str:
        return f"kw.{self.number:05d}"

    @property
    def reply(self) -> str:
        """What the peer engines answer: the rule id, so a hit can be told from a miss."""
        return self.rule_id


@dataclass(frozen=True)
class GeneratedPack:
    """The files written for one size."""

    size: int
    rules: tuple[KeywordRule, ...]
    yaml_path: Path
    rive_path: Path
    aiml_path: Path


def jieba_segmenter() -> Segment:
    """jieba's global ``lcut``, initialised quietly: how the peers' input is segmented."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba.lcut


def segment_for_peers(text: str, segment: Segment) -> str:
    """An utterance as the peers read it: jieba tokens joined by spaces, punctuation dropped."""
    return " ".join(t for t in segment(text) if t.strip() and not _is_punct(t))


def _is_punct(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def real_words(utterances: Sequence[str], segment: Segment) -> list[str]:
    """Corpus words fit to be keywords: Chinese, 2+ characters, one jieba token, rare."""
    df: Counter[str] = Counter()
    for text in utterances:
        df.update({t for t in segment(text) if len(t) >= 2 and _CJK_WORD.match(t)})
    return sorted(w for w, n in df.items() if n <= MAX_DOC_FREQ and segment(w) == [w])


class SyntheticWords:
    """Made-up 2–3 character words that can never match the corpus."""

    def __init__(self, utterances: Sequence[str], rng: random.Random, dictionary: Iterable[str]) -> None:
        self._rng = rng
        self._chars = sorted({ch for t in utterances for ch in _CJK_CHAR.findall(t)})
        self._text = "\n".join(utterances)
        self._dictionary = set(dictionary)
        self._used: set[str] = set()

    def take(self) -> str:
        while True:
            word = "".join(self._rng.choice(self._chars) for _ in range(self._rng.choice((2, 3))))
            if word in self._used or word in self._text or word in self._dictionary:
                continue
            self._used.add(word)
            return word


def make_rules(n: int, utterances: Sequence[str] = CUSTOMER_UTTERANCES, seed: int = DEFAULT_SEED,
               segment: Segment | None = None, dictionary: Iterable[str] = ()) -> tuple[KeywordRule, ...]:
    """N keyword rules; the first ``min(n, LIVE_RULES)`` use corpus words (same for any n)."""
    segment = segment or jieba_segmenter()
    rng = random.Random(seed)
    pool = real_words(utterances, segment)
    rng.shuffle(pool)
    synthetic = SyntheticWords(utterances, random.Random(seed + 1), dictionary)
    rules: list[KeywordRule] = []
    # Live rules first, with their own random stream, so they do not depend on n.
    for number in range(1, LIVE_RULES + 1):
        words = [pool.pop()]
        for _ in range(rng.randint(0, 2)):
            words.append(pool.pop() if rng.random() < 0.5 and pool else synthetic.take())
        rules.append(KeywordRule(number, tuple(words), live=True))
    rules = rules[:n]
    dead_rng = random.Random(seed + 2)
    for number in range(len(rules) + 1, n + 1):
        words = [synthetic.take() for _ in range(dead_rng.randint(1, 3))]
        rules.append(KeywordRule(number, tuple(words), live=False))
    return tuple(rules)


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def pack_yaml(rules: Sequence[KeywordRule], pack_id: str) -> str:
    """The rule pack, in the block style a trainer would write."""
    out = [
        f"# Generated by bench/genpack.py: {len(rules)} keyword rules and {len(STEPS)} fallbacks.",
        "pack:",
        f"  id: {pack_id}",
        f"  title: {_q(f'基准测试：{len(rules)} 条关键词规则')}",
        '  version: "1"',
        "",
        "signals:",
    ]
    for r in rules:
        out.append(f"  {r.signal_id}:")
        out.append(f"    any: [{', '.join(_q(k) for k in r.keywords)}]")
    out += ["", "rules:"]
    for r in rules:
        out += [
            f"  - id: {r.rule_id}",
            f"    when: {{signals: [{r.signal_id}]}}",
            "    priority: 10",
            f"    say: [{_q(f'您提到{r.keywords[0]}，能具体说说吗？')}]",
            f"    why: {_q(f'关键词规则 {r.number:05d}：请客户多说。')}",
        ]
    for step in STEPS:
        out += [
            f"  - id: fallback.{step}",
            f"    when: {{step: [{step}]}}",
            "    say:",
            f"      - {_q('明白。能再多说一点吗？您现在最关心的是哪方面？')}",
            f"    why: {_q('兜底：没有关键词规则命中时，用开放式问题让客户多说。')}",
        ]
    return "\n".join(out) + "\n"


def rivescript_source(rules: Sequence[KeywordRule], segment: Segment) -> str:
    """The rules as RiveScript 2 (load with ``RiveScript(utf8=True)``)."""
    out = ["! version = 2.0", f"// Generated by bench/genpack.py: {len(rules)} keyword rules.", ""]
    for r in rules:
        words = [segment_for_peers(k, segment) for k in r.keywords]
        alt = words[0] if len(words) == 1 else "(" + "|".join(words) + ")"
        out += [f"+ [*] {alt} [*]", f"- {r.reply}", ""]
    out += ["+ *", f"- {FALLBACK_REPLY}", ""]
    return "\n".join(out)


def aiml_source(rules: Sequence[KeywordRule], segment: Segment) -> str:
    """The rules as AIML 1.0.1 categories (load with ``aiml.Kernel().learn(path)``)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<aiml version="1.0.1">']
    for r in rules:
        for k in r.keywords:
            w = escape(segment_for_peers(k, segment))
            for pattern in (w, f"* {w}", f"{w} *", f"* {w} *"):
                out.append(f"<category><pattern>{pattern}</pattern><template>{r.reply}</template></category>")
    out.append(f"<category><pattern>*</pattern><template>{FALLBACK_REPLY}</template></category>")
    out.append("</aiml>")
    return "\n".join(out) + "\n"


def generate(n: int, outdir: Path, utterances: Sequence[str] = CUSTOMER_UTTERANCES,
             seed: int = DEFAULT_SEED, segment: Segment | None = None) -> GeneratedPack:
    """Write ``rules_N.yaml``, ``rules_N.rive`` and ``rules_N.aiml`` into ``outdir``."""
    segment = segment or jieba_segmenter()
    import jieba

    dictionary = jieba.dt.FREQ if jieba.dt.initialized else ()
    rules = make_rules(n, utterances, seed, segment, dictionary)
    outdir.mkdir(parents=True, exist_ok=True)
    base = outdir / f"rules_{n}"
    paths = (base.with_suffix(".yaml"), base.with_suffix(".rive"), base.with_suffix(".aiml"))
    paths[0].write_text(pack_yaml(rules, f"bench_gen_{n}"), encoding="utf-8")
    paths[1].write_text(rivescript_source(rules, segment), encoding="utf-8")
    paths[2].write_text(aiml_source(rules, segment), encoding="utf-8")
    return GeneratedPack(n, rules, *paths)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate keyword rule packs (YAML, RiveScript, AIML).")
    ap.add_argument("--rules", type=int, nargs="+", default=[100, 1000, 10000], metavar="N",
                    help="sizes to generate (default: 100 1000 10000)")
    ap.add_argument("--out", type=Path, required=True, help="folder to write into")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = ap.parse_args(argv)
    segment = jieba_segmenter()
    for n in args.rules:
        g = generate(n, args.out, seed=args.seed, segment=segment)
        live = sum(r.live for r in g.rules)
        print(f"{n} rules ({live} live): {g.yaml_path} ({g.yaml_path.stat().st_size:,} B), "
              f"{g.rive_path.name}, {g.aiml_path.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
