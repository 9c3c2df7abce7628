"""``coach lint``: every problem in a pack set, as ``path:line:col: CODE message (hint)``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .errors import Problem
from .matching import Matching
from .packs import PackSet, Rule, Where, load_packset
from .segment import new_segmenter
from .steps import Guard, Step, guard


def lint(sources: Iterable[str | Path]) -> list[Problem]:
    """Load the packs as ``Coach.load`` would and add the checks that need a tokenizer."""
    packset, problems = load_packset(list(sources))
    if packset is not None:
        problems += _deep_checks(packset)
    return sorted(problems, key=lambda p: (p.path, p.line, p.col, p.code))


def _deep_checks(ps: PackSet) -> list[Problem]:
    out: list[Problem] = []
    tk = new_segmenter(ps.dictionary)
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
                        f"{kind} '{sid}' 的关键词 '{w}' 被分词拆开（{'/'.join(parts)}），"
                        f"又和前后的字合在了一起，例如 '{bad[0]}'",
                        f"把 '{w}' 加进 'dictionary:' 让它保持一个词，或换一个短一些的关键词"))
    out += _rule_checks(ps)
    for r in ps.rules:
        if r.next is None:
            continue
        for src in sorted(r.steps or set(Step), key=lambda s: s.position):
            if guard(src, r.next) is None and r.next not in ps.flow.get(src, frozenset()):
                out.append(Problem(
                    r.where.path, r.where.line, r.where.col, "W202",
                    f"规则 '{r.id}' 从 {src.value} 走到 {r.next.value}，步骤表不允许这一步",
                    f"收窄这条规则的 'when: step'，或把 {r.next.value} 加进规则包的 flow.{src.value}"))
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
            occ = m.occurrences(text)
            if not any(o.start == len(pre) for o in occ.get(word, ())):
                bad.append(text)
    return bad


#: Shadowing is checked pairwise; past this many rules the check would take too long.
MAX_RULES_FOR_SHADOW_CHECK = 3000


def _covers(a: Rule, b: Rule) -> bool:
    """True when every turn that satisfies b's conditions also satisfies a's."""
    if a.steps is not None and (b.steps is None or not b.steps <= a.steps):
        return False
    if a.next is not None and any(guard(src, a.next) is not Guard.ALWAYS for src in (b.steps or set(Step))):
        return False  # the step machine may refuse a's move where b's is allowed
    if not a.signals <= b.signals:
        return False
    if a.any_signals and not (a.any_signals & b.signals) and not (b.any_signals and b.any_signals <= a.any_signals):
        return False
    if not a.not_signals <= b.not_signals or not a.slots <= b.slots or not a.no_slots <= b.no_slots:
        return False
    if not a.heard <= b.heard:
        return False
    if a.after and not (b.after and b.after <= a.after):
        return False
    if not a.not_after <= b.not_after:
        return False
    # a must also be able to answer: one variant whose slots b guarantees.
    known = set(b.slots) | {"customer"}
    return any(set(t.names) <= known for t in a.say)


def _same_conditions(a: Rule, b: Rule) -> bool:
    return (a.steps, a.signals, a.any_signals, a.not_signals, a.slots, a.no_slots, a.heard, a.after,
            a.not_after) == \
        (b.steps, b.signals, b.any_signals, b.not_signals, b.slots, b.no_slots, b.heard, b.after, b.not_after)


def _rule_checks(ps: PackSet) -> list[Problem]:
    out: list[Problem] = []
    rules = list(ps.rules)
    if len(rules) <= MAX_RULES_FOR_SHADOW_CHECK:
        ranked = sorted(rules, key=Rule.sort_key)
        reported: set[str] = set()
        for i, b in enumerate(ranked):
            for a in ranked[:i]:
                if b.id in reported:
                    break
                if _same_conditions(a, b) and a.priority == b.priority:
                    reported.add(b.id)
                    out.append(Problem(
                        b.where.path, b.where.line, b.where.col, "W302",
                        f"规则 '{a.id}' 和 '{b.id}' 打平：条件和优先级相同，所以 '{a.id}' "
                        f"（{a.where}）总是胜出",
                        "给其中一条不同的优先级，或加一个能区分它们的条件"))
                elif _covers(a, b):
                    reported.add(b.id)
                    out.append(Problem(
                        b.where.path, b.where.line, b.where.col, "W301",
                        f"规则 '{b.id}' 永远不会胜出：'{a.id}'（{a.where}）的条件相同或更宽，"
                        "并且在平局时胜出",
                        f"提高 '{b.id}' 的优先级，或收窄 '{a.id}'"))
    entered = {Step.INVESTIGATE} | {r.next for r in rules if r.next} | {m.step for m in ps.moves.values() if m.step}
    for step in Step:
        if step not in entered:
            where = ps.packs[-1].path if ps.packs else "?"
            out.append(Problem(where, 0, 0, "W303", f"步骤 '{step.value}' 永远到不了",
                               "加一条 'next' 是这一步的规则，或一个带 'step:' 的话术动作"))
    used: set[str] = set()
    for r in rules:
        used |= r.slots | r.no_slots | r.heard | {n for t in (*r.say, r.why) for n in t.names} | {k for k, _ in r.set_slots}
        used |= set(r.clear_slots)
    for table in (ps.signals, ps.moves):
        for d in table.values():
            used |= set(d.match.filled)
    set_by_rules = {k for r in rules for k, _ in r.set_slots}
    for slot in ps.slots.values():
        w = slot.where
        if not (slot.keywords or slot.patterns or slot.extract) and slot.id not in set_by_rules:
            out.append(Problem(w.path, w.line, w.col, "W304", f"槽位 '{slot.id}' 永远不会被填上",
                               "给它 keywords、patterns 或 extract，或在规则里 set 它"))
        if slot.id not in used and slot.id != "contact":
            out.append(Problem(w.path, w.line, w.col, "W305", f"槽位 '{slot.id}' 从没被用到",
                               "在规则条件或回复里用它，或删掉它"))
    keywords: set[str] = set()
    for table in (ps.signals, ps.moves):
        for d in table.values():
            keywords |= d.match.keywords()
    for slot in ps.slots.values():
        keywords |= {k for k, _ in slot.keywords}
    for head, words in ps.synonyms:
        keywords |= {head, *words}
    for word, _ in ps.dictionary:
        if word not in keywords and not any(word in k or k in word for k in keywords if len(k) > 1):
            w = ps.dictionary_where.get(word, Where("?", 0, 0))
            out.append(Problem(w.path, w.line, w.col, "W306", f"词典里的词 '{word}' 不属于任何关键词",
                               "删掉它，或在信号、话术动作或槽位里用它"))
    return out
