"""The simulated customer: a rule-based persona that reacts to what the trainee does."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Callable

from .matching import Matching
from .scenario import Scenario
from .session import Feedback
from .steps import Step
from .text import normalise

#: A trainee line longer than this is a lecture, not a conversation.
LECTURE_CHARS = 80


@dataclass(frozen=True)
class Reply:
    """What the customer answers, and why (``reaction`` names the kind of answer)."""

    text: str
    reaction: str  # fact, objection, probe_hit, probe_miss, repeat_ack, … (see scenario.REACTIONS)
    patience: int  # patience left after this line
    ended: str = ""  # "", "success" or "patience"
    fact: str = ""  # the fact id revealed, if any


@dataclass
class CustomerState:
    patience: int
    revealed: dict[str, int] = field(default_factory=dict)  # fact id → sentences told
    probe_done: bool = False
    probe_hit: bool = False
    repeated: bool = False
    confirmed: bool = False
    demoed: bool = False
    used_objections: set[int] = field(default_factory=set)
    ended: str = ""
    counters: dict[str, int] = field(default_factory=dict)


class SimulatedCustomer:
    """Plays the scenario's customer. Same scenario, level, seed and lines → same replies."""

    def __init__(self, scenario: Scenario, level: str = "medium", seed: int = 0,
                 matching: "Matching | Callable[[], Matching] | None" = None) -> None:
        self.scenario = scenario
        # With the coach's tokenizer, topic words match on token edges (体现在 is not 现在).
        # A callable is called on first use, so a practice prompt can show before the
        # tokenizer has started.
        self._matching = matching
        self._topic_words = {w for f in scenario.facts for w in f.topic}
        self.level_name = level
        self.level = scenario.levels[level]
        self.rng = random.Random(f"{scenario.id}|{level}|{seed}")
        self.state = CustomerState(patience=self.level.patience)

    @property
    def matching(self) -> "Matching | None":
        m = self._matching
        if m is not None and not isinstance(m, Matching):
            m = self._matching = m()
        return m

    def _say(self, reaction: str, default: str = "嗯。") -> str:
        options = self.scenario.reactions.get(reaction) or (default,)
        n = self.state.counters.get(reaction, 0)
        self.state.counters[reaction] = n + 1
        return options[n % len(options)]

    def opening(self) -> str:
        return self._say("greeting")

    def _hits_need(self, line: str) -> bool:
        text = normalise(line).text.replace(" ", "")
        return all(any(w in text for w in group) for group in self.scenario.need_keywords)

    def _topic(self, line: str) -> str | None:
        """The fact the question asks about: most topic words hit, untold facts first."""
        if self.matching is not None:
            found = self.matching.find_words(normalise(line).text, self._topic_words)
        else:
            text = normalise(line).text.replace(" ", "")
            found = {w for w in self._topic_words if w in text}
        best: tuple[int, int, int] | None = None
        best_id = None
        for i, fact in enumerate(self.scenario.facts):
            hits = sum(1 for w in fact.topic if w in found)
            if not hits:
                continue
            untold = 1 if self.state.revealed.get(fact.id, 0) < len(fact.open) else 0
            key = (untold, hits, -i)
            if best is None or key > best:
                best, best_id = key, fact.id
        return best_id

    def respond(self, line: str, fb: Feedback, step: Step) -> Reply:
        """React to one trainee line, given the coach's feedback on it and the current step."""
        st = self.state
        if st.ended:
            return Reply("（客户已经结束了这次谈话。）", "ended", st.patience, st.ended)
        moves = set(fb.moves)
        reaction, text, cost, fact_id = "statement", "", 0, ""
        if fb.red_lines:
            reaction, cost = "red_line", 3
        elif fb.commanding:
            reaction, cost = "pushy", 2
        elif fb.length > LECTURE_CHARS:
            reaction, cost = "lecture", 1
        elif "probe" in moves:
            st.probe_done = True
            if self._hits_need(line):
                st.probe_hit = True
                reaction = "probe_hit"
            else:
                reaction, cost = "probe_miss", 0
        elif ("reflect" in moves or fb.reflected) and st.probe_done:
            st.repeated = True
            reaction = "repeat_ack"
        elif "confirm" in moves:
            if st.probe_hit:
                st.confirmed = True
                reaction = "confirm_ack"
            else:
                reaction, cost = "confirm_early", 1
        elif "wait" in moves and st.demoed:
            reaction = "wait_ack"
            st.ended = "success"
        elif "demo" in moves:
            if st.confirmed:
                st.demoed = True
                reaction = "demo_ack"
            else:
                reaction, cost = "demo_early", 1
        elif fb.question_type in ("open", "closed"):
            reaction, text, fact_id = self._answer(line, fb.question_type, step)
        else:
            reaction, cost = "statement", 1
        if not text:
            text = self._say(reaction, _DEFAULTS.get(reaction, "嗯。"))
        st.patience = max(0, st.patience - cost)
        if st.patience == 0 and not st.ended:
            st.ended = "patience"
            text = text + " " + self._say("end_patience", "不好意思，我还有事，先这样吧。")
        elif st.ended == "success" and "end_success" in self.scenario.reactions:
            text = text + " " + self._say("end_success")
        return Reply(text, reaction, st.patience, st.ended, fact_id)

    def _answer(self, line: str, qtype: str, step: Step) -> tuple[str, str, str]:
        st, lv = self.state, self.level
        # An objection from the deck may come first, as real customers raise them.
        deck = [i for i, o in enumerate(self.scenario.objections)
                if i not in st.used_objections and step in o.steps]
        if deck and self.rng.random() < lv.objection_rate:
            i = deck[0]
            st.used_objections.add(i)
            return "objection", self.scenario.objections[i].text, ""
        fid = self._topic(line)
        if fid is None:
            return ("vague_open" if qtype == "open" else "vague_closed"), "", ""
        fact = next(f for f in self.scenario.facts if f.id == fid)
        told = st.revealed.get(fid, 0)
        if qtype == "open":
            if told >= len(fact.open):
                return "fact_again", "这个我刚才说过了。", fid
            chunk = fact.open[told:told + lv.reveal]
            st.revealed[fid] = told + len(chunk)
            return "fact", "".join(chunk), fid
        if lv.closed_reveal and fact.closed and told == 0:
            st.revealed[fid] = max(told, 0)
            return "fact_closed", fact.closed, fid
        return "vague_closed", "", ""


_DEFAULTS = {
    "statement": "嗯，然后呢？",
    "confirm_early": "等一下，你说的这个需求我还没认同呢。",
    "demo_early": "先别急着给我看东西，你还不了解我们的情况。",
    "vague_open": "这个嘛，不好说，你具体想问什么？",
    "vague_closed": "嗯。",
    "fact_again": "这个我刚才说过了。",
}
