"""Composing read packs into one PackSet: names cross-checked, later packs win."""

from __future__ import annotations

import difflib
import hashlib
from typing import Any

from ..errors import Problem
from ..limits import MAX_PRIORITY, pack_number
from ..steps import Step
from ..template import Template
from ..yamlsafe import LDict, Pos
from .model import (
    BUILTIN_NAMES,
    DEFAULT_NEGATORS,
    VOCAB_REF,
    Matcher,
    MoveDef,
    PackSet,
    Rule,
    SignalDef,
    SlotDef,
    Where,
)
from .read import (
    KIND_NAMES,
    RawPack,
    Reader,
    compose_pattern,
    expand_refs,
    line_of,
    read_step,
    resolve_matcher,
    unknown_refs,
)
from .schema import RULE, WHEN


def _known(r: Reader, kind: str, name: str, known: set[str] | dict[str, Any], pos: Pos | None,
           code: str) -> bool:
    # A hashed membership test: this runs for every name every rule refers to, so it must
    # not copy ``known`` (that made loading quadratic in the number of signals).
    if name in known:
        return True
    close = difflib.get_close_matches(name, list(known), n=1)
    label = KIND_NAMES.get(kind, kind)
    hint = f"是不是 '{close[0]}'？" if close else f"先定义{label} '{name}'，或删掉它"
    r.err(pos, code, f"未知的{label} '{name}'", hint)
    return False


