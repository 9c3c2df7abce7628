"""``coach practice``: role-play against a scripted customer, with feedback and a scorecard."""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TextIO

from .customer import Reply, SimulatedCustomer
from .engine import Coach
from .history import History, open_history
from .scenario import Scenario, load_scenario
from .scoring import Scorecard, render, score
from .session import Feedback, Suggestion
from .steps import Step
from .text import normalise, to_traditional

DEFAULT_SCENARIO = "training-course"
HELP = """\
你是销售，对面是模拟客户。直接输入你要说的话，回车发送。
  /hint   看看教练建议的下一句（每次扣 3 分）
  /state  当前步骤、客户耐心和已知信息
  /reload 重新读取规则包（有错误时列出并保留原来的）
  /help   显示本帮助
  /quit   结束练习并查看成绩单（Ctrl-D 也可以；Ctrl-C 会先确认）"""


@dataclass(frozen=True)
class TurnResult:
    n: int
    feedback: Feedback
    reply: Reply
    step: Step


class PracticeRun:
    """One practice conversation: the trainee's lines in, feedback and customer replies out."""

    def __init__(self, scenario: Scenario, level: str = "medium", seed: int = 0,
                 coach: Coach | None = None) -> None:
        if level not in scenario.levels:
            raise ValueError(f"unknown level {level!r}")
        self.scenario = scenario
        self.level = level
        self.seed = seed
        self.coach = coach or Coach.load(list(scenario.packs))
        self.session = self.coach.session(customer=scenario.name)
        self.customer = SimulatedCustomer(scenario, level, seed, lambda: self.coach.matching)
        self.turns: list[dict[str, Any]] = []
        self.hints = 0
        self.greeting = self.customer.opening()
        # The coach hears the greeting on first need (a hint or the first line), not here:
        # the terminal shows its prompt while the tokenizer starts in the background.
        self._suggestion: Suggestion | None = None
        self.script = "hans"

    @property
    def suggestion(self) -> Suggestion:
        if self._suggestion is None:
            self._suggestion = self.session.hear(self.greeting)
        return self._suggestion

    @suggestion.setter
    def suggestion(self, value: Suggestion) -> None:
        self._suggestion = value

    @property
    def ended(self) -> str:
        return self.customer.state.ended

    @property
    def patience(self) -> int:
        return self.customer.state.patience

    def reload(self, packs: list[str] | None = None) -> str:
        """Re-read the packs and keep the conversation; on errors keep the old packs."""
        from .errors import PackError

        try:
            fresh = Coach.load(packs or list(self.scenario.packs))
        except PackError as exc:
            return "规则包有错误，仍使用原来的规则：\n" + "\n".join(str(p) for p in exc.problems if p.is_error)
        self.coach = fresh
        self.session = fresh.adopt(self.session)
        return f"已重新读取规则包（{len(fresh.packset.rules)} 条规则），练习继续。"

    def hint(self) -> str:
        self.hints += 1
        return self.suggestion.text

    def present(self, text: str) -> str:
        """Text to show the trainee: in traditional script while the trainee writes it."""
        return to_traditional(text) if self.script == "hant" else text

    def _follow_script(self, line: str) -> None:
        # A trainee writing traditional characters is answered in them; a line written in
        # simplified-only characters switches back. Lines that fit both change nothing.
        if normalise(line).script == "hant":
            self.script = "hant"
        elif self.script == "hant" and to_traditional(line) != line:
            # Checked only once in traditional: building the s2t converter costs ~25 MB,
            # which a trainee writing simplified should never pay.
            self.script = "hans"

    def turn(self, line: str) -> TurnResult:
        """The trainee says one line: feedback on it, then the customer's reply."""
        _ = self.suggestion  # the coach hears the greeting first, as it was said first
        self._follow_script(line)
        fb = self.session.say(line)
        step = self.session.step
        reply = self.customer.respond(line, fb, step)
        # The coach hears the customer too, so /hint answers the latest customer line.
        # Stage directions such as （李总认可了需求……） narrate the scene; the customer did
        # not say them, so the coach must not read signals into them.
        spoken = _NARRATION.sub("", reply.text).strip()
        if spoken:
            self.suggestion = self.session.hear(spoken)
        n = len(self.turns) + 1
        self.turns.append({
            "n": n, "text": line, "reply": reply.text, "reaction": reply.reaction, "fact": reply.fact,
            "feedback": _fb_dict(fb), "patience": reply.patience,
        })
        return TurnResult(n, fb, reply, self.session.step)

    def scorecard(self) -> Scorecard:
        return score(self.turns, self.scenario.id, self.level, self.seed, self.hints, self.ended)


