"""The debrief page: one practice as a self-contained HTML page a trainer reviews with a trainee."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from .scenario import LEVEL_LABELS
from .scoring import PENALTIES, RUBRIC, SCALED, Scorecard, Skill
from .steps import Step

#: One colour per skill in the trend chart, readable in colour and in grey print.
SKILL_COLOURS = {
    Skill.STEPS: "#1f6feb",
    Skill.OPEN_QUESTIONS: "#2da44e",
    Skill.LISTENING: "#bf8700",
    Skill.REFLECTION: "#8250df",
    Skill.COMPLIANCE: "#cf222e",
}
#: Dash patterns, so the lines stay apart on a black-and-white printout.
SKILL_DASHES = {
    Skill.STEPS: "",
    Skill.OPEN_QUESTIONS: "6 3",
    Skill.LISTENING: "2 3",
    Skill.REFLECTION: "8 3 2 3",
    Skill.COMPLIANCE: "1 2",
}


@dataclass(frozen=True)
class Line:
    """One trainee line as the debrief shows it."""

    n: int
    text: str
    step: Step
    ok: bool
    verdict: str
    note: str
    better: str
    reply: str


@dataclass(frozen=True)
class Debrief:
    """Everything the page shows, gathered before any HTML is written."""

    record: int
    title: str  # the scenario's Chinese title
    customer: str  # how the customer is named
    level: str
    started: str
    greeting: str
    card: Scorecard
    lines: tuple[Line, ...]
    trend: tuple[tuple[int, dict[Skill, float]], ...]  # (record id, skills), oldest first


def lines_of(turns: list[dict[str, Any]]) -> tuple[Line, ...]:
    """The saved turns with the live feedback's verdict on each (the same words as on screen)."""
    from .practice import feedback_from_dict, review

    out = []
    for t in turns:
        fb = feedback_from_dict(t.get("feedback", {}))
        r = review(fb)
        out.append(Line(t["n"], t["text"], fb.step, r.ok, r.verdict, r.note, r.better, t.get("reply", "")))
    return tuple(out)


def page(d: Debrief) -> str:
    """The debrief as one HTML page: no scripts, no external files, fit for print."""
    e = html.escape
    card = d.card
    ended = {"success": "客户答应了下一步", "patience": "客户失去了耐心"}.get(card.ended, "谈话没有走完")
    level = LEVEL_LABELS.get(d.level, d.level)
    return f"""<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(d.title)}</title>
<style>{_CSS}</style>
</head><body>
<header>
<p class="kicker">练习复盘 · 记录 #{d.record}</p>
<h1>{e(d.title)}</h1>
<p class="meta">难度 {e(level)} · {e(d.started)} · 客户：{e(d.customer)} · {e(ended)}</p>
<p class="score" id="score"><span>{card.score}</span> / 100</p>
</header>
<section id="steps"><h2>八个步骤</h2>
{steps_svg(card)}
</section>
<section id="trend"><h2>技能趋势（同一场景、同一难度）</h2>
{trend_svg(d.trend, d.record)}
</section>
<section id="transcript"><h2>对话逐句复盘</h2>
<table class="transcript">
<thead><tr><th>#</th><th>步骤</th><th>评价</th><th>你说的话 / 点评</th><th>{e(d.customer)}的回答</th></tr></thead>
<tbody>
<tr class="greeting"><td></td><td></td><td></td><td class="muted">（开场）</td><td>{e(d.greeting)}</td></tr>
{"".join(_row(x) for x in d.lines)}
</tbody></table>
</section>
<section id="card"><h2>成绩单</h2>
{_rubric(card)}
{_metrics(card)}
{_advice(card)}
</section>
</body></html>
"""


def _row(x: Line) -> str:
    e = html.escape
    mark = "✔" if x.ok else "✘"
    extra = ""
    if x.note:
        extra += f'<p class="note">{e(x.note)}</p>'
    if x.better:
        extra += f'<p class="better"><b>更好的说法：</b>{e(x.better)}</p>'
    return (f'<tr class="{"ok" if x.ok else "miss"}" id="line-{x.n}">'
            f'<td class="n">{x.n}</td><td class="step">{e(x.step.label)}</td>'
            f'<td class="mark" aria-label="{"合适" if x.ok else "可以更好"}">{mark}</td>'
            f'<td><p class="said">{e(x.text)}</p><p class="verdict">{e(x.verdict)}</p>{extra}</td>'
            f'<td class="reply">{e(x.reply)}</td></tr>\n')