def compose(raws: list[RawPack], problems: list[Problem]) -> PackSet | None:
    """Cross-check the packs and build the PackSet; later packs win (see docs)."""
    signals: dict[str, SignalDef] = {}
    moves: dict[str, MoveDef] = {}
    slots: dict[str, SlotDef] = {}
    dictionary: dict[str, int | None] = {}
    dictionary_where: dict[str, Where] = {}
    synonyms: dict[str, list[str]] = {}
    negators: list[str] | None = None
    flow: dict[Step, set[Step]] = {}
    pack_ids: dict[str, str] = {}
    vocab: dict[str, list[str]] = {}
    fillers: dict[str, list[str]] = {"anywhere": [], "leading": []}
    constructions: dict[str, list[str]] = {}
    examples: list[tuple[str, str, tuple[str, ...]]] = []
    nearest: tuple[int, float, float] | None = None

    for raw in raws:
        r = Reader(raw.path, problems)
        if raw.info:
            if raw.info.id in pack_ids:
                r.err(Pos(1, 1), "E104", f"包 id '{raw.info.id}' 已被 {pack_ids[raw.info.id]} 使用",
                      "每个规则包用自己的 id")
            pack_ids[raw.info.id] = raw.path
        for word, freq, dpos in raw.dictionary:
            dictionary[word] = freq
            dictionary_where[word] = r.where(dpos)
        for key, vals in raw.synonyms.items():
            synonyms.setdefault(key, [])
            synonyms[key] += [v for v in vals if v not in synonyms[key]]
        if raw.negators is not None:
            negators = raw.negators
        # Vocabularies, fillers and constructions: later packs extend them.
        for name, words in raw.vocab.items():
            vocab.setdefault(name, [])
            vocab[name] += [w for w in words if w not in vocab[name]]
        for key, words in raw.fillers.items():
            fillers[key] += [w for w in words if w not in fillers[key]]
        for name, templates in raw.constructions.items():
            constructions.setdefault(name, []).extend(t for t, _ in templates)
        if raw.nearest is not None:
            nearest = raw.nearest
        seen: dict[str, Pos | None] = {}
        for sid, sdef, replace, _pos, titled in raw.signals:
            # Later packs extend a signal's keywords unless they say replace: true; an
            # extension without a title keeps the title the signal already has.
            if sid in signals and not replace:
                old = signals[sid].match
                new = sdef.match
                merged = Matcher(old.any + new.any, old.all + new.all, old.none + new.none,
                                 old.phrases + new.phrases, old.patterns + new.patterns,
                                 new.negatable and old.negatable,
                                 tuple(dict.fromkeys(old.filled + new.filled)),
                                 constructions=old.constructions + new.constructions)
                sdef = SignalDef(sid, sdef.title if titled else signals[sid].title, merged, sdef.where)
            signals[sid] = sdef
        for sid, mdef, _pos in raw.moves:
            moves[sid] = mdef
        for sid, sdef2, _pos in raw.slots:
            slots[sid] = sdef2
        for step, targets, pos in raw.flow:
            src = read_step(r, step, pos)
            for t, tpos in targets:
                dst = read_step(r, t, tpos)
                if src and dst:
                    flow.setdefault(src, set()).add(dst)
        del seen

    # Examples are checked once every signal of every pack is known.
    for raw in raws:
        r = Reader(raw.path, problems)
        for source, text, sigs, epos in raw.examples:
            # Every unknown signal is reported, not just the first.
            unknown = [sig for sig in sigs if not _known(r, "signal", sig, signals, epos, "E111")]
            if not unknown:
                examples.append((source, text, sigs))

    # Vocabularies and constructions resolve once every pack has added to them.
    tables: tuple[dict[str, Any], ...] = (signals, moves)
    for table in tables:
        for sid, d in list(table.items()):
            def report(message: str, hint: str, d: Any = d, sid: str = sid) -> None:
                problems.append(Problem(d.where.path, d.where.line, d.where.col, "E117",
                                        f"'{sid}' 里：{message}", hint))
            resolved = resolve_matcher(d.match, vocab, constructions, report)
            if resolved is not d.match:
                table[sid] = type(d)(**{**d.__dict__, "match": resolved})
    for sid, slot in list(slots.items()):
        if any(VOCAB_REF.search(p.pattern) for p in slot.patterns):
            bad = [n for p in slot.patterns for n in unknown_refs(p.pattern, vocab)]
            if bad:
                problems.append(Problem(slot.where.path, slot.where.line, slot.where.col, "E117",
                                        f"槽位 '{sid}' 的模式用了未知的词表 '{{{bad[0]}}}'",
                                        "在 'vocab:' 下定义它"))
                continue
            compiled = [compose_pattern(expand_refs(p.pattern, vocab), p.flags,
                                        lambda msg, hint, w=slot.where: problems.append(
                                            Problem(w.path, w.line, w.col, "E114", msg, hint)))
                        for p in slot.patterns]
            slots[sid] = SlotDef(**{**slot.__dict__, "patterns": tuple(c for c in compiled if c is not None)})

    for table in (signals, moves):
        for sid, d in table.items():
            for name in d.match.filled:
                if name not in slots:
                    close = difflib.get_close_matches(name, list(slots), n=1)
                    problems.append(Problem(d.where.path, d.where.line, d.where.col, "E112",
                                            f"'{sid}' 的 'filled' 提到了未知的槽位 '{name}'",
                                            f"是不是 '{close[0]}'？" if close else "在 'slots:' 下定义这个槽位"))

    # Rules are read after every signal and slot of every pack is known, so a pack may
    # refer to what an earlier or later pack defines.
    rules: dict[str, Rule] = {}
    tags: set[str] = set()
    all_rule_items = []
    position = 0
    for pack_index, raw in enumerate(raws):
        ids_here: dict[str, Pos | None] = {}
        for item, pos in raw.rules:
            all_rule_items.append((pack_index, raw, item, pos, position))
            position += 1
            rid = item.get("id")
            if isinstance(rid, str):
                if rid in ids_here:
                    Reader(raw.path, problems).err(
                        item.pos.get("id", pos), "E104",
                        f"规则 id '{rid}' 在这个包里用了两次（第一次在第 {line_of(ids_here[rid])} 行）",
                        "每条规则用自己的 id；要覆盖别的包里的规则，把它放在后加载的包里")
                ids_here[rid] = item.pos.get("id", pos)
            rule_tags = item.get("tags")
            if isinstance(rule_tags, list):
                tags |= {str(x) for x in rule_tags}
            elif isinstance(rule_tags, str):
                tags.add(rule_tags)
    rule_ids = {rid for _, _, item, _, _ in all_rule_items if isinstance(rid := item.get("id"), str)}
    names = set(slots) | set(BUILTIN_NAMES)
    after_names = rule_ids | tags | set(moves)  # once, not once per rule
    for pack_index, raw, item, pos, position in all_rule_items:
        rule = _read_rule(Reader(raw.path, problems), item, pos, pack_index, position,
                          signals, slots, moves, after_names, names)
        if rule is not None:
            rules[rule.id] = rule  # a later pack's rule of the same id replaces it

    ruleset = tuple(sorted(rules.values(), key=lambda x: (x.pack_index, x.position)))
    _check_fallbacks(ruleset, raws, problems)
    if any(p.is_error for p in problems):
        return None
    digest = hashlib.sha1("|".join(r.digest for r in raws).encode()).hexdigest()[:16]
    return PackSet(
        packs=tuple(r.info for r in raws if r.info),
        dictionary=tuple(dictionary.items()),
        synonyms=tuple((k, tuple(v)) for k, v in synonyms.items()),
        negators=tuple(negators if negators is not None else DEFAULT_NEGATORS),
        signals=signals,
        moves=moves,
        slots=slots,
        rules=ruleset,
        flow={k: frozenset(v) for k, v in flow.items()},
        fingerprint=digest,
        dictionary_where=dictionary_where,
        vocab=tuple((k, tuple(v)) for k, v in vocab.items()),
        fillers=(tuple(fillers["anywhere"]), tuple(fillers["leading"])),
        examples=tuple(examples),
        nearest=nearest,
    )