_NARRATION = re.compile(r"[（(][^（）()]*[）)]")


def _fb_dict(fb: Feedback) -> dict[str, Any]:
    d = asdict(fb)
    d["step"] = fb.step.value
    return d


def format_turn(t: TurnResult, name: str) -> str:
    fb = t.feedback
    kinds = {"open": "开放式问题", "closed": "封闭式问题", "none": "陈述"}
    bits = [kinds[fb.question_type]]
    if fb.reflected:
        bits.append("重复了客户的话")
    if fb.commanding:
        bits.append("命令口吻")
    for r in fb.red_lines:
        bits.append("红线：" + r)
    mark = "✔" if fb.ok else "✘"
    lines = [f"  {mark} 点评：{'；'.join(bits)}"]
    if fb.notes and not fb.ok:
        lines.append(f"    {fb.notes[0]}")
    if fb.better and not fb.ok:
        lines.append(f"    可以这样说：{fb.better}")
    lines.append(f"{name}：{t.reply.text}")
    return "\n".join(lines)


def format_state(run: PracticeRun) -> str:
    s = run.session
    facts = "；".join(f"{run.coach.packset.slots[k].title}={v}" for k, v in s.slot_values().items()) or "（还没有）"
    return (f"当前步骤：{s.step.label}（{s.step.value}）  客户耐心：{run.patience}\n"
            f"已知信息：{facts}\n已说 {len(run.turns)} 句，使用提示 {run.hints} 次")


class Recorder:
    """Writes each turn to the history database the moment it happens."""

    def __init__(self, history: History | None, run: PracticeRun, session_id: int | None = None) -> None:
        self.history = history
        self.run = run
        self.id = session_id
        if history is not None and session_id is None:
            self.id = history.start(run.scenario.id, run.level, run.seed)

    def turn(self) -> None:
        if self.history is not None and self.id is not None:
            t = self.run.turns[-1]
            data = {k: v for k, v in t.items() if k not in ("n", "text", "reply")}
            self.history.add_turn(self.id, t["n"], t["text"], t["reply"], data, self.run.hints)

    def hint(self) -> None:
        if self.history is not None and self.id is not None:
            self.history.set_hints(self.id, self.run.hints)

    def finish(self, status: str) -> Scorecard:
        card = self.run.scorecard()
        if self.history is not None and self.id is not None:
            self.history.finish(self.id, status, card.score, card.to_dict())
        return card


def resume(history: History, session_id: int, coach: Coach | None = None) -> tuple[PracticeRun, Recorder]:
    """Rebuild an interrupted run by replaying its saved lines (runs are deterministic)."""
    row = history.get(session_id)
    if row is None:
        raise LookupError(f"练习记录 {session_id} 不存在")
    run = PracticeRun(load_scenario(row.scenario), row.level, row.seed, coach)
    for t in history.turns(session_id):
        run.turn(t["text"])
    run.hints = row.hints
    return run, Recorder(history, run, session_id)


# --- the two front ends ------------------------------------------------------------------


