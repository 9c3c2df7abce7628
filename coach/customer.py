"""The simulated customer: a rule-based persona that answers the question it is asked."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .matching import Matching
from .scenario import Fact, Focus, Scenario
from .session import Feedback, overlap
from .steps import Step
from .text import normalise

#: A trainee line longer than this is a lecture, not a conversation.
LECTURE_CHARS = 80
#: A line sharing this much of the customer's last words (character bigrams) echoes them.
ECHO_OVERLAP = 0.4

#: The words that show what a question asks for. A question may show several; when one cue
#: lies inside a longer one (多少 in 多少人), the longer one speaks. Regional wording
#: (頭期款, 房貸, 自備款) is listed beside the mainland word, after t2s conversion.
FOCUS_CUES: dict[Focus, tuple[str, ...]] = {
    # Question words only: a noun such as 团队 is the subject of many questions about other
    # things (团队哪些方面还需要提升 asks for a weakness); the facts' topic words cover nouns.
    Focus.WHO: ("谁", "哪位", "哪几位", "哪些人", "什么人", "几个人", "多少人", "几位", "几口人", "有几个"),
    Focus.HOW_MUCH: ("多少钱", "多少", "预算", "价格", "价钱", "价位", "费用", "花费", "花多少", "首付",
                     "头期款", "头款", "自备款", "月供", "房贷", "贷款", "还款", "投入", "金额", "资金",
                     "本金", "积蓄", "总价", "单价", "几万", "规模", "体量", "业务量", "流水", "营业额",
                     "数量", "多大", "收费", "租金", "报价"),
    Focus.WHEN: ("什么时候", "何时", "哪天", "几号", "多久", "多长时间", "期限", "几年", "时间", "进度",
                 "时候", "哪个月", "来得及", "交期", "到港"),
    Focus.WHY: ("为什么", "为何", "怎么想到", "什么原因", "原因", "初衷", "动机", "怎么会", "为啥", "看重"),
    Focus.WORRY: ("担心", "顾虑", "头疼", "头痛", "放心", "不满意", "不满", "困难", "难处", "麻烦", "操心",
                  "最怕", "害怕", "问题", "挑战", "不顺", "不足", "遗憾", "风险", "吃亏", "踩坑", "烦恼",
                  "困扰", "痛点", "卡在", "不方便", "心疼", "闹心", "提升", "改进", "改善", "不够", "最不想", "不希望"),
}


_SOFTENED = re.compile(r"不(?:太|大|怎么|是很|很)")
_POINTING = re.compile(r"[这那]几")
_ASIDE = re.compile(r"先?(?:不谈|不说|不提|不管|别管|抛开)[^，,。？?！!]*")
_INDEFINITE = re.compile(r"(?:谁|什么|哪儿|哪里|多少)[都也]")
_SENTENCE = re.compile(r"[^。！？!?；;]+[。！？!?；;]*")


def asked_part(text: str) -> str:
    """The sentences of a line that ask something (end in ？), else the whole line.

    预算心里有数了。您想要几居室？ acknowledges the budget and asks about the flat: only
    the question says what the customer should answer.
    """
    sentences = _SENTENCE.findall(text)
    asked = [x for x in sentences if x.endswith(("?", "？"))]
    return "".join(asked) if asked else text


def question_focus(text: str) -> list[Focus]:
    """The foci a question shows, the leading one first; [] when none does."""
    # 不太顺, 不怎么满意, 不大放心 are softened 不顺, 不满意, 不放心.
    # 这几位, 那几天 point at something already named; 谁都, 什么也 mean anyone, anything.
    flat = _SOFTENED.sub("不", normalise(asked_part(text)).text.replace(" ", ""))
    # 先不谈价格 sets a topic aside: it is not what is asked.
    flat = _POINTING.sub("这些", _INDEFINITE.sub("", _ASIDE.sub("", flat)))
    spans: list[tuple[int, int, Focus]] = []
    for focus, cues in FOCUS_CUES.items():
        for cue in cues:
            start = flat.find(cue)
            while start >= 0:
                spans.append((start, start + len(cue), focus))
                start = flat.find(cue, start + 1)
    # A cue inside a longer cue is part of it: 多少人 asks who, not how much.
    kept = [s for s in spans if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                        for o in spans)]
    # The asked-for thing comes last in a Chinese question (先说预算，您最头疼的是哪个问题):
    # the cue nearest the end leads.
    out: list[Focus] = []
    for _, _, focus in sorted(kept, key=lambda s: -s[1]):
        if focus not in out:
            out.append(focus)
    return out


@dataclass(frozen=True)
class Reply:
    """What the customer answers, and why (``reaction`` names the kind of answer)."""

    text: str
    reaction: str  # fact, objection, probe_hit, probe_miss, repeat_ack, … (see scenario.REACTIONS)
    patience: int  # patience left after this line
    ended: str = ""  # "", "success" or "patience"
    fact: str = ""  # the fact id revealed, if any
    focus: str = ""  # what the question asked for (a Focus value), if it was a question


@dataclass
class CustomerState:
    patience: int
    revealed: dict[str, int] = field(default_factory=dict)  # fact id → sentences told
    closed_told: set[str] = field(default_factory=set)  # facts whose closed answer was given
    probe_done: bool = False
    probe_hit: bool = False
    repeated: bool = False
    confirmed: bool = False
    demoed: bool = False
    used_objections: set[int] = field(default_factory=set)
    ended: str = ""
    counters: dict[str, int] = field(default_factory=dict)
    last_text: str = ""  # the customer's last words, never said twice in a row
    last_fact: str = ""  # the fact the customer last talked about


class SimulatedCustomer:
    """Plays the scenario's customer. Same scenario, level, seed and lines → same replies."""

    def __init__(self, scenario: Scenario, level: str = "medium", seed: int = 0,
                 matching: Matching | Callable[[], Matching] | None = None) -> None:
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
    def matching(self) -> Matching | None:
        m = self._matching
        if m is not None and not isinstance(m, Matching):
            m = self._matching = m()
        return m

    def _say(self, reaction: str) -> str:
        """The next line for a reaction, rotating through its wordings, never the last line."""
        options = self.scenario.reactions.get(reaction) or _DEFAULTS.get(reaction) or ("嗯。",)
        spare = tuple(x for x in _DEFAULTS.get(reaction, ()) if x not in options)
        n = self.state.counters.get(reaction, 0)
        self.state.counters[reaction] = n + 1
        line = options[n % len(options)]
        if line == self.state.last_text:
            line = next((x for x in (*options, *spare, *_AGAIN) if x != self.state.last_text), line)
        return line

    def opening(self) -> str:
        text = self._say("greeting")
        self.state.last_text = text
        return text

    def _need_named(self, line: str) -> int:
        """How many of the true need's keyword groups the line names."""
        text = normalise(line).text.replace(" ", "")
        return sum(1 for group in self.scenario.need_keywords if any(w in text for w in group))

    def _found_topics(self, line: str) -> set[str]:
        line = asked_part(line)
        if self.matching is not None:
            return self.matching.find_words(normalise(line).text, self._topic_words)
        text = normalise(line).text.replace(" ", "")
        return {w for w in self._topic_words if w in text}

    def choose_fact(self, line: str, foci: list[Focus]) -> Fact | None:
        """The fact the question asks about.

        A fact of the question's focus comes first (最让您头疼的是哪件事 asks for a worry even
        when it names the managers); then a fact sharing the question's topic words. Among
        equals, a fact with more left to tell, then more topic words, then the later word.
        A bare "what" question needs a topic word: it is too broad to pick a fact by itself.
        """
        found = self._found_topics(line)
        flat = normalise(asked_part(line)).text.replace(" ", "")
        wanted = set(foci) - {Focus.WHAT}
        lead = foci[0] if foci else Focus.WHAT
        best: tuple[int, int, int, int, int] | None = None
        chosen = None
        for i, fact in enumerate(self.scenario.facts):
            words = [w for w in fact.topic if w in found]
            on_focus = 2 if lead in fact.focus and lead != Focus.WHAT else 1 if fact.focus & wanted else 0
            if not (on_focus or words):
                continue
            untold = 1 if self.state.revealed.get(fact.id, 0) < len(fact.open) else 0
            # The asked-about thing comes late in a Chinese question (家里平时爱吃哪些菜 asks
            # about food, not the family): a later topic word weighs more on a tie.
            last = max((flat.rfind(w) for w in words), default=-1)
            key = (on_focus, untold, len(words), last, -i)
            if best is None or key > best:
                best, chosen = key, fact
        return chosen

    def _echoes(self, line: str, fb: Feedback) -> bool:
        """The trainee gave the customer's own words back (a reflection)."""
        if "probe" in fb.moves:
            return False
        last = self.state.last_text
        return "reflect" in fb.moves or fb.reflected or (bool(last) and overlap(line, last) >= ECHO_OVERLAP)

    def respond(self, line: str, fb: Feedback, step: Step) -> Reply:
        """React to one trainee line, given the coach's feedback on it and the current step."""
        st = self.state
        if st.ended:
            return Reply("（客户已经结束了这次谈话。）", "ended", st.patience, st.ended)
        moves = set(fb.moves)
        reaction, text, cost, fact_id, focus = "statement", "", 0, "", ""
        if fb.red_lines:
            reaction, cost = "red_line", 3
        elif fb.commanding:
            reaction, cost = "pushy", 2
        elif fb.length > LECTURE_CHARS:
            reaction, cost = "lecture", 1
        elif "probe" in moves:
            st.probe_done = True
            named = self._need_named(line)
            if named == len(self.scenario.need_keywords):
                st.probe_hit = True
                reaction = "probe_hit"
            else:
                reaction = "probe_near" if named else "probe_miss"
        elif self._echoes(line, fb) and st.probe_done:
            st.repeated = True
            # Giving back the customer's correction names the need in the customer's own
            # words: the method's way from a "no" to a need both sides agree on.
            if not st.probe_hit and self._need_named(line) == len(self.scenario.need_keywords):
                st.probe_hit = True
                reaction = "repeat_need"
            else:
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
        elif self._echoes(line, fb):
            reaction, text, fact_id = self._echo_ack()
        elif fb.question_type in ("open", "closed"):
            foci = question_focus(line)
            focus = foci[0].value if foci else Focus.WHAT.value
            reaction, text, fact_id = self._answer(line, fb.question_type, step, foci)
        else:
            reaction, cost = "statement", 1
        if reaction in _NOTHING_NEW and (st.confirmed or st.demoed):
            # Past the need, a customer who hears nothing new asks for the next step.
            reaction, text, cost = ("ask_next" if st.demoed else "ask_demo"), "", 0
        if not text:
            text = self._say(reaction)
        elif text == st.last_text:
            text = self._say("fact_again")
        st.patience = max(0, st.patience - cost)
        if fact_id:
            st.last_fact = fact_id
        st.last_text = text
        if st.patience == 0 and not st.ended:
            st.ended = "patience"
            text = text + " " + self._say("end_patience")
        elif st.ended == "success" and "end_success" in self.scenario.reactions:
            text = text + " " + self._say("end_success")
        return Reply(text, reaction, st.patience, st.ended, fact_id, focus)

    def _echo_ack(self) -> tuple[str, str, str]:
        """A reflection before any probe: agree, and say a little more about the same thing."""
        st = self.state
        fact = next((f for f in self.scenario.facts if f.id == st.last_fact), None)
        yes = self._say("echo_ack")
        if fact is not None:
            told = st.revealed.get(fact.id, 0)
            if told < len(fact.open):
                st.revealed[fact.id] = told + 1
                return "echo_ack", yes + fact.open[told], fact.id
        return "echo_ack", yes, ""

    def _answer(self, line: str, qtype: str, step: Step, foci: list[Focus]) -> tuple[str, str, str]:
        st, lv = self.state, self.level
        # An objection from the deck may come first, as real customers raise them.
        deck = [i for i, o in enumerate(self.scenario.objections)
                if i not in st.used_objections and step in o.steps]
        if deck and self.rng.random() < lv.objection_rate:
            i = deck[0]
            st.used_objections.add(i)
            return "objection", self.scenario.objections[i].text, ""
        fact = self.choose_fact(line, foci)
        if fact is None:
            specific = [f for f in foci if f != Focus.WHAT]
            if specific:
                return f"fallback_{specific[0].value}", "", ""
            return ("vague_open" if qtype == "open" else "vague_closed"), "", ""
        told = st.revealed.get(fact.id, 0)
        if qtype == "open":
            if told >= len(fact.open):
                return "fact_again", "", fact.id
            chunk = fact.open[told:told + lv.reveal]
            st.revealed[fact.id] = told + len(chunk)
            return "fact", "".join(chunk), fact.id
        if lv.closed_reveal and fact.closed and told == 0 and fact.id not in st.closed_told:
            st.closed_told.add(fact.id)
            return "fact_closed", fact.closed, fact.id
        return "vague_closed", "", ""