def steps_svg(card: Scorecard) -> str:
    """The eight steps in a row: filled when reached, with the line that reached each."""
    e = html.escape
    gap, r, top = 84, 17, 34
    width = gap * 8
    parts = [f'<svg class="steps" viewBox="0 0 {width} 96" width="100%" role="img" '
             f'aria-label="走到了 {card.reached} / 8 个步骤" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{gap // 2}" y1="{top}" x2="{width - gap // 2}" y2="{top}" stroke="#bbb" stroke-width="2"/>']
    for i, ev in enumerate(card.steps):
        x = gap // 2 + i * gap
        step = Step(ev.step)
        fill, ink = ("#2da44e", "#fff") if ev.achieved else ("#fff", "#777")
        parts.append(f'<g class="step {"reached" if ev.achieved else "missed"}">'
                     f'<circle cx="{x}" cy="{top}" r="{r}" fill="{fill}" stroke="#2da44e" stroke-width="2"/>'
                     f'<text x="{x}" y="{top + 5}" text-anchor="middle" font-size="14" fill="{ink}">{i + 1}</text>'
                     f'<text x="{x}" y="{top + r + 20}" text-anchor="middle" font-size="15">{e(step.label)}</text>')
        if ev.achieved:
            parts.append(f'<text x="{x}" y="{top - r - 6}" text-anchor="middle" font-size="11" fill="#555">'
                         f'第{ev.turn}句</text>')
        parts.append("</g>")
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(trend: tuple[tuple[int, dict[Skill, float]], ...], current: int) -> str:
    """Each skill over the practices of this scenario and level, 0–100, as lines."""
    e = html.escape
    if not trend:
        return '<p class="muted">还没有同一场景、同一难度的完成记录。</p>'
    w, h, left, right, top, bottom = 640, 220, 40, 130, 14, 30
    span = max(1, len(trend) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + (w - left - right) * (i / span if len(trend) > 1 else 0.5), top + (h - top - bottom) * (1 - v / 100)

    parts = [f'<svg class="trend" viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="技能趋势" '
             'xmlns="http://www.w3.org/2000/svg">']
    for v in (0, 50, 100):
        _, y = xy(0, v)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{w - right}" y2="{y:.1f}" stroke="#ddd"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#555">{v}</text>')
    for i, (rid, _) in enumerate(trend):
        x, _ = xy(i, 0)
        weight = ' font-weight="bold"' if rid == current else ""
        parts.append(f'<text x="{x:.1f}" y="{h - 8}" text-anchor="middle" font-size="11" fill="#555"{weight}>#{rid}</text>')
    for k, skill in enumerate(Skill):
        points = [(i, skills[skill]) for i, (_, skills) in enumerate(trend) if skill in skills]
        if not points:
            continue
        colour, dash = SKILL_COLOURS[skill], SKILL_DASHES[skill]
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<g class="skill" data-skill="{skill.value}">'
                     f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dashes}/>')
        for i, score in points:
            x, y = xy(i, score)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{e(skill.label)} {score:.0f}</title></circle>')
        ly = top + 14 + 20 * k
        parts.append(f'<line x1="{w - right + 12}" y1="{ly - 4}" x2="{w - right + 32}" y2="{ly - 4}" stroke="{colour}" '
                     f'stroke-width="2"{dashes}/><text x="{w - right + 38}" y="{ly}" font-size="13">{e(skill.label)} '
                     f'{points[-1][1]:.0f}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _rubric(card: Scorecard) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td class="num">{card.points.get(key, 0) + 0.0:.1f}</td><td class="num">{pts}{"*" if key in SCALED else ""}</td>'
        f"<td>{e(what)}</td></tr>" for key, pts, what in RUBRIC + PENALTIES)
    return (f'<table class="rubric"><thead><tr><th>得分</th><th>满分</th><th>评分规则</th></tr></thead>'
            f"<tbody>{rows}</tbody></table>"
            f'<p class="muted">带 * 的项目按走到的步骤比例折算（{card.reached}/8）。</p>')


def _metrics(card: Scorecard) -> str:
    m = card.metrics
    items = [
        f"摸情况时开放式问题占比 {m['open_question_share']:.0%}（{int(m['questions'])} 个问题）",
        f"摸情况时你说话的字数占比 {m['talk_share']:.0%}，最长一句 {int(m.get('longest_line', 0))} 字",
        f"重复客户原话 {int(m['repetitions'])} 次，越过红线 {int(m['red_lines'])} 次，"
        f"命令口吻 {int(m['commanding'])} 次，使用提示 {int(m['hints'])} 次",
    ]
    return '<ul class="metrics">' + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul>"


def _advice(card: Scorecard) -> str:
    out = []
    for head, items, cls in (("继续保持", card.keep, "keep"), ("开始做", card.start, "start"), ("停止做", card.stop, "stop")):
        if items:
            out.append(f'<div class="advice {cls}"><h3>{head}</h3><ul>'
                       + "".join(f"<li>{html.escape(x)}</li>" for x in items) + "</ul></div>")
    return "".join(out)


_CSS = """
:root { --ok: #2da44e; --miss: #cf222e; --ink: #1f2328; --muted: #656d76; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "Source Han Sans SC",
       sans-serif; color: var(--ink); max-width: 60rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.6; }
header { border-bottom: 3px solid var(--ink); margin-bottom: 1.5rem; }
.kicker { color: var(--muted); margin: 0; }
h1 { margin: .2rem 0; font-size: 1.8rem; }
h2 { font-size: 1.25rem; border-left: 4px solid var(--ok); padding-left: .5rem; margin-top: 2rem; }
.meta, .muted { color: var(--muted); }
.score { font-size: 1.1rem; margin: .5rem 0 1rem; }
.score span { font-size: 2.6rem; font-weight: 700; }
svg text { font-family: inherit; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: .45rem .5rem; vertical-align: top; text-align: left; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
.transcript td.n { color: var(--muted); width: 2rem; }
.transcript td.step { white-space: nowrap; width: 3.5rem; }
.transcript td.mark { font-size: 1.2rem; width: 2rem; text-align: center; }
.transcript tr.ok td.mark { color: var(--ok); }
.transcript tr.miss td.mark { color: var(--miss); }
.transcript tr.miss { background: #fff8f8; }
.transcript p { margin: 0 0 .2rem; }
.said { font-weight: 600; }
.verdict, .reply { color: #444; }
.note { color: var(--miss); }
.better { background: #f0fff4; border-left: 3px solid var(--ok); padding: .15rem .4rem; }
.reply { width: 30%; }
.rubric td.num { text-align: right; width: 4rem; font-variant-numeric: tabular-nums; }
.advice h3 { margin-bottom: .2rem; }
@page { margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; }
  tr, svg, .advice { break-inside: avoid; }
  .transcript tr.miss { background: none; }
  .better { background: none; }
  a { color: inherit; text-decoration: none; }
}
"""
