"""The practice scorecard: steps achieved with evidence, metrics, a shown rubric, and advice."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .steps import Step

#: The rubric, shown with every scorecard: (key, points, what earns them).
RUBRIC: tuple[tuple[str, int, str], ...] = (
    ("steps", 56, "八个步骤，每完成一步 7 分"),
    ("true_need", 10, "试探时说中了客户真正的需求"),
    ("open_questions", 10, "开放式问题占提问的 60% 及以上得满分，按比例折算"),
    ("listening", 8, "你说的字数不超过全部对话的一半得满分，超过 80% 不得分"),
    ("repetition", 6, "至少重复一次客户的原话"),
    ("concise", 5, "最长的一句不超过 60 字"),
    ("patience", 5, "客户始终没有失去耐心"),
)
PENALTIES: tuple[tuple[str, int, str], ...] = (
    ("red_line", -15, "每越过一次红线（保本、保底、稳赚、全权委托等）"),
    ("commanding", -5, "每一句命令口吻"),
    ("hint", -3, "每使用一次 /hint"),
)


@dataclass(frozen=True)
class Evidence:
    step: str
    achieved: bool
    turn: int = 0  # the trainee's line number
    line: str = ""
    rule: str = ""  # what showed it: a move id or the customer's reaction


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

    def skills(self) -> dict[str, float]:
        """Per-skill values 0–100, for the trend in ``coach history``."""
        m = self.metrics
        return {
            "八步完成度": round(100 * sum(e.achieved for e in self.steps) / 8),
            "开放式提问": round(100 * m["open_question_share"]),
            "倾听": round(100 * max(0.0, min(1.0, (0.8 - m["talk_share"]) / 0.3))),
            "重复": 100 if m["repetitions"] else 0,
            "合规": max(0, 100 - 50 * int(m["red_lines"])),
        }

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["skills"] = self.skills()
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Scorecard":
        d = dict(d)
        d.pop("skills", None)
        d["steps"] = [Evidence(**e) for e in d["steps"]]
        return cls(**d)


def score(turns: list[dict[str, Any]], scenario: str, level: str, seed: int, hints: int,
          ended: str = "") -> Scorecard:
    """Score a transcript. ``turns`` are the trainee's turns, each a dict with ``n``,
    ``text``, ``feedback`` (Feedback fields) and ``reaction`` (the customer's).

    Pure: the same transcript always gets the same score.
    """
    found: dict[Step, Evidence] = {}

    def mark(step: Step, t: dict[str, Any], rule: str) -> None:
        if step not in found:
            found[step] = Evidence(step.value, True, t["n"], t["text"], rule)

    facts: set[str] = set()
    questions = open_q = reflect = red = command = 0
    trainee_chars = sum(len(t["text"]) for t in turns)
    customer_chars = sum(len(t.get("reply", "")) for t in turns)
    longest = max((len(t["text"]) for t in turns), default=0)
    true_need = False
    for t in turns:
        fb, reaction = t["feedback"], t.get("reaction", "")
        moves = set(fb.get("moves", ()))
        if fb.get("question_type") in ("open", "closed"):
            questions += 1
            open_q += fb["question_type"] == "open"
        if fb.get("red_lines"):
            red += 1
        if fb.get("commanding"):
            command += 1
        if reaction in ("fact", "fact_closed"):
            mark(Step.INVESTIGATE, t, f"reaction:{reaction}")
            facts.add(t.get("fact", ""))
            if len(facts) >= 2:
                mark(Step.ANALYSE, t, f"reaction:{reaction}")
        if fb.get("question_type") == "open" and reaction in ("fact", "objection", "fact_again", "vague_open"):
            mark(Step.COMMUNICATE, t, "move:open_question")
        if reaction in ("probe_hit", "probe_miss"):
            mark(Step.PROBE, t, "move:probe")
            true_need = true_need or reaction == "probe_hit"
        if reaction == "repeat_ack":
            reflect += 1
            mark(Step.REPEAT, t, "move:reflect")
        if reaction == "confirm_ack":
            mark(Step.CONFIRM, t, "move:confirm")
        if reaction == "demo_ack":
            mark(Step.DEMO, t, "move:demo")
        if reaction == "wait_ack":
            mark(Step.WAIT, t, "move:wait")
        del moves
    evidence = [found.get(s, Evidence(s.value, False)) for s in Step]
    total_chars = trainee_chars + customer_chars
    metrics = {
        "trainee_turns": float(len(turns)),
        "questions": float(questions),
        "open_question_share": round(open_q / questions, 3) if questions else 0.0,
        "talk_share": round(trainee_chars / total_chars, 3) if total_chars else 0.0,
        "longest_monologue": float(longest),
        "repetitions": float(reflect),
        "red_lines": float(red),
        "commanding": float(command),
        "hints": float(hints),
        "true_need_named": 1.0 if true_need else 0.0,
    }
    points = {
        "steps": 7.0 * sum(e.achieved for e in evidence),
        "true_need": 10.0 if true_need else 0.0,
        "open_questions": round(10 * min(1.0, metrics["open_question_share"] / 0.6), 1),
        "listening": round(8 * max(0.0, min(1.0, (0.8 - metrics["talk_share"]) / 0.3)), 1) if turns else 0.0,
        "repetition": 6.0 if reflect else 0.0,
        "concise": 5.0 if turns and longest <= 60 else 0.0,
        "patience": 5.0 if turns and ended != "patience" else 0.0,
        "red_line": -15.0 * red,
        "commanding": -5.0 * command,
        "hint": -3.0 * hints,
    }
    total = int(round(max(0.0, min(100.0, sum(points.values())))))
    card = Scorecard(scenario, level, seed, total, evidence, metrics, points, ended=ended)
    _advise(card)
    return card


_STEP_ADVICE = {
    "investigate": "先问清客户的基本情况（团队、现状、困难），别急着介绍产品。",
    "analyse": "至少摸清两方面的事实，再判断需求的方向。",
    "communicate": "多用“什么、怎么、哪些”开头的开放式问题，让客户多说。",
    "probe": "信息够了就大胆试探：“所以您的困难是……，您是不是打算……？”",
    "repeat": "客户回答试探后，用“您是说……，对吧？”把他的原话重复一遍。",
    "confirm": "客户认同后，明确说出“您现在需要的就是……”，不要犹豫。",
    "demo": "需求确定后，给客户看样品、大纲或安排表，并请他提意见。",
    "wait": "展示之后给客户时间，约好跟进的时间，耐心等待。",
}


def _advise(card: Scorecard) -> None:
    m = card.metrics
    done = [e.step for e in card.steps if e.achieved]
    missing = [e.step for e in card.steps if not e.achieved]
    if m["open_question_share"] >= 0.6:
        card.keep.append("开放式提问用得好，客户愿意多说。")
    if m["repetitions"]:
        card.keep.append("重复了客户的原话，既尊重客户，也校准了需求。")
    if m["true_need_named"]:
        card.keep.append("试探说中了客户真正的需求。")
    if len(done) >= 6:
        card.keep.append(f"走完了 {len(done)} 个步骤，节奏清楚。")
    for step in missing[:2]:
        card.start.append(_STEP_ADVICE[step])
    if m["questions"] and m["open_question_share"] < 0.5:
        card.stop.append("少问能用“是/不是”回答的封闭式问题，它们问不出信息。")
    if m["talk_share"] > 0.6:
        card.stop.append("你说得太多了：把话轮交给客户，多听少讲。")
    if m["longest_monologue"] > 60:
        card.stop.append("不要“评书”式长篇介绍，一次说一个要点。")
    if m["commanding"]:
        card.stop.append("别用命令口吻，客户不是下属：用“您看……可以吗？”（建议性原则）。")
    if m["red_lines"]:
        card.stop.append("不要承诺保本、保底、稳赚或代客操作：违规，也会失去客户的信任。")
    if m["hints"] >= 3:
        card.stop.append("少依赖 /hint，先自己想一句再看提示。")
    if not card.keep:
        card.keep.append("完成了一次完整的练习，坚持下去。")


def render(card: Scorecard, title: str = "") -> str:
    """The scorecard as plain text (Chinese)."""
    lines = [f"===== 成绩单{('：' + title) if title else ''} =====",
             f"得分：{card.score} / 100（{card.level}，seed {card.seed}）"]
    if card.ended == "patience":
        lines.append("客户失去了耐心，谈话提前结束。")
    lines.append("八个步骤：")
    for e in card.steps:
        step = Step(e.step)
        if e.achieved:
            lines.append(f"  ✔ {step.label}（{step.value}）第 {e.turn} 句「{_clip(e.line)}」 [{e.rule}]")
        else:
            lines.append(f"  ✘ {step.label}（{step.value}）")
    m = card.metrics
    lines += [
        "指标：",
        f"  开放式问题占比 {m['open_question_share']:.0%}（{int(m['questions'])} 个问题）",
        f"  你说话的字数占比 {m['talk_share']:.0%}，最长一句 {int(m['longest_monologue'])} 字",
        f"  重复客户原话 {int(m['repetitions'])} 次，越过红线 {int(m['red_lines'])} 次，"
        f"命令口吻 {int(m['commanding'])} 次，使用提示 {int(m['hints'])} 次",
        "评分规则：",
    ]
    for key, pts, what in RUBRIC + PENALTIES:
        lines.append(f"  {card.points.get(key, 0) + 0.0:>6.1f} / {pts:>3}  {what}")
    for head, items in (("继续保持", card.keep), ("开始做", card.start), ("停止做", card.stop)):
        if items:
            lines.append(f"{head}：")
            lines += [f"  · {x}" for x in items]
    return "\n".join(lines)


def _clip(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