def _read_rule(r: Reader, item: LDict, pos: Pos | None, pack_index: int, position: int,
               signals: dict[str, SignalDef], slots: dict[str, SlotDef], moves: dict[str, MoveDef],
               after_names: set[str], template_names: set[str]) -> Rule | None:
    r.keys(item, RULE.keys, "规则")
    rid = r.ident(item.get("id"), item.pos.get("id", pos), "规则 id")
    label = f"规则 '{rid}'" if rid else "规则"
    when = r.mapping(item.get("when"), item.pos.get("when"), f"{label} 的 'when'")
    steps: frozenset[Step] | None = None
    conds: dict[str, frozenset[str]] = {k: frozenset() for k in WHEN.keys if k != "step"}
    if when is not None:
        r.keys(when, WHEN.keys, f"{label} 的 'when'")
        if "step" in when:
            found = []
            for s, spos in r.strings(when["step"], when.pos["step"], "step"):
                st = read_step(r, s, spos)
                if st:
                    found.append(st)
            steps = frozenset(found)
        for key in conds:
            vals = r.strings(when.get(key), when.pos.get(key), f"{label} 的 '{key}'")
            good = []
            for name, npos in vals:
                if key.endswith("signals"):
                    ok = _known(r, "signal", name, signals, npos, "E111")
                elif key.endswith("slots") or key == "heard":
                    ok = _known(r, "slot", name, slots, npos, "E112")
                else:
                    ok = _known(r, "rule, tag or move", name, after_names, npos, "E115")
                if ok:
                    good.append(name)
            conds[key] = frozenset(good)
    say_items = r.strings(item.get("say"), item.pos.get("say", pos), f"{label} 的 'say'")
    if not say_items:
        r.err(item.pos.get("say", pos), "E103", f"{label}没有 'say'",
              "至少给一句回复")
    say = []
    for text, tpos in say_items:
        t = Template.parse(text)
        _check_template(r, t, tpos, template_names, label)
        if not text.strip():
            r.err(tpos, "E107", f"{label}里有空的回复")
        say.append(t)
    why_text = r.text(item.get("why"), item.pos.get("why", pos), f"{label} 的 'why'", required=True)
    why = Template.parse(why_text)
    _check_template(r, why, item.pos.get("why"), template_names, label)
    nxt = read_step(r, item.get("next"), item.pos.get("next"))
    prio = item.get("priority", 0)
    if pack_number(prio, -MAX_PRIORITY, MAX_PRIORITY) is None:
        r.err(item.pos.get("priority"), "E102", f"priority 必须是 -{MAX_PRIORITY} 到 {MAX_PRIORITY} 之间的整数")
        prio = 0
    tags = frozenset(t for t, _ in r.strings(item.get("tags"), item.pos.get("tags"), "tags"))
    answer = item.get("answer", False)
    if not isinstance(answer, bool):
        r.err(item.pos.get("answer"), "E102", "answer 必须是 true 或 false")
        answer = False
    if answer and nxt is not None:
        r.err(item.pos.get("next"), "E102", f"{label}是回答问题的规则，步骤由它之后回到的那条规则决定",
              "去掉这条回答规则的 'next'")
    sets: list[tuple[str, str]] = []
    setspec = r.mapping(item.get("set"), item.pos.get("set"), f"{label} 的 'set'")
    if setspec is not None:
        for k, v in setspec.items():
            if _known(r, "slot", str(k), slots, setspec.pos.get(k), "E112"):
                sets.append((str(k), r.text(v, setspec.pos.get(k), f"'{k}' 的值")))
    clears = []
    for name, npos in r.strings(item.get("clear"), item.pos.get("clear"), "clear"):
        if _known(r, "slot", name, slots, npos, "E112"):
            clears.append(name)
    if rid is None or not say_items or not why_text:
        return None
    return Rule(
        id=rid, steps=steps, signals=conds["signals"], any_signals=conds["any_signals"],
        not_signals=conds["not_signals"], slots=conds["slots"], no_slots=conds["no_slots"],
        after=conds["after"], not_after=conds["not_after"], say=tuple(say), why=why, next=nxt,
        priority=prio, tags=tags, set_slots=tuple(sets), clear_slots=tuple(clears),
        pack_index=pack_index, position=position, where=r.where(item.pos.get("id", pos)),
        heard=conds["heard"], answer=answer,
    )