#: Built-in wordings for the reactions a scenario may leave out, two or more each so that no
#: line need come twice in a row.
_DEFAULTS: dict[str, tuple[str, ...]] = {
    "statement": ("嗯，然后呢？", "你接着说。"),
    "confirm_early": ("等一下，你说的这个需求我还没认同呢。", "先别急着下结论，我还没说完。"),
    "demo_early": ("先别急着给我看东西，你还不了解我们的情况。", "东西先不看，我的情况你还没问清楚。"),
    "vague_open": ("这个嘛，不好说，你具体想问什么？", "你想问哪方面？说具体点。"),
    "vague_closed": ("嗯。", "还行吧。", "不好说。"),
    "fact_again": ("这个我刚才说过了。", "就是我前面说的那些。", "刚才说的就是全部了。"),
    "echo_ack": ("对，是这样。", "没错。", "对。"),
    "probe_hit": ("对，就是这个意思。", "没错，说的就是这个。"),
    "probe_miss": ("不是这个意思。", "不太对，你再想想。"),
    "probe_near": ("说对了一部分，不过不止这些。", "有这个意思，但还不全。"),
    "repeat_need": ("对，就是这个，你说到点子上了。", "没错，就是这么回事。"),
    "repeat_ack": ("对，是这样。", "对，就是这个意思。"),
    "confirm_ack": ("可以，就按这个来。", "行，就这么定。"),
    "demo_ack": ("好，你发我看看。", "行，我先看看。"),
    "ask_demo": ("需求就是这些了。你们具体打算怎么做？有没有东西先给我看看？", "就按这个来。你们有什么方案，拿出来看看吧。"),
    "ask_next": ("东西我先看看。接下来你看怎么安排？", "资料我收下了，下一步怎么走，你说。"),
    "wait_ack": ("行，我看完给你回复。", "好，过两天联系。"),
    "pushy": ("你别催我，我自己会判断。", "这事不用你替我决定。"),
    "lecture": ("说重点吧，我时间不多。", "你说这么多，我也记不住。"),
    "red_line": ("你这话说得太满了，我不敢信。", "这种话我听着就不放心。"),
    "end_patience": ("不好意思，我还有事，先这样吧。",),
    "fallback_who": ("人的事你先不用管，说说你们能做什么。", "这个我就不细说了。"),
    "fallback_how_much": ("钱的事先不谈，你先说说能帮我解决什么。", "这个得看你们的方案，现在说不好。"),
    "fallback_when": ("时间上还没定，看情况吧。", "这个还没想好，不急。"),
    "fallback_why": ("也没什么特别的原因。", "就是觉得该看看了。"),
    "fallback_worry": ("暂时也说不上有什么特别担心的。", "问题嘛，哪家都有一点。"),
}
#: Reactions that tell the trainee nothing new.
_NOTHING_NEW = frozenset({"statement", "vague_open", "vague_closed", "fact_again", "fallback_who",
                          "fallback_how_much", "fallback_when", "fallback_why", "fallback_worry"})
#: The last resort when every wording of a reaction was just said.
_AGAIN = ("嗯，就是刚才说的。", "还是那句话。")
