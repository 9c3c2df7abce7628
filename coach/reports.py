"""``coach history`` and ``coach report``: past practice sessions, trends and scorecards."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import PracticeError
from .history import SessionRow, open_history
from .scoring import Scorecard, Skill, render

#: Which scenario trains which skill, and why it does: the "practise next" advice.
SKILL_PRACTICE: dict[Skill, tuple[str, str]] = {
    Skill.STEPS: ("training-course", "李总是决策人、需求清楚，最适合把八步从头走到尾。"),
    Skill.OPEN_QUESTIONS: ("bank-competitor", "周总对老银行很满意，封闭式问题只换来一句“挺好的”，"
                                              "只有开放式问题才问得出她的不满。"),
    Skill.LISTENING: ("real-estate", "王先生顾虑多、条件也多，要听全了才找得到学区、户型和交房这三件事。"),
    Skill.REFLECTION: ("leisure-farm", "赵医生的要求藏在细节里，复述她的话才能把代管、配送这些要求确认下来。"),
    Skill.COMPLIANCE: ("securities-account", "证券开户最容易说出保本、稳赚这类违规承诺，练的就是守住红线。"),
}
#: Recent practices the advice looks at.
RECENT = 3
#: A score at which the same scenario is practised one level harder.
LEVEL_UP = 85
_STATUS = {"finished": "完成", "interrupted": "中断", "active": "未完成"}


@dataclass(frozen=True)
class Recommendation:
    """What to practise next, and why."""

    scenario: str
    level: str
    reason: str
    skill: Skill | None = None

    def to_json(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "level": self.level, "reason": self.reason,
                "skill": self.skill.value if self.skill else None}


def kept(rows: list[SessionRow]) -> list[SessionRow]:
    """The practices worth listing: at least one line said."""
    return [r for r in rows if r.turns > 0]


def trends(rows: list[SessionRow]) -> dict[tuple[str, str], dict[Skill, list[float]]]:
    """Each skill over the scored practices, per scenario and level, oldest first."""
    out: dict[tuple[str, str], dict[Skill, list[float]]] = {}
    for r in rows:
        if not r.scorecard or not r.turns:
            continue
        group = out.setdefault((r.scenario, r.level), {})
        for skill, v in _skills(r).items():
            group.setdefault(skill, []).append(v)
    return out


def recommend(rows: list[SessionRow]) -> Recommendation:
    """Practise the scenario that trains the weakest recent skill, at a level that fits."""
    from .practice import DEFAULT_SCENARIO
    from .scenario import list_scenarios

    known = list_scenarios()
    scored = [r for r in kept(rows) if r.scorecard]
    if not scored:
        why = SKILL_PRACTICE[Skill.STEPS][1]
        return Recommendation(DEFAULT_SCENARIO, "easy", f"还没有完成的练习，先从简单难度开始：{why}")
    recent = scored[-RECENT:]
    average: dict[Skill, float] = {}
    for skill in Skill:
        values = [v for r in recent for k, v in _skills(r).items() if k == skill]
        if values:
            average[skill] = sum(values) / len(values)
    weakest = min(average, key=lambda k: average[k])
    strongest = max(average, key=lambda k: average[k])
    n = len(recent)
    if average[weakest] >= 80:
        tried = {r.scenario for r in scored}
        fresh = [sid for sid in known if sid not in tried]
        sid = fresh[0] if fresh else scored[-1].scenario
        level = next_level(scored, sid)
        return Recommendation(sid, level, f"最近 {n} 次练习各项技能都在 80 分以上（最弱的「{weakest.label}」"
                                          f"{average[weakest]:.0f} 分）：" + ("换一个没练过的场景。" if fresh else "把难度再提一级。"))
    sid, why = SKILL_PRACTICE[weakest]
    if sid not in known:
        sid = next(iter(known), sid)
    level = next_level(scored, sid)
    reason = (f"最近 {n} 次练习里「{weakest.label}」平均 {average[weakest]:.0f} 分，是你最弱的一项"
              f"（最强的是「{strongest.label}」{average[strongest]:.0f} 分）。{why}")
    return Recommendation(sid, level, reason, weakest)


def next_level(scored: list[SessionRow], sid: str) -> str:
    """The level last used on this scenario, one harder once it went well there."""
    from .scenario import LEVELS

    if not scored:
        return "medium"
    mine = [r for r in scored if r.scenario == sid]
    if not mine:
        return scored[-1].level if scored[-1].level in LEVELS else "medium"
    last = mine[-1]
    if last.level in LEVELS and (last.score or 0) >= LEVEL_UP and last.level != LEVELS[-1]:
        return LEVELS[LEVELS.index(last.level) + 1]
    return last.level if last.level in LEVELS else "medium"


def print_history(db: str | None, as_json: bool = False) -> int:
    from .scenario import LEVEL_LABELS

    hist = open_history(db)
    if hist is None:
        return 1
    rows = kept(hist.sessions())
    advice = recommend(rows)
    by_group = trends(rows)
    if as_json:
        print(json.dumps({
            "sessions": [r.to_json() for r in rows],
            "trends": [{"scenario": sid, "level": level, "skills": {k.value: v for k, v in skills.items()}}
                       for (sid, level), skills in by_group.items()],
            "recommendation": advice.to_json(),
        }, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有练习记录。开始第一次：coach practice")
        return 0
    titles = _titles()
    table = [["#", "日期", "场景", "难度", "得分", "句数", "状态"]]
    for r in rows:
        table.append([str(r.id), r.started[:16], titles.get(r.scenario, r.scenario), LEVEL_LABELS.get(r.level, r.level),
                      "-" if r.score is None else str(r.score), str(r.turns), _STATUS.get(r.status, r.status)])
    print(columns(table, ">", "<", "<", "<", ">", ">", "<"))
    if by_group:
        print("\n技能趋势（每个场景和难度分开，最早 → 最近）：")
        for (sid, level), skills in by_group.items():
            n = max(len(v) for v in skills.values())
            print(f"  {titles.get(sid, sid)} · {LEVEL_LABELS.get(level, level)}（{n} 次）")
            lines = []
            for skill, v in skills.items():
                arrow = "↑" if len(v) > 1 and v[-1] > v[0] else "↓" if len(v) > 1 and v[-1] < v[0] else "→"
                lines.append(["    " + skill.label, *(f"{x:.0f}" for x in v[-8:]), arrow])
            width = max(len(x) for x in lines)
            print(columns([x[:-1] + [""] * (width - len(x)) + x[-1:] for x in lines], "<", *(">",) * (width - 2), "<"))
    print(f"\n建议下一次练习：{titles.get(advice.scenario, advice.scenario)}（{LEVEL_LABELS.get(advice.level, advice.level)}）")
    print(f"  原因：{advice.reason}")
    print(f"  coach practice --scenario {advice.scenario} --level {advice.level}")
    return 0


def columns(rows: list[list[str]], *aligns: str) -> str:
    """Rows as text columns aligned by display width (a Chinese character takes two cells)."""
    widths = [max(cell_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for r in rows:
        cells = []
        for i, cell in enumerate(r):
            pad = " " * (widths[i] - cell_width(cell))
            cells.append(pad + cell if aligns[i] == ">" else cell + pad)
        out.append("  ".join(cells).rstrip())
    return "\n".join(out)


def cell_width(text: str) -> int:
    from wcwidth import wcswidth

    w = wcswidth(text)
    return w if w >= 0 else len(text)


def _titles() -> dict[str, str]:
    from .errors import PackError
    from .scenario import list_scenarios, load_scenario

    out = {}
    for sid, path in list_scenarios().items():
        try:
            out[sid] = load_scenario(path).title
        except PackError:
            continue
    return out


def print_report(db: str | None, session_id: int, html_path: str | None) -> int:
    hist = open_history(db)
    if hist is None:
        return 1
    row = hist.get(session_id)
    if row is None:
        raise PracticeError(f"没有编号为 {session_id} 的练习记录（coach history 查看编号）。")
    turns = hist.turns(session_id)
    if row.scorecard:
        card = Scorecard.from_dict(row.scorecard)
    else:  # unfinished: score what was saved
        from .scoring import score
        card = score(turns, row.scenario, row.level, row.seed, row.hints)
    title, customer, greeting = _scenario_words(row.scenario)
    if html_path:
        from .debrief import Debrief, lines_of, page

        trend = tuple((r.id, _skills(r)) for r in hist.sessions()
                      if r.scenario == row.scenario and r.level == row.level and r.scorecard and r.id <= row.id)
        d = Debrief(row.id, title, customer, row.level, row.started, greeting, card, lines_of(turns), trend)
        # Written before anything is printed: a path that cannot be written is one error line.
        try:
            Path(html_path).write_text(page(d), encoding="utf-8")
        except OSError as exc:
            raise PracticeError(f"无法写入 {html_path}：{_os_reason(exc)}") from None
    print(render(card, f"#{row.id} {title}"))
    if html_path:
        print(f"已写入 {html_path}")
    return 0


def _scenario_words(sid: str) -> tuple[str, str, str]:
    """The scenario's title, customer name and greeting; the id alone if it is gone."""
    from .errors import PackError
    from .scenario import load_scenario

    try:
        sc = load_scenario(sid)
    except PackError:
        return sid, "客户", ""
    return sc.title, sc.name, (sc.reactions.get("greeting") or ("",))[0]


def _skills(row: SessionRow) -> dict[Skill, float]:
    out: dict[Skill, float] = {}
    for k, v in ((row.scorecard or {}).get("skills") or {}).items():
        skill = Skill.parse(k)
        if skill is not None:
            out[skill] = float(v)
    return out


def _os_reason(exc: OSError) -> str:
    import errno

    reasons = {errno.ENOENT: "文件夹不存在", errno.EACCES: "没有写入权限", errno.EISDIR: "这是一个文件夹",
               errno.ENOSPC: "磁盘已满", errno.EROFS: "文件系统只读", errno.ENOTDIR: "路径中有一段不是文件夹"}
    return reasons.get(exc.errno or 0, exc.strerror or str(exc))