def _check_template(r: Reader, t: Template, pos: Pos | None, names: set[str], label: str) -> None:
    for bad in t.bad_references():
        r.err(pos, "E113", f"{label}里的 '{bad}' 不是槽位引用",
              "写成 {槽位id}，只用普通的槽位 id；要显示花括号，请换个说法")
    for name in t.names:
        if name not in names:
            close = difflib.get_close_matches(name, sorted(names), n=1)
            r.err(pos, "E113", f"{label}的模板用了未定义的槽位 '{name}'",
                  f"是不是 '{{{close[0]}}}'？" if close else "在 'slots:' 下定义这个槽位")


def _check_fallbacks(rules: tuple[Rule, ...], raws: list[RawPack], problems: list[Problem]) -> None:
    """Every step needs a rule that answers whatever the customer says."""
    if not rules:
        # Nothing could ever answer a turn: refused here rather than failing every turn.
        path = raws[-1].path if raws else "?"
        problems.append(Problem(path, 0, 0, "E116", "这组规则包里没有任何规则，任何一轮都无法回答",
                                "加上 'rules:'，或和 default 一起加载（--pack default --pack 这个包）"))
        return
    for step in Step:
        has = any(
            (r.steps is None or step in r.steps) and not (r.signals or r.any_signals or r.slots
                                                          or r.after or r.not_signals or r.no_slots or r.not_after
                                                          or r.heard)
            and any(not t.names or set(t.names) <= {"customer"} for t in r.say)
            for r in rules
        )
        if not has:
            path = raws[-1].path if raws else "?"
            problems.append(Problem(
                path, 0, 0, "E116", f"步骤 '{step.value}' 没有兜底规则",
                f"加一条只有 'when: {{step: {step.value}}}' 的规则，回复里不引用槽位，"
                "让这一步的每一轮都有回答"))
