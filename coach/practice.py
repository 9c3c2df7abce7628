"""``coach practice``: role-play against a scripted customer, with feedback and a scorecard."""

from __future__ import annotations

import re
import sys
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from .customer import Reply, SimulatedCustomer
from .engine import Coach
from .errors import PracticeError
from .history import History, open_history
from .scenario import LEVEL_LABELS, LEVELS, Scenario, load_scenario
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
    line: str
    feedback: Feedback
    reply: Reply
    step: Step


class PracticeRun:
    """One practice conversation: the trainee's lines in, feedback and customer replies out."""

    def __init__(self, scenario: Scenario, level: str = "medium", seed: int = 0,
                 coach: Coach | None = None) -> None:
        if level not in scenario.levels:
            raise PracticeError(f"没有这个难度：{level}（可选：{'、'.join(LEVELS)}）")
        self.scenario = scenario
        self.level = level
        self.seed = seed
        self.coach = coach or Coach.load(list(scenario.packs))
        self.session = self.coach.session(customer=scenario.name)
        self.customer = SimulatedCustomer(scenario, level, seed, lambda: self.coach.matching)
        self.turns: list[dict[str, Any]] = []
        self.results: list[TurnResult] = []  # the same turns as shown on screen
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
        result = TurnResult(n, line, fb, reply, self.session.step)
        self.results.append(result)
        return result

    def scorecard(self) -> Scorecard:
        return score(self.turns, self.scenario.id, self.level, self.seed, self.hints, self.ended)


_NARRATION = re.compile(r"[（(][^（）()]*[）)]")


def _fb_dict(fb: Feedback) -> dict[str, Any]:
    d = asdict(fb)
    d["step"] = fb.step.value
    return d


@dataclass(frozen=True)
class Review:
    """What the live feedback says about one line: the one source for the terminal and the
    debrief page, so both always say the same."""

    ok: bool
    verdict: str  # e.g. 开放式问题；重复了客户的话
    note: str  # why the line missed, when it did
    better: str  # a better line, when it missed


def review(fb: Feedback) -> Review:
    kinds = {"open": "开放式问题", "closed": "封闭式问题", "none": "陈述"}
    bits = [kinds.get(fb.question_type, fb.question_type)]
    if fb.reflected:
        bits.append("重复了客户的话")
    if fb.commanding:
        bits.append("命令口吻")
    for r in fb.red_lines:
        bits.append("红线：" + r)
    note = fb.notes[0] if fb.notes and not fb.ok else ""
    return Review(fb.ok, "；".join(bits), note, fb.better if not fb.ok else "")


def feedback_from_dict(d: dict[str, Any]) -> Feedback:
    """A saved turn's feedback (``_fb_dict``) as a Feedback again; unknown keys are ignored."""
    names = Feedback.__dataclass_fields__
    fields = {k: v for k, v in d.items() if k in names}
    fields["step"] = Step(fields.get("step", Step.INVESTIGATE.value))
    for key in ("moves", "red_lines", "notes"):
        fields[key] = tuple(fields.get(key, ()))
    fields.setdefault("question_type", "none")
    for key, default in (("fits_step", True), ("commanding", False), ("reflected", False)):
        fields.setdefault(key, default)
    fields.setdefault("length", 0)
    fields.setdefault("better", "")
    return Feedback(**fields)


def format_turn(t: TurnResult, name: str) -> str:
    r = review(t.feedback)
    lines = [f"  {'✔' if r.ok else '✘'} 点评：{r.verdict}"]
    if r.note:
        lines.append(f"    {r.note}")
    if r.better:
        lines.append(f"    可以这样说：{r.better}")
    lines.append(f"{name}：{t.reply.text}")
    return "\n".join(lines)


def format_state(run: PracticeRun) -> str:
    s = run.session
    facts = "；".join(f"{run.coach.packset.slots[k].title}={v}" for k, v in s.slot_values().items()) or "（还没有）"
    return (f"当前步骤：{s.step.label}（{s.step.value}）  客户耐心：{run.patience}\n"
            f"已知信息：{facts}\n已说 {len(run.turns)} 句，使用提示 {run.hints} 次")


