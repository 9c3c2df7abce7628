"""``coach lint``: every problem in a pack set, as ``path:line:col: CODE message (hint)``."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from .errors import Problem
from .matching import Matching
from .pack import PackSet, load_packset
from .steps import Step
from .tokenizer import Word, new_tokenizer


def lint(sources: Iterable[str | Path]) -> list[Problem]:
    """Load the packs as ``Coach.load`` would and add the checks that need a tokenizer."""
    packset, problems = load_packset(list(sources))
    if packset is not None:
        problems += _deep_checks(packset)
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.code))


def _deep_checks(ps: PackSet) -> list[Problem]:
    out: list[Problem] = []
    tk = new_tokenizer(tuple(Word(w, f) for w, f in ps.dictionary))
    m = Matching(ps, tk)
    dictionary = {w for w, _ in ps.dictionary}
    seen: set[str] = set()
    for table, kind in ((ps.signals, "signal"), (ps.moves, "move")):
        for sid, d in table.items():
            words = {k for alt in d.match.any for k in alt} | set(d.match.all)
            for w in sorted(words):
                if w in seen or w in dictionary or w not in m.token_words:
                    continue
                seen.add(w)
                parts = [t for t in tk.lcut(w) if t.strip()]
                bad = _merged_contexts(m, w) if len(parts) > 1 else []
                if len(bad) >= 2:
                    out.append(Problem(
                        d.where.path, d.where.line, d.where.col, "W201",
                        f"keyword '{w}' of {kind} '{sid}' is split by the tokenizer ({'/'.join(parts)}) "
                        f"and merged with its neighbours, e.g. in '{bad[0]}'",
                        f"add '{w}' to 'dictionary:' so it stays one token, or use a shorter keyword"))
    if ps.flow:
        for r in ps.rules:
            if r.next is None:
                continue
            for src in sorted(r.steps or set(Step), key=lambda s: s.index):
                if src != r.next and r.next not in ps.flow.get(src, frozenset()):
                    out.append(Problem(
                        r.where.path, r.where.line, r.where.col, "W202",
                        f"rule '{r.id}' moves from {src.value} to {r.next.value}, which 'flow' does not list",
                        f"add {r.next.value} to flow.{src.value}, or narrow the rule's 'when: step'"))
                    break
    return out


_PREFIXES = ("我", "这个", "就是")
_SUFFIXES = ("的", "了", "吗")


def _merged_contexts(m: Matching, word: str) -> list[str]:
    """Everyday contexts in which the keyword would not line up with token boundaries."""
    bad = []
    for pre in _PREFIXES:
        for suf in _SUFFIXES:
            text = pre + word + suf
            occ = m._occurrences(text, m.tokenize(text))
            if not any(o.start == len(pre) for o in occ.get(word, ())):
                bad.append(text)
    return bad