def run_piped(run: PracticeRun, rec: Recorder, stdin: TextIO, stdout: TextIO) -> int:
    name = run.scenario.name
    print(f"练习：{run.scenario.title}（{run.level}）", file=stdout)
    print(f"{name}：{run.greeting}", file=stdout, flush=True)
    status = "finished"
    for raw in stdin:
        line = raw.strip()
        if not line:
            continue
        if line.startswith("/"):
            cmd = line.split()[0].lower()
            if cmd in ("/quit", "/exit", "/q"):
                break
            if cmd == "/hint":
                print(run.present(f"提示：{run.hint()}"), file=stdout, flush=True)
                rec.hint()
            elif cmd == "/state":
                print(run.present(format_state(run)), file=stdout, flush=True)
            elif cmd == "/reload":
                print(run.present(run.reload()), file=stdout, flush=True)
            elif cmd == "/help":
                print(run.present(HELP), file=stdout, flush=True)
            else:
                print(run.present(f"未知命令 {cmd}。输入 /help 查看可用命令。"), file=stdout, flush=True)
            continue
        print(f"你：{line}", file=stdout)
        t = run.turn(line)
        rec.turn()
        print(run.present(format_turn(t, name)), file=stdout, flush=True)
        if run.ended:
            break
    card = rec.finish(status)
    print(run.present(render(card, run.scenario.title)), file=stdout, flush=True)
    if rec.id is not None:
        print(run.present(f"（已保存为练习记录 #{rec.id}）"), file=stdout)
    return 0


def run_terminal(run: PracticeRun, rec: Recorder, input: Any = None, output: Any = None) -> int:
    from prompt_toolkit import PromptSession, print_formatted_text
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.styles import Style

    from .assist import step_bar, warm_up_after_first_draw

    style = Style.from_dict({
        "bottom-toolbar": "noreverse bg:#222222 #aaaaaa",
        "step": "#888888", "step.reached": "#5fafff", "step.current": "bold reverse #ffd75f",
        "hint": "#666666", "patience": "#ff5f5f",
    })

    def toolbar() -> list[tuple[str, str]]:
        bar = step_bar(run.session.step, run.session.reached)[:-1]
        bar.append(("class:patience", "  耐心 " + "♥" * run.patience))
        bar.append(("class:hint", "  /hint 提示 /help 帮助"))
        return [(style, run.present(text)) for style, text in bar]

    ps: PromptSession[str] = PromptSession(history=InMemoryHistory(), input=input, output=output,
                                           style=style, bottom_toolbar=toolbar)

    def show(text: str) -> None:
        print_formatted_text(run.present(text), output=ps.output)

    warm_up_after_first_draw(ps, run.coach)
    name = run.scenario.name
    show(f"练习：{run.scenario.title}（{run.level}）。/help 查看命令。")
    show(f"{name}：{run.greeting}")
    status = "finished"
    while not run.ended:
        try:
            line = ps.prompt("你> ").strip()
        except KeyboardInterrupt:
            try:
                answer = ps.prompt("确定要结束练习吗？(y/N) ").strip().lower()
            except (KeyboardInterrupt, EOFError):
                answer = "y"
            if answer in ("y", "yes", "是", "确定"):
                status = "interrupted"
                break
            continue
        except EOFError:
            status = "interrupted"
            break
        if not line:
            continue
        if line.startswith("/"):
            cmd = line.split()[0].lower()
            if cmd in ("/quit", "/exit", "/q"):
                break
            if cmd == "/hint":
                show(f"提示：{run.hint()}")
                rec.hint()
            elif cmd == "/state":
                show(format_state(run))
            elif cmd == "/reload":
                show(run.reload())
            elif cmd == "/help":
                show(HELP)
            else:
                show(f"未知命令 {cmd}。输入 /help 查看可用命令。")
            continue
        t = run.turn(line)
        rec.turn()
        show(format_turn(t, name))
    card = rec.finish(status)
    show(render(card, run.scenario.title))
    if status == "interrupted" and rec.id is not None:
        show(f"练习已中断并保存（#{rec.id}），可用 coach practice --resume {rec.id} 继续。")
    return 0


def run_practice(scenario: str | None, level: str, seed: int, db: str | None, resume_id: int | None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None, packs: list[str] | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    history = open_history(db)
    if resume_id is not None:
        if history is None:
            print("没有练习记录数据库，无法继续。", file=sys.stderr)
            return 1
        run, rec = resume(history, resume_id)
    else:
        sc = load_scenario(scenario or DEFAULT_SCENARIO)
        coach = Coach.load(packs or list(sc.packs))
        run = PracticeRun(sc, level, seed, coach)
        rec = Recorder(history, run)
    if stdin.isatty() and stdout.isatty():
        return run_terminal(run, rec)
    return run_piped(run, rec, stdin, stdout)


def default_db_path(db: str | None) -> Path | None:
    return Path(db) if db else None
