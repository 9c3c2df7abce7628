"""The practice scorecard: steps achieved with evidence, metrics, a shown rubric, and advice.

Every figure is read from what the trainee saw during the practice: the live feedback on each
line (question type, moves, reflection, red lines, commanding tone) and the customer's
reaction. Nothing is judged a second time here, so the scorecard cannot disagree with what
the practice said line by line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from .steps import Step

#: Points for the steps and the true need; the style items below are scaled by the share of
#: the eight steps reached, so a polished conversation cut short never outranks a complete one.
RUBRIC: tuple[tuple[str, int, str], ...] = (
    ("steps", 56, "八个步骤，每完成一步 7 分"),
    ("true_need", 10, "说中了客户真正的需求并得到认同（试探说中，或试探后复述客户的纠正）"),
    ("open_questions", 10, ("摸情况时（调查、分析、沟通）开放式问题占 60% 及以上得满分，按比例折算；"
                            "试探、重复、确定要用的封闭式问句不算在内")),
    ("listening", 8, "摸情况时你说的字数不超过双方的 55% 得满分，超过 80% 不得分"),
    ("repetition", 6, "至少重复一次客户的原话（以每句点评里的“重复了客户的话”为准）"),
    ("concise", 5, "摸情况时每句不超过 60 字；试探、确定、展示、等待时不超过 80 字"),
    ("patience", 5, "客户始终没有失去耐心"),
)
#: The rubric items scaled by the share of steps reached.
SCALED = ("open_questions", "listening", "repetition", "concise", "patience")
PENALTIES: tuple[tuple[str, int, str], ...] = (
    ("red_line", -15, "每越过一次红线（保本、保底、稳赚、全权委托等）"),
    ("commanding", -5, "每一句命令口吻"),
    ("hint", -3, "每使用一次 /hint"),
)
#: A line asking questions to find the need (not probing, reflecting, confirming, showing).
DEFINING_CHARS = 60
#: A line that states the need or a plan may be longer, up to the lecture limit.
STATING_CHARS = 80
#: Listening: full points up to this share of the characters in the finding-out talk …
TALK_FULL = 0.55
#: … none from this share on.
TALK_NONE = 0.80

#: The moves that put a trainee's line in a step of its own; other lines are finding-out talk.
_MOVE_STEPS = {"probe": Step.PROBE, "reflect": Step.REPEAT, "confirm": Step.CONFIRM, "demo": Step.DEMO,
               "wait": Step.WAIT}
#: Customer reactions that mean the question drew something out.
_DREW = ("fact", "fact_closed", "echo_ack")


class Skill(str, Enum):
    """A skill tracked across practices (``coach history``)."""

    STEPS = "steps"
    OPEN_QUESTIONS = "open_questions"
    LISTENING = "listening"
    REFLECTION = "reflection"
    COMPLIANCE = "compliance"

    @property
    def label(self) -> str:
        return _SKILL_LABELS[self]

    @classmethod
    def parse(cls, key: str) -> Skill | None:
        """A skill by id, or by the Chinese label that older records used as the key."""
        try:
            return cls(key)
        except ValueError:
            return next((s for s, label in _SKILL_LABELS.items() if label == key), None)


_SKILL_LABELS = {
    Skill.STEPS: "八步完成度",
    Skill.OPEN_QUESTIONS: "开放式提问",
    Skill.LISTENING: "倾听",
    Skill.REFLECTION: "重复",
    Skill.COMPLIANCE: "合规",
}


@dataclass(frozen=True)
class Evidence:
    step: str
    achieved: bool
    turn: int = 0  # the trainee's line number
    line: str = ""
    why: str = ""  # what showed it, in words a trainee reads


@dataclass
class Scorecard:
    scenario: str
    level: str
    seed: int
    score: int
    steps: list[Evidence]
    metrics: dict[str, float]
    points: dict[str, float]
    keep: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    ended: str = ""

    @property
    def reached(self) -> int:
        return sum(e.achieved for e in self.steps)

    def skills(self) -> dict[Skill, float]:
        """Per-skill values 0–100, for the trend in ``coach history``."""
        m = self.metrics
        return {
            Skill.STEPS: round(100 * self.reached / 8),
            Skill.OPEN_QUESTIONS: round(100 * min(1.0, m["open_question_share"] / 0.6)),
            Skill.LISTENING: round(100 * _listening(m["talk_share"])),
            Skill.REFLECTION: 100 if m["repetitions"] else 0,
            Skill.COMPLIANCE: max(0, 100 - 50 * int(m["red_lines"]) - 20 * int(m["commanding"])),
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skills"] = {k.value: v for k, v in self.skills().items()}
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Scorecard:
        d = dict(d)
        d.pop("skills", None)
        steps = []
        for e in d["steps"]:
            e = dict(e)
            old = e.pop("rule", None)  # records before evidence was worded for trainees
            if old is not None and "why" not in e:
                e["why"] = _OLD_RULES.get(old.split(":")[-1], "")
            steps.append(Evidence(**e))
        d["steps"] = steps
        return cls(**d)


_OLD_RULES = {"fact": "客户说出了情况", "fact_closed": "客户说出了情况", "open_question": "开放式问题让客户说了下去",
              "probe": "客户回应了试探", "reflect": "客户认可了你的复述", "confirm": "客户认可了你说出的需求",
              "demo": "客户愿意看你展示的东西", "wait": "客户答应了跟进的安排"}


def _listening(share: float) -> float:
    return max(0.0, min(1.0, (TALK_NONE - share) / (TALK_NONE - TALK_FULL)))


def line_step(feedback: dict[str, Any]) -> Step | None:
    """The step a trainee's line takes by its own moves; None for finding-out talk."""
    found = [step for move, step in _MOVE_STEPS.items() if move in feedback.get("moves", ())]
    return max(found, key=lambda s: s.position) if found else None


