"""The Coach: a loaded, immutable pack set that answers turns for any number of sessions."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import steps
from .limits import customer_name
from .matching import Analysis, Matching
from .packs import PackSet, Rule, load_or_raise
from .reflect import reflect
from .segment import backend, new_segmenter
from .session import MAX_SLOT_CHARS, MAX_SLOT_VALUES, Feedback, Session, Suggestion, overlap
from .steps import Progress, Step
from .template import Template
from .text import normalise, to_traditional

_QUESTION_ENDINGS = ("吗", "呢", "么", "什么", "怎么样", "如何", "哪些", "多少", "为什么", "怎么办", "几个", "哪个",
                     "哪里", "何时", "什么时候", "是不是", "对不对", "好不好", "行不行", "可不可以", "有没有",
                     "咩", "系咪", "点样", "几多", "边度", "边个", "几时", "啱唔啱")

@dataclass(frozen=True)
class Candidate:
    """A rule considered for a turn, and why it lost (empty ``lost`` for the winner)."""

    rule: str
    priority: int
    specificity: int
    lost: str  # "" for the winner
    returns: bool = False  # after the winner answered a question, this rule returns to the step


@dataclass(frozen=True)
class Explanation:
    """Everything the engine did with one utterance, for ``coach explain``."""

    original: str
    normalised: str
    tokens: tuple[str, ...]
    signals: dict[str, list[str]]  # signal → keywords that fired it
    suppressed: dict[str, list[str]]  # signal → negated or vetoing words
    slots: dict[str, list[str]]  # slots filled by this utterance
    step_before: Step
    candidates: tuple[Candidate, ...]
    winner: str
    suggestion: Suggestion
    heard: str = ""  # the normalised text without fillers and stammers: what the signals read
    # the labelled examples the turn was compared with when no rule heard anything:
    # (similarity, example text, its signals, its source), most similar first
    nearest: tuple[tuple[float, str, tuple[str, ...], str], ...] = ()

    def __str__(self) -> str:
        lines = [
            f"原文: {self.original}",
            f"规范化: {self.normalised}",
            *([f"听到: {self.heard}"] if self.heard and self.heard != self.normalised else []),
            f"分词: {' / '.join(self.tokens)}",
            "信号: " + ("; ".join(f"{k} ← {', '.join(v)}" for k, v in self.signals.items()) or "（无）"),
        ]
        if self.nearest:
            lines.append("最相近的例句（关键词规则没听出信号时参考）:")
            for sim, text, sigs, source in self.nearest:
                lines.append(f"  {sim:.2f} {text} → {'、'.join(sigs) or '（无信号）'}  〔{source}〕")
        if self.suppressed:
            lines.append("未触发: " + "; ".join(f"{k} ← {', '.join(v)}" for k, v in self.suppressed.items()))
        lines.append("槽位: " + ("; ".join(f"{k}={'、'.join(v)}" for k, v in self.slots.items()) or "（无）"))
        lines.append(f"当前步骤: {self.step_before.value}（{self.step_before.label}）")
        lines.append("候选规则:")
        for c in self.candidates:
            mark = "↳" if c.returns else "✔" if not c.lost else "✘"
            lines.append(f"  {mark} {c.rule} (priority {c.priority}, specificity {c.specificity})"
                         + (f": {c.lost}" if c.lost else ""))
        lines.append(f"胜出: {self.winner} → {self.suggestion.step.value}")
        lines.append(f"建议: {self.suggestion.text}")
        lines.append(f"原因: {self.suggestion.why}")
        return "\n".join(lines)


class Coach:
    """A loaded set of rule packs. Immutable after ``load()``; share it between threads.

    >>> coach = Coach.load()
    >>> s = coach.session(customer="李总").hear("我们的客户不需要")
    >>> "no_need" in s.signals
    True
    """

    def __init__(self, packset: PackSet) -> None:
        self._packset = packset
        self._lock = threading.Lock()
        self._matching: Matching | None = None
        # Chosen now, so that a bad COACH_TOKENIZER is an error of load(), not of a turn.
        self._backend = backend()
        self._by_signal: dict[str, list[Rule]] = {}
        self._by_step: dict[Step | None, list[Rule]] = {}
        self._rule_by_id: dict[str, Rule] = {r.id: r for r in packset.rules}
        for rule in packset.rules:
            key_signals = sorted(rule.signals) or sorted(rule.any_signals)
            if rule.signals:
                self._by_signal.setdefault(key_signals[0], []).append(rule)
            elif rule.any_signals:
                for sig in key_signals:
                    self._by_signal.setdefault(sig, []).append(rule)
            elif rule.steps is None:
                self._by_step.setdefault(None, []).append(rule)
            else:
                for step in rule.steps:
                    self._by_step.setdefault(step, []).append(rule)
        # Each rule's place in Rule.sort_key order, computed once: a turn sorts its
        # candidates by it instead of recomputing every key (specificity counts conditions).
        self._rank = {r.id: i for i, r in enumerate(sorted(packset.rules, key=Rule.sort_key))}
        self._plans = {r.id: _Plan(r) for r in packset.rules}
        # (step, a turn's signals) → the rules, in rank order, whose step and signal
        # conditions hold. Those conditions depend on nothing else and a conversation
        # meets few such pairs, so a turn checks only slot and previous-move conditions.
        self._eligible_memo: dict[tuple[Step, frozenset[str]], tuple[Rule, ...]] = {}

    # -- construction ------------------------------------------------------------------

    @classmethod
    def load(cls, packs: Iterable[str | Path] | str | Path | None = None) -> Coach:
        """Load packs: bundled ids (``"default"``), files or folders; later packs win.

        Raises PackError listing every problem when any pack is invalid.
        """
        return cls(load_or_raise(packs))

    @property
    def packset(self) -> PackSet:
        return self._packset

    @property
    def fingerprint(self) -> str:
        """Identifies the pack set; saved states only restore under the same one."""
        return self._packset.fingerprint

    @property
    def matching(self) -> Matching:
        """The tokenizer and match tables, built on first use (thread-safe)."""
        m = self._matching
        if m is None:
            with self._lock:
                m = self._matching
                if m is None:
                    m = Matching(self._packset, new_segmenter(self._packset.dictionary, self._backend))
                    self._matching = m
        return m

    def without_examples(self, sources: Iterable[str]) -> Coach:
        """This coach, except that the nearest-example fallback never answers with an example
        taken from these corpus sources: how a source whose own turns are among the packs'
        examples is scored fairly (``bench/signals_eval.py``). Shares everything else."""
        import copy

        clone = copy.copy(self)
        clone._lock = threading.Lock()
        clone._matching = self.matching.without_examples_of(sources)
        return clone

    def warm_up(self, background: bool = False) -> threading.Thread | None:
        """Start the tokenizer now (optionally in a thread) so the first turn is fast."""
        if not background:
            _ = self.matching  # built on first use
            return None
        t = threading.Thread(target=lambda: self.matching, name="coach-warm-up", daemon=True)
        t.start()
        return t

    def session(self, customer: str = "") -> Session:
        """A new conversation; ``customer`` is an optional name and title such as 李总.

        ``None`` is no name; anything but text raises InputError here, not at the first
        turn. The name is cut to ``coach.limits.MAX_NAME_CHARS`` characters.
        """
        return Session(self, customer_name(customer))

    def restore(self, state: Any) -> Session:
        """A session continuing exactly where ``Session.to_dict()`` left it."""
        return Session.from_dict(self, state)

    def adopt(self, session: Session) -> Session:
        """A session of this coach continuing another coach's session (after a pack reload).

        Step, facts and history carry over; slots and rule counts the new packs do not know
        are dropped.
        """
        s = Session(self, session.customer)
        s.step, s.turn, s.last, s.script = session.step, session.turn, session.last, session.script
        s.reached = list(session.reached)
        s.slots = {k: list(v) for k, v in session.slots.items() if k in self._packset.slots}
        known = {r.id for r in self._packset.rules}
        s.fired = {k: v for k, v in session.fired.items() if k in known}
        s.prev = session.prev
        s.last_suggestion = session.last_suggestion
        s.progress, s.heard = session.progress, session.heard
        return s

    # -- turns -------------------------------------------------------------------------

    def _values(self, session: Session, slots: dict[str, list[str]], last: str) -> _Values:
        values = _Values({k: "、".join(v) for k, v in slots.items() if v}, last)
        values["customer"] = session.customer or _first(slots.get("contact"))
        return values

    def _candidates(self, step: Step, signals: Iterable[str]) -> list[Rule]:
        seen: dict[str, Rule] = {}
        for sig in signals:
            for r in self._by_signal.get(sig, ()):
                seen[r.id] = r
        for r in self._by_step.get(step, ()):
            seen[r.id] = r
        for r in self._by_step.get(None, ()):
            seen[r.id] = r
        return sorted(seen.values(), key=lambda r: self._rank[r.id])

    def _eligible(self, step: Step, signals: frozenset[str]) -> tuple[Rule, ...]:
        """The candidates whose step and signal conditions hold, in rank order (memoised)."""
        key = (step, signals)
        got = self._eligible_memo.get(key)
        if got is None:
            got = tuple(r for r in self._candidates(step, signals) if not _static_reason(r, step, signals))
            if len(self._eligible_memo) >= _ELIGIBLE_MEMO_SIZE:
                self._eligible_memo.clear()  # a bound, not an LRU: refilling is cheap
            self._eligible_memo[key] = got
        return got

    def _select(self, session: Session, a: Analysis, explain: bool = False) -> _Selection:
        """The one rule selector, for hear and explain alike.

        The candidates are tried in rank order (priority, specificity, later pack, file
        order); the first whose conditions hold, whose move the step table allows from here,
        and that has a usable reply wins. A winner that answers the customer's question
        (``answer: true``) is followed by the next one, which returns to the step's own move.
        With ``explain`` every candidate is listed with the reason it lost (the winner and
        the rule it returns to with none).
        """
        slots = _merge(session.slots, a.slots, self._packset)
        values = self._values(session, slots, a.norm.original_hans)
        step, prev, signals = session.step, session.prev, frozenset(a.signals)
        fresh = a.slots.keys()
        progress = steps.heard(session.progress, step, signals, a.norm.original_hans[:200], "reflect" in prev)
        extra = self._packset.flow
        refused: dict[Step, str] = {}
        # Without a report only the rules whose step and signal conditions hold are tried:
        # the others could only lose.
        rules = self._candidates(step, signals) if explain else self._eligible(step, signals)
        report: list[Candidate] = []
        winner: Rule | None = None
        back: Rule | None = None  # after an answer: the rule that returns to the step's move
        line = back_line = ""
        for rule in rules:
            reason = _static_reason(rule, step, signals) if explain else ""
            done = winner is not None and (back is not None or not winner.answer)
            if not reason and done:
                reason = "优先级较低（排在胜出规则之后）"
            if not reason and winner is not None and rule.answer:
                reason = "已经回答过客户的问题"
            if not reason:
                reason = _turn_reason(rule, slots, prev, fresh)
            if not reason:
                nxt = rule.next or step
                why_not = refused.get(nxt)
                if why_not is None:
                    why_not = refused[nxt] = steps.refusal(step, nxt, progress, extra)
                reason = why_not
            text = ""
            if not reason:
                text = self._plans[rule.id].pick(values, session.fired.get(rule.id, 0))
                if not text:
                    reason = "回复模板所需的槽位未填"
            if explain:
                returns = not reason and winner is not None
                report.append(Candidate(rule.id, rule.priority, rule.specificity,
                                        "回答之后，由这条回到这一步该做的事" if returns else reason, returns))
            if not reason:
                if winner is None:
                    winner, line = rule, text
                else:
                    back, back_line = rule, text
                if not explain and (back is not None or not winner.answer):
                    break
        if winner is None or (winner.answer and back is None):
            # compose() refuses pack sets without a fallback rule for every step, and every
            # step may stay where it is, so this is reached only if a pack set was built by hand.
            raise RuntimeError(f"no rule answers step {step.value}")
        if back is not None and back.pack_index > winner.pack_index and (back.signals or back.any_signals):
            # A later pack that knows the trade answers this very question in its own terms
            # (its rule fires on what the customer just said): the generic answer stands aside.
            if explain:
                lost = f"让给 {back.id}（后加载的规则包针对这个问题作答）"
                report = [Candidate(c.rule, c.priority, c.specificity, lost) if c.rule == winner.id else
                          Candidate(c.rule, c.priority, c.specificity, "") if c.rule == back.id else c
                          for c in report]
            winner, line, back, back_line = back, back_line, None, ""
        return _Selection(winner, line, back, back_line, slots, values, progress, tuple(report))

    def _hear(self, session: Session, text: str) -> Suggestion:
        norm = normalise(text)
        a = self.matching.analyse(norm)
        return self._apply(session, a, self._select(session, a))

    def _apply(self, session: Session, a: Analysis, chosen: _Selection) -> Suggestion:
        rule, line, slots, values = chosen.rule, chosen.line, chosen.slots, chosen.values
        # An answer, then the rule that returns to the step's own move: that rule moves the step.
        acts = (rule,) if chosen.back is None else (rule, chosen.back)
        if a.norm.script:
            session.script = a.norm.script
        elif (session.script == "hant" and _has_cjk(a.norm.original)
              and to_traditional(a.norm.original) != a.norm.original):
            # Only a traditional session can switch back; a simplified one stays as it is.
            session.script = "hans"  # clearly simplified: answer in simplified again
        changed = False
        for act in acts:
            for name, value in act.set_slots:
                slots[name] = [value]
                changed = True
            for name in act.clear_slots:
                slots.pop(name, None)
                changed = True
        if changed:
            values = self._values(session, slots, a.norm.original_hans)
        # else the values of the choice hold: same slots, same customer, same last words.
        session.slots = slots
        why = "".join(act.why.render(values) for act in acts)
        if chosen.back is not None:
            line = line + chosen.back_line
        before = session.step
        nxt = acts[-1].next or before
        session.heard = (before, chosen.progress)
        # The advice is taken as said until the salesperson says otherwise (say).
        session.progress = steps.entered(chosen.progress, before, nxt, _need(slots))
        session.step = nxt
        if nxt not in session.reached:
            session.reached.append(nxt)
        session.turn += 1
        session.prev = tuple(dict.fromkeys(x for act in acts for x in self._plans[act.id].prev))
        for act in acts:
            session.fired[act.id] = session.fired.get(act.id, 0) + 1
        session.last = a.norm.original_hans[:MAX_SLOT_CHARS * 4]
        if session.script == "hant":
            line, why = to_traditional(line), to_traditional(why)
        s = Suggestion(step=nxt, text=line, why=why, signals=tuple(sorted(a.signals)), rule=rule.id,
                       slots={k: "、".join(v) for k, v in slots.items()}, trimmed=a.norm.trimmed)
        session.last_suggestion = s
        return s

    def _say(self, session: Session, text: str) -> Feedback:
        """Judge the salesperson's line against the step machine and move the talk on.

        The line is judged from where the talk stood after the customer's last words (not
        from the coach's advice, which the salesperson may not have followed): what it does
        (its moves), whether the table allows that now, and what the step called for.
        """
        norm = normalise(text)
        a = self.matching.analyse(norm, moves=True)
        moves = self._packset.moves
        hits = dict(a.signals)
        composed = "need_named" in hits and "action_tested" in hits and "probe" in moves
        if composed:
            # a probe by its content; what the customer might do then (试用…) is no offer
            hits.setdefault("probe", hits["action_tested"])
            hits.pop("demo", None)
            hits.pop("confirm", None)
        seen = tuple(sorted(hits))
        step0, progress0 = session.heard if session.heard is not None else (session.step, session.progress)
        advice = session.last_suggestion
        expected = advice.step if advice is not None else step0
        # 哪里不合适我们再改 uses a question word but asks nothing: without a question mark,
        # only a line that ends like a question counts as one.
        tail = norm.text.rsplit(" ", 1)[-1] if norm.text else ""
        asked = "?" in norm.original or "？" in norm.original or tail.endswith(_QUESTION_ENDINGS)
        if "open_question" in seen and asked:
            qtype = "open"
        elif "closed_question" in seen or norm.original.rstrip().endswith(("?", "？")):
            qtype = "closed"
        else:
            qtype = "none"
        red = tuple(f"{moves[m].title}：{moves[m].note}" for m in seen if moves[m].red_line)
        commanding = "command" in seen
        pushing = [moves[m].note for m in seen if m in _PUSHY_MOVES and m != "command"]
        reflected = "reflect" in seen or (bool(session.last) and overlap(norm.original, session.last) >= 0.5)
        acts = _acts(norm.text, {m: hits[m] for m in seen if moves[m].step is not None}, moves, composed)
        if not acts and reflected and qtype == "closed":
            acts = [Step.REPEAT]  # the customer's own words, asked back: a check-back
        need = _need(session.slots) or norm.original_hans[:200]
        # The line's acts in the order said: each is checked against the table from where the
        # previous one left the talk (a need confirmed, then a sample offered, is in order).
        step, progress = step0, progress0
        why_not = ""
        did: Step | None = None
        for act in acts:
            if did is not None and act.position < step.position and act not in (Step.REPEAT, Step.PROBE):
                continue  # 看完大纲… after 您不着急: a mention of what was shown, not a step back
            refused = steps.refusal(step, act, progress, self._packset.flow)
            if not refused:
                progress, step, did = steps.entered(progress, step, act, need), act, act
            elif act is Step.CONFIRM and not steps.refusal(step, Step.PROBE, progress, self._packset.flow):
                # A need stated before it was probed and agreed is, in effect, a probe: the
                # customer's answer tests it.
                progress, step, did = steps.entered(progress, step, Step.PROBE, need), Step.PROBE, Step.PROBE
                why_not = why_not or refused
            else:
                why_not = why_not or refused
        if did is None:
            if not acts and step0 in steps.DEFINING and expected in steps.DEFINING:
                step = expected
            elif (acts or qtype != "none") and step0 in (Step.PROBE, Step.REPEAT):
                # The probe or reflection was answered and the salesperson asks something
                # else, or jumps ahead too early: the talk is back to defining the need.
                step = Step.COMMUNICATE
        # What the line should have done: what the coach advised, or any allowed act.
        if red:
            reason = red[0]
        elif commanding:
            reason = moves["command"].note
        elif pushing:
            reason = pushing[0]
        elif why_not:
            reason = f"{why_not}。"
        elif did is not None:
            reason = ""  # an act the table allows from here: reflecting, probing, …
        elif expected in steps.DEFINING or (step0 in steps.DEFINING and expected is Step.PROBE):
            reason = "" if qtype == "open" else _MISSED[expected]
            if qtype == "closed" and expected is Step.PROBE:
                reason = _MISSED[Step.PROBE]
        else:
            reason = _MISSED[expected]
        fits = not reason
        notes: list[str] = []
        if fits:
            notes = [moves[m].note for m in seen if moves[m].note and not moves[m].red_line]
        else:
            notes = [reason]
        if len(norm.original) > 80:
            notes.append("一次说得太长：多问少讲，把话轮交给客户（深入性原则靠倾听）。")
        if step not in session.reached:
            session.reached.append(step)
        session.step, session.progress, session.heard = step, progress, None
        # The previous move is the coach's last advice plus what the salesperson just said;
        # a second line before the customer answers replaces the first line's moves.
        advised = advice.rule if advice else None
        rule_then = self._rule_by_id.get(advised) if advised else None
        base = (rule_then.id, *sorted(rule_then.tags)) if rule_then else session.prev
        session.prev = tuple(dict.fromkeys((*base, *seen)))
        better = advice.text if not fits and advice is not None else ""
        if session.script == "hant":
            notes = [to_traditional(n) for n in notes]
            red = tuple(to_traditional(r) for r in red)
        return Feedback(
            question_type=qtype, moves=seen, step=step, fits_step=fits,
            red_lines=red, commanding=commanding, reflected=reflected,
            length=len(norm.original), notes=tuple(notes), better=better,
        )

    def explain(self, text: str, session: Session | None = None) -> Explanation:
        """What the engine reads in ``text`` and which rule answers it, step by step."""
        base = session if session is not None else self.session()
        probe = self.restore(base.to_dict())
        probe.last_suggestion = base.last_suggestion
        norm = normalise(text)
        a = self.matching.analyse(norm)
        chosen = self._select(probe, a, explain=True)
        suggestion = self._apply(probe, a, chosen)
        return Explanation(
            original=norm.original, normalised=norm.text,
            tokens=tuple(t for t, _, _ in a.tokens if t.strip()),
            signals=dict(a.signals), suppressed=dict(a.vetoed), slots=dict(a.slots),
            step_before=base.step, candidates=chosen.candidates, winner=chosen.rule.id,
            suggestion=suggestion, heard=a.heard,
            nearest=tuple((n.similarity, n.example.text, n.example.signals, n.example.source) for n in a.nearest),
        )


class _Values(dict[str, str]):
    """Template values whose ``echo`` (the customer's words reflected) is computed only
    when a template asks for it: most replies do not use it."""

    def __init__(self, values: dict[str, str], last: str) -> None:
        super().__init__(values)
        self._last = last

    def __missing__(self, key: str) -> str:
        if key != "echo":
            raise KeyError(key)
        echo = reflect(self._last) if self._last else ""
        self["echo"] = echo
        return echo

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        if key == "echo":
            return self[key]
        return super().get(key, default)


class _Selection(NamedTuple):
    rule: Rule  # the winner
    line: str
    back: Rule | None  # when the winner answers a question: the rule for the step's move
    back_line: str
    slots: dict[str, list[str]]
    values: _Values
    progress: Progress  # after the customer's words, before the advice
    candidates: tuple[Candidate, ...]  # filled only when explaining


def _need(slots: dict[str, list[str]]) -> str:
    """The need in the customer's terms, as far as the slots know it."""
    return "；".join("、".join(slots[k]) for k in ("pain", "trouble", "goal") if slots.get(k))[:200]


#: Moves that push the customer instead of suggesting: never a fit (建议性原则).
_PUSHY_MOVES = frozenset({"command", "pressure"})

#: What a line that did none of it missed, per the step the coach advised.
_MISSED = {
    Step.INVESTIGATE: "这一步要先了解客户的情况：用开放式问题请客户多说（全面性原则）。",
    Step.ANALYSE: "这一步要找需求的方向：用开放式问题问客户最操心的事（深入性原则）。",
    Step.COMMUNICATE: "这一步要让客户多说：用开放式问题问他的情况和困难，少讲自己（深入性原则）。",
    Step.PROBE: "困难和打算已经清楚，该试探了：说出你对需求的定义，再问客户是不是这样（建议性原则）。",
    Step.REPEAT: "客户刚回答了试探，该把他的原话重复回去，确认你的理解（建议性原则）。",
    Step.CONFIRM: "客户已经认同，该把需求明确说出来，请他确定（突出性原则）。",
    Step.DEMO: "需求已经确定，该把它变成看得见的东西：样品、方案或试用，并请客户反馈（突出性原则）。",
    Step.WAIT: "展示之后要给客户时间：约好跟进，谈交付和付款，不催促（建议性原则）。",
}


def _acts(text: str, hits: dict[str, list[str]], moves: dict[str, Any], probe: bool) -> list[Step]:
    """The steps a salesperson's line performs (``hits``: its moves that have a step), in the
    order it says them ("…可以给您看。您是说…对吧？" shows, then checks back). ``probe``: the
    line names a need and tests a next action, a probe whatever the phrasing, and what the
    customer might do then (试用…) is no offer."""
    if probe:
        hits = {m: w for m, w in hits.items() if m not in ("demo", "confirm")}
    placed = []
    for move, words in hits.items():
        step = moves[move].step
        if step is None:
            continue
        where = [i for i in (text.find(w) for w in words) if i >= 0]
        placed.append((min(where) if where else len(text), step.position, step))
    return [step for _, _, step in sorted(placed)]


def _first(values: list[str] | None) -> str:
    return values[0] if values else ""


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _merge(old: dict[str, list[str]], new: dict[str, list[str]], packset: PackSet) -> dict[str, list[str]]:
    out = {k: list(v) for k, v in old.items()}
    for k, values in new.items():
        values = [v[:MAX_SLOT_CHARS] for v in values]
        if packset.slots[k].multi:
            merged = out.get(k, []) + [v for v in values if v not in out.get(k, [])]
            out[k] = merged[-MAX_SLOT_VALUES:]
        else:
            out[k] = [values[-1]]
    return out


#: Most (step, signals) pairs a Coach remembers the eligible rules of (see _eligible).
_ELIGIBLE_MEMO_SIZE = 4096


def _static_reason(rule: Rule, step: Step, signals: set[str] | frozenset[str]) -> str:
    """Why the rule does not apply at this step with these signals, or ""."""
    if rule.steps is not None and step not in rule.steps:
        return f"步骤不符（需要 {'/'.join(s.value for s in rule.steps)}）"
    missing = rule.signals - signals
    if missing:
        return f"缺少信号 {', '.join(sorted(missing))}"
    if rule.any_signals and not (rule.any_signals & signals):
        return f"没有信号 {'/'.join(sorted(rule.any_signals))} 之一"
    bad = rule.not_signals & signals
    if bad:
        return f"出现了排除的信号 {', '.join(sorted(bad))}"
    return ""


def _turn_reason(rule: Rule, slots: dict[str, list[str]], prev: tuple[str, ...], fresh: Iterable[str]) -> str:
    """Why the rule does not apply with these slots, the slots this utterance filled
    (``fresh``) and this previous move, or ""."""
    unset = [s for s in rule.slots if not slots.get(s)]
    if unset:
        return f"槽位未填 {', '.join(sorted(unset))}"
    unheard = sorted(rule.heard - set(fresh))
    if unheard:
        return f"这句话没有说到 {', '.join(unheard)}"
    filled = [s for s in rule.no_slots if slots.get(s)]
    if filled:
        return f"槽位已填 {', '.join(sorted(filled))}"
    if rule.after and not (rule.after & set(prev)):
        return f"上一步不是 {'/'.join(sorted(rule.after))}"
    if rule.not_after and (rule.not_after & set(prev)):
        return f"上一步是 {'/'.join(sorted(rule.not_after & set(prev)))}"
    return ""


class _Plan:
    """What a turn needs of one rule's reply, computed at load: its variants with the names
    each needs, and the previous move it leaves behind."""

    __slots__ = ("prev", "variants")

    def __init__(self, rule: Rule) -> None:
        # The names a variant needs a value for: the customer's name is optional.
        self.variants: tuple[tuple[tuple[str, ...], Template], ...] = tuple(
            (tuple(n for n in t.names if n != "customer"), t) for t in rule.say)
        self.prev = (rule.id, *sorted(rule.tags))

    def pick(self, values: dict[str, str], fired: int) -> str:
        """The variant to say: rotate through those whose slots are all known."""
        usable = [v for v in self.variants if all(values.get(n) for n in v[0])]
        if not usable:
            return ""
        if len(usable) > 1:
            # Variants that use more of what is known are more specific: prefer them, and
            # rotate among equals so a rule that fires twice does not repeat itself word
            # for word. A usable variant knows every name it needs, so how much it uses is
            # how many it names; the customer's name adds politeness, not specificity, so
            # variants with and without it rotate together.
            most = max(len(v[0]) for v in usable)
            usable = [v for v in usable if len(v[0]) == most]
        return usable[fired % len(usable)][1].line(values)