class Recorder:
    """Writes each turn to the history database the moment it happens.

    The record is created with the first line the trainee says: a practice left without a
    word leaves nothing behind in the history.
    """

    def __init__(self, history: History | None, run: PracticeRun, session_id: int | None = None) -> None:
        self.history = history
        self.run = run
        self.id = session_id

    def turn(self) -> None:
        if self.history is None:
            return
        if self.id is None:
            self.id = self.history.start(self.run.scenario.id, self.run.level, self.run.seed)
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
    """Rebuild an interrupted run by replaying its saved lines (runs are deterministic).

    Raises PracticeError for an unknown record and for a practice that already finished.
    """
    row = history.get(session_id)
    if row is None:
        raise PracticeError(f"没有编号为 {session_id} 的练习记录（coach history 查看编号）。")
    if row.finished:
        raise PracticeError(f"练习 #{session_id} 已经完成，不能继续；"
                            f"coach report {session_id} 查看成绩单，或开始一次新的练习。")
    if row.level not in LEVELS:
        raise PracticeError(f"练习 #{session_id} 的难度 {row.level!r} 无法识别，不能继续。")
    history.claim(session_id)  # one process at a time continues a practice
    run = PracticeRun(load_scenario(row.scenario), row.level, row.seed, coach)
    for t in history.turns(session_id):
        run.turn(t["text"])
    run.hints = row.hints
    return run, Recorder(history, run, session_id)


# --- the two front ends ------------------------------------------------------------------

_QUIT = ("/quit", "/exit", "/q")
_YES = ("y", "yes", "是", "确定", "確定", "好")


class Practice:
    """The practice loop's logic, shared by the terminal UI and the piped mode.

    ``handle`` takes one typed line (a command or what the trainee says) and returns the
    text to show, already in the trainee's script; ``close`` ends the practice.
    """

    def __init__(self, run: PracticeRun, rec: Recorder) -> None:
        self.run = run
        self.rec = rec
        self.done = False

    def opening(self) -> str:
        """The title and the greeting; on resume, every earlier line and its feedback too."""
        run = self.run
        name = run.scenario.name
        lines = [f"练习：{run.scenario.title}（{LEVEL_LABELS[run.level]}）。/help 查看命令。",
                 f"{name}：{run.greeting}"]
        for t in run.results:
            lines += [f"你：{t.line}", format_turn(t, name)]
        if run.results:
            lines.append(f"（接着第 {len(run.results)} 句继续练习）")
        return run.present("\n".join(lines))

    def handle(self, line: str) -> str:
        """One typed line → the text to show ("" for a blank line)."""
        run = self.run
        line = line.strip()
        if not line or self.done:
            return ""
        if line.startswith("/"):
            return run.present(self._command(line.split()[0].lower()))
        t = run.turn(line)
        self.rec.turn()
        if run.ended:
            self.done = True
        return run.present(format_turn(t, run.scenario.name))

    def _command(self, cmd: str) -> str:
        run = self.run
        if cmd in _QUIT:
            self.done = True
            return ""
        if cmd == "/hint":
            text = run.hint()
            self.rec.hint()
            return f"提示：{text}"
        if cmd == "/state":
            return format_state(run)
        if cmd == "/reload":
            return run.reload()
        if cmd in ("/help", "/h", "/?"):
            return HELP
        return f"未知命令 {cmd}。输入 /help 查看可用命令。"

    def close(self, status: str = "finished") -> str:
        """End the practice: the scorecard, and where it was saved."""
        run, rec = self.run, self.rec
        self.done = True
        if not run.turns:
            return run.present("这次练习还没有说话，没有成绩单，也不保存记录。")
        card = rec.finish(status)
        out = [render(card, run.scenario.title)]
        if rec.id is not None:
            if status == "interrupted":
                out.append(f"练习已中断并保存（#{rec.id}），可用 coach practice --resume {rec.id} 继续。")
            else:
                out.append(f"（已保存为练习记录 #{rec.id}；coach report {rec.id} --html 文件名 可导出复盘页）")
        return run.present("\n".join(out))