def score(turns: list[dict[str, Any]], scenario: str, level: str, seed: int, hints: int,
          ended: str = "") -> Scorecard:
    """Score a transcript. ``turns`` are the trainee's turns, each a dict with ``n``,
    ``text``, ``reply``, ``feedback`` (Feedback fields) and ``reaction`` (the customer's).

    Pure: the same transcript always gets the same score.
    """
    found: dict[Step, Evidence] = {}

    def mark(step: Step, t: dict[str, Any], why: str) -> None:
        if step not in found:
            found[step] = Evidence(step.value, True, t["n"], t["text"], why)

    facts: set[str] = set()
    questions = open_q = reflect = red = command = 0
    talk_mine = talk_theirs = 0
    too_long = 0
    longest = 0
    true_need = False
    need_line = 0
    for t in turns:
        fb, reaction = t["feedback"], t.get("reaction", "")
        step = line_step(fb)
        length = len(t["text"])
        longest = max(longest, length)
        if length > (DEFINING_CHARS if step is None else STATING_CHARS):
            too_long += 1
        if step is None:
            talk_mine += length
            talk_theirs += len(t.get("reply", ""))
            if fb.get("question_type") in ("open", "closed"):
                questions += 1
                open_q += fb["question_type"] == "open"
        if fb.get("reflected"):
            reflect += 1
        if fb.get("red_lines"):
            red += 1
        if fb.get("commanding"):
            command += 1
        if reaction in _DREW and t.get("fact"):
            mark(Step.INVESTIGATE, t, "客户说出了自己的情况")
            facts.add(t["fact"])
            if len(facts) >= 2:
                mark(Step.ANALYSE, t, "摸清了两方面以上的情况")
        # Communicate is the talk that keeps the customer talking, not the opening line.
        if t["n"] > 1 and reaction in _DREW and (fb.get("question_type") == "open" or reaction == "echo_ack"):
            mark(Step.COMMUNICATE, t, "开放式问题或复述让客户接着说了下去")
        if reaction in ("probe_hit", "probe_near", "probe_miss"):
            mark(Step.PROBE, t, "说中了需求，客户认同" if reaction == "probe_hit" else "大胆试探，客户纠正了你")
        if reaction in ("repeat_ack", "repeat_need"):
            mark(Step.REPEAT, t, "试探之后复述客户的话，客户确认了")
        if reaction in ("probe_hit", "repeat_need") and not true_need:
            true_need = True
            need_line = t["n"]
        if reaction == "confirm_ack":
            mark(Step.CONFIRM, t, "明确说出了需求，客户认可")
        if reaction == "demo_ack":
            mark(Step.DEMO, t, "客户愿意看你展示的东西")
        if reaction == "wait_ack":
            mark(Step.WAIT, t, "客户答应了跟进的安排")
    evidence = [found.get(s, Evidence(s.value, False)) for s in Step]
    reached = sum(e.achieved for e in evidence)
    talk = talk_mine + talk_theirs
    metrics = {
        "trainee_turns": float(len(turns)),
        "questions": float(questions),
        "open_question_share": round(open_q / questions, 3) if questions else 0.0,
        "talk_share": round(talk_mine / talk, 3) if talk else 0.0,
        "longest_line": float(longest),
        "too_long": float(too_long),
        "repetitions": float(reflect),
        "red_lines": float(red),
        "commanding": float(command),
        "hints": float(hints),
        "true_need_named": 1.0 if true_need else 0.0,
        "true_need_line": float(need_line),
        "steps_reached": float(reached),
    }
    scale = reached / 8
    style = {
        "open_questions": 10 * min(1.0, metrics["open_question_share"] / 0.6) if questions else 0.0,
        "listening": 8 * _listening(metrics["talk_share"]) if talk else 0.0,
        "repetition": 6.0 if reflect else 0.0,
        "concise": 5.0 if turns and not too_long else 0.0,
        "patience": 5.0 if turns and ended != "patience" else 0.0,
    }
    points = {
        "steps": 7.0 * reached,
        "true_need": 10.0 if true_need else 0.0,
        **{k: round(v * scale, 1) for k, v in style.items()},
        "red_line": -15.0 * red,
        "commanding": -5.0 * command,
        "hint": -3.0 * hints,
    }
    total = round(max(0.0, min(100.0, sum(points.values()))))
    card = Scorecard(scenario, level, seed, total, evidence, metrics, points, ended=ended)
    _advise(card)
    return card


