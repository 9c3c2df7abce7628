"""``coach history`` and ``coach report``: past practice sessions, trends and scorecards."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import PracticeError
from .history import SessionRow, open_history
from .scoring import Scorecard, Skill, render

#: Which scenario trains which skill best: the recommendation after the weakest skill.
SKILL_SCENARIOS = {
    Skill.STEPS: "training-course",
    Skill.OPEN_QUESTIONS: "bank-competitor",
    Skill.LISTENING: "bank-competitor",
    Skill.REFLECTION: "training-course",
    Skill.COMPLIANCE: "securities-account",
}
_STATUS = {"finished": "完成", "interrupted": "中断", "active": "未完成"}


def _trend(rows: list[SessionRow]) -> dict[Skill, list[float]]:
    out: dict[Skill, list[float]] = {}
    for r in rows:
        for skill, v in _skills(r).items():
            out.setdefault(skill, []).append(v)
    return out


def recommend(rows: list[SessionRow]) -> tuple[str, str]:
    """(scenario id, reason): practise the scenario that trains the weakest skill."""
    from .scenario import list_scenarios

    known = list_scenarios()
    trend = _trend([r for r in rows if r.scorecard])
    if not trend:
        first = next(iter(known), "training-course")
        return first, "还没有完成的练习，从基础场景开始。"
    recent = {k: sum(v[-3:]) / len(v[-3:]) for k, v in trend.items()}
    weakest = min(recent, key=lambda k: recent[k])
    sid = SKILL_SCENARIOS.get(weakest, "training-course")
    if sid not in known:
        sid = next(iter(known), sid)
    return sid, f"最弱的技能是「{weakest.label}」（最近平均 {recent[weakest]:.0f} 分）。"


def print_history(db: str | None, as_json: bool = False) -> int:
    hist = open_history(db)
    if hist is None:
        return 1
    rows = hist.sessions()
    sid, reason = recommend(rows)
    if as_json:
        print(json.dumps({"sessions": [r.to_json() for r in rows],
                          "trend": {k.value: v for k, v in _trend(rows).items()},
                          "recommendation": {"scenario": sid, "reason": reason}}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("还没有练习记录。开始第一次：coach practice")
        return 0
    print(f"{'#':>4}  {'日期':<19}  {'场景':<20} {'难度':<6} {'得分':>4} {'句数':>4}  状态")
    for r in rows:
        score = "-" if r.score is None else str(r.score)
        print(f"{r.id:>4}  {r.started:<19}  {r.scenario:<20} {r.level:<6} {score:>4} {r.turns:>4}  {_STATUS.get(r.status, r.status)}")
    trend = _trend(rows)
    if trend:
        print("\n技能趋势（最早 → 最近）：")
        for k, v in trend.items():
            arrow = "↑" if len(v) > 1 and v[-1] > v[0] else "↓" if len(v) > 1 and v[-1] < v[0] else "→"
            print(f"  {k.label:<8} {' '.join(f'{x:.0f}' for x in v[-8:])}  {arrow}")
    print(f"\n建议下一次练习：{sid}。{reason}")
    print(f"  coach practice --scenario {sid}")
    return 0


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