def run_piped(app: Practice, stdin: TextIO, stdout: TextIO) -> int:
    print(app.opening(), file=stdout, flush=True)
    for raw in stdin:
        line = raw.strip()
        if line and not line.startswith("/"):
            print(f"你：{line}", file=stdout)  # the trainee's own words, as typed
        out = app.handle(line)
        if out:
            print(out, file=stdout, flush=True)
        if app.done:
            break
    print(app.close("finished"), file=stdout, flush=True)
    return 0


def practice_bar(run: PracticeRun, width: int) -> list[tuple[str, str]]:
    """The toolbar: steps, patience hearts and the /hint reminder, fitted to ``width``.

    A narrow terminal keeps what matters while typing — the current step, the hearts and
    /hint — and shows the other steps as bare numbers.
    """
    from .assist import step_bar

    hearts = ("class:patience", "  耐心 " + "♥" * run.patience)
    full = step_bar(run.session.step, run.session.reached)[:-1]
    full += [hearts, ("class:hint", "  /hint 提示 /help 帮助")]
    if _cells(full) <= width:
        return full
    reached = set(run.session.reached)
    bar: list[tuple[str, str]] = []
    for step in Step:
        if step == run.session.step:
            bar.append(("class:step.current", f" {step.position + 1}{step.label} "))
        else:
            bar.append(("class:step.reached" if step in reached else "class:step", f" {step.position + 1}"))
    bar += [("class:patience", "  " + "♥" * run.patience), ("class:hint", "  /hint")]
    return bar


def _cells(bar: list[tuple[str, str]]) -> int:
    from wcwidth import wcswidth

    return sum(max(0, wcswidth(text)) for _, text in bar)


def run_terminal(app: Practice, input: Any = None, output: Any = None) -> int:
    from prompt_toolkit import PromptSession, print_formatted_text
    from prompt_toolkit.application.current import get_app
    from prompt_toolkit.formatted_text import StyleAndTextTuples
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.styles import Style

    from .assist import warm_up_after_first_draw

    run = app.run
    style = Style.from_dict({
        "bottom-toolbar": "noreverse bg:#222222 #aaaaaa",
        "step": "#888888", "step.reached": "#5fafff", "step.current": "bold reverse #ffd75f",
        "hint": "#666666", "patience": "#ff5f5f",
    })

    def toolbar() -> StyleAndTextTuples:
        width = get_app().output.get_size().columns
        out: StyleAndTextTuples = [(cls, run.present(text)) for cls, text in practice_bar(run, width)]
        return out

    ps: PromptSession[str] = PromptSession(history=InMemoryHistory(), input=input, output=output,
                                           style=style, bottom_toolbar=toolbar)

    def show(text: str) -> None:
        print_formatted_text(text, output=ps.output)

    warm_up_after_first_draw(ps, run.coach)
    show(app.opening())
    status = "finished"
    while not app.done:
        try:
            line = ps.prompt("你> ")
        except KeyboardInterrupt:
            try:
                answer = ps.prompt(run.present("确定要结束练习吗？(y/N) ")).strip().lower()
            except (KeyboardInterrupt, EOFError):
                answer = "y"
            if answer in _YES:
                status = "interrupted"
                break
            continue
        except EOFError:
            break  # Ctrl-D ends the practice as /quit does
        out = app.handle(line)
        if out:
            show(out)
    show(app.close(status))
    return 0


def run_practice(scenario: str | None, level: str, seed: int, db: str | None, resume_id: int | None,
                 stdin: TextIO | None = None, stdout: TextIO | None = None, packs: list[str] | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    history = open_history(db)
    if resume_id is not None:
        if history is None:
            raise PracticeError("打不开练习记录数据库，无法继续之前的练习。")
        run, rec = resume(history, resume_id)
    else:
        sc = load_scenario(scenario or DEFAULT_SCENARIO)
        coach = Coach.load(packs or list(sc.packs))
        run = PracticeRun(sc, level, seed, coach)
        rec = Recorder(history, run)
    app = Practice(run, rec)
    if stdin.isatty() and stdout.isatty():
        return run_terminal(app)
    return run_piped(app, stdin, stdout)