_STEP_ADVICE = {
    "investigate": "先问清客户的基本情况（团队、现状、困难），别急着介绍产品。",
    "analyse": "至少摸清两方面的事实，再判断需求的方向。",
    "communicate": "开场之后继续用“什么、怎么、哪些”开头的开放式问题，或复述客户的话，让客户接着说。",
    "probe": "信息够了就大胆试探：“所以您的困难是……，您是不是打算……？”",
    "repeat": "客户回答试探后，用“您是说……，对吧？”把他的原话重复一遍。",
    "confirm": "客户认同后，明确说出“您现在需要的就是……”，不要犹豫。",
    "demo": "需求确定后，给客户看样品、大纲或安排表，并请他提意见。",
    "wait": "展示之后给客户时间，约好跟进的时间，耐心等待。",
}


def _advise(card: Scorecard) -> None:
    """Keep, start, stop: each item names something that did or did not happen."""
    m = card.metrics
    missing = [e.step for e in card.steps if not e.achieved]
    if m["questions"] >= 2 and m["open_question_share"] >= 0.6:
        card.keep.append(f"摸情况时 {m['open_question_share']:.0%} 的问题是开放式的，客户愿意多说。")
    if m["repetitions"]:
        card.keep.append(f"重复了客户的原话 {int(m['repetitions'])} 次，既尊重客户，也校准了需求。")
    if m["true_need_named"]:
        card.keep.append(f"第 {int(m['true_need_line'])} 句说中了客户真正的需求，客户认同了。")
    if card.reached == 8:
        card.keep.append("八个步骤都走到了，客户答应了下一步。")
    elif card.reached >= 6:
        card.keep.append(f"走到了 {card.reached} 个步骤。")
    for step in missing[:2]:
        card.start.append(_STEP_ADVICE[step])
    if m["questions"] and m["open_question_share"] < 0.5:
        card.stop.append("摸情况时少问能用“是/不是”回答的封闭式问题，它们问不出信息。")
    if m["talk_share"] > 0.65:
        card.stop.append("摸情况时你说得比客户多：把话轮交给客户，多听少讲。")
    if m["too_long"]:
        card.stop.append("不要“评书”式长篇介绍，一次说一个要点。")
    if m["commanding"]:
        card.stop.append("别用命令口吻，客户不是下属：用“您看……可以吗？”（建议性原则）。")
    if m["red_lines"]:
        card.stop.append("不要承诺保本、保底、稳赚或代客操作：违规，也会失去客户的信任。")
    if m["hints"] >= 3:
        card.stop.append("少依赖 /hint，先自己想一句再看提示。")


def render(card: Scorecard, title: str = "") -> str:
    """The scorecard as plain text (Chinese)."""
    from .scenario import LEVEL_LABELS

    lines = [f"===== 成绩单{('：' + title) if title else ''} =====",
             f"得分：{card.score} / 100（{LEVEL_LABELS.get(card.level, card.level)}，seed {card.seed}）"]
    if card.ended == "patience":
        lines.append("客户失去了耐心，谈话提前结束。")
    elif card.ended != "success":
        lines.append(f"这次谈话没有走完：走到了 {card.reached} / 8 步。")
    lines.append("八个步骤：")
    for e in card.steps:
        step = Step(e.step)
        if e.achieved:
            lines.append(f"  ✔ {step.label}（{step.value}）第 {e.turn} 句「{_clip(e.line)}」：{e.why}")
        else:
            lines.append(f"  ✘ {step.label}（{step.value}）")
    m = card.metrics
    lines += [
        "指标：",
        f"  摸情况时开放式问题占比 {m['open_question_share']:.0%}（{int(m['questions'])} 个问题）",
        f"  摸情况时你说话的字数占比 {m['talk_share']:.0%}，最长一句 {int(m.get('longest_line', 0))} 字",
        f"  重复客户原话 {int(m['repetitions'])} 次，越过红线 {int(m['red_lines'])} 次，"
        f"命令口吻 {int(m['commanding'])} 次，使用提示 {int(m['hints'])} 次",
        f"评分规则（带 * 的项目按走到的步骤比例折算：{card.reached}/8）：",
    ]
    for key, pts, what in RUBRIC + PENALTIES:
        star = "*" if key in SCALED else " "
        lines.append(f"  {card.points.get(key, 0) + 0.0:>6.1f} / {pts:>3}{star} {what}")
    for head, items in (("继续保持", card.keep), ("开始做", card.start), ("停止做", card.stop)):
        if items:
            lines.append(f"{head}：")
            lines += [f"  · {x}" for x in items]
    return "\n".join(lines)


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
