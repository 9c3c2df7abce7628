"""``coach assist``: the live copilot. Type what the customer said, get the next line."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from .engine import Coach
from .errors import CoachError
from .session import Feedback, Session, Suggestion
from .steps import Step

HELP = """\
输入客户刚说的话，回车后得到建议的下一句、原因、所处步骤和识别到的信号。
  > 你说的话        以 > 开头：记录你实际说的话，得到点评（也可用 /say 你说的话）
  /explain 客户的话  解释引擎怎么读这句话（分词、信号、候选规则）
  /state            查看当前步骤和已知信息
  /reload           重新读取规则包（有错误时列出并保留原来的）
  /reset            重新开始一段对话
  /help             显示本帮助
  /quit             退出（也可按 Ctrl-D）"""


def format_suggestion(s: Suggestion) -> str:
    signals = "、".join(s.signals) if s.signals else "（无）"
    lines = [
        f"【{s.step.label} {s.step.value}】建议：{s.text}",
        f"  原因：{s.why}",
        f"  信号：{signals}    规则：{s.rule}",
    ]
    if s.trimmed:
        lines.append("  （输入过长，只读取了前面的部分）")
    return "\n".join(lines)


def format_feedback(f: Feedback) -> str:
    kinds = {"open": "开放式问题", "closed": "封闭式问题", "none": "陈述"}
    verdict = "✔ 合适" if f.ok else "✘ 可以更好"
    lines = [f"点评：{verdict}（{kinds[f.question_type]}，{f.length} 字，当前步骤：{f.step.label}）"]
    for r in f.red_lines:
        lines.append(f"  ⚠ 红线：{r}")
    if f.commanding:
        lines.append("  ⚠ 语气像命令：客户不是下属，换成建议的口吻（建议性原则）。")
    if f.reflected:
        lines.append("  ✔ 重复了客户的原话。")
    for n in f.notes:
        lines.append(f"  · {n}")
    if f.better:
        lines.append(f"  更好的说法：{f.better}")
    return "\n".join(lines)


def format_state(session: Session) -> str:
    values = session.slot_values()
    facts = "；".join(f"{session.coach.packset.slots[k].title}={v}" for k, v in values.items()) or "（还没有）"
    reached = " → ".join(s.label for s in session.reached)
    return f"当前步骤：{session.step.label}（{session.step.value}）\n已到达：{reached}\n已知信息：{facts}\n客户发言：{session.turn} 次"


def step_bar(current: Step, reached: Iterable[Step]) -> list[tuple[str, str]]:
    """prompt_toolkit formatted text for the toolbar: the eight steps, current highlighted."""
    seen = set(reached)
    out: list[tuple[str, str]] = []
    for step in Step:
        if step == current:
            style = "class:step.current"
        elif step in seen:
            style = "class:step.reached"
        else:
            style = "class:step"
        out.append((style, f" {step.position + 1}{step.label} "))
    out.append(("class:hint", "  /help 帮助  Ctrl-D 退出"))
    return out


class Assist:
    """The assist loop's logic, shared by the terminal UI and the piped mode."""

    def __init__(self, coach: Coach, customer: str = "", packs: list[str | Path] | None = None,
                 record: Path | None = None) -> None:
        self.coach = coach
        self.customer = customer
        self.packs = packs
        self.session = coach.session(customer=customer)
        self.done = False
        self.record = record
        self.recorded: list[dict[str, Any]] = []

    def _save(self) -> None:
        """Rewrite the recording after every turn, atomically, so an interruption loses nothing."""
        if self.record is None:
            return
        from .recording import write_dialogue

        try:
            write_dialogue(self.record, self.recorded, self.packs, self.customer)
        except OSError as exc:
            # A full disk or a folder gone read-only must not end a live conversation.
            print(f"coach: 无法保存对话到 {self.record}（{exc.strerror or exc}），继续但不再保存",
                  file=sys.stderr)
            self.record = None

    def replay(self, turns: list[dict[str, Any]]) -> int:
        """Feed a recorded conversation's lines through a fresh session; return how many."""
        n = 0
        for turn in turns:
            if isinstance(turn.get("customer"), str):
                self.handle(turn["customer"])
                n += 1
            elif isinstance(turn.get("salesperson"), str):
                self.handle("> " + turn["salesperson"])
                n += 1
        return n

    def handle(self, line: str) -> str:
        """One line of input → the text to show. Never raises for odd input."""
        text = line.strip()
        if not text:
            return ""
        try:
            if text.startswith("/"):
                return self._command(text)
            if text.startswith((">", "＞")):
                return self._say(text[1:].strip())
            s = self.session.hear(text)
            self.recorded.append({"customer": text, "expect": {
                "step": s.step.value, "rule": s.rule, "signals": list(s.signals)}})
            self._save()
            return format_suggestion(s)
        except CoachError as exc:
            return f"出错了：{exc}"

    def _command(self, text: str) -> str:
        name, _, arg = text.partition(" ")
        name = name.lower()
        if name in ("/quit", "/exit", "/q"):
            self.done = True
            return "再见。"
        if name in ("/help", "/h", "/?"):
            return HELP
        if name == "/state":
            return format_state(self.session)
        if name == "/reset":
            self.session = self.coach.session(customer=self.customer)
            return "已重新开始。"
        if name == "/say":
            return self._say(arg.strip()) if arg.strip() else "用法：/say 你说的话"
        if name == "/reload":
            return self.reload()
        if name == "/explain":
            return str(self.session.explain(arg)) if arg.strip() else "用法：/explain 客户的话"
        return f"未知命令 {name}。输入 /help 查看可用命令。"


    def _say(self, text: str) -> str:
        f = self.session.say(text)
        self.recorded.append({"salesperson": text, "expect": {"question_type": f.question_type}})
        self._save()
        return format_feedback(f)

    def reload(self) -> str:
        """Re-read the packs; on errors keep the old ones and list the problems."""
        from .errors import PackError

        try:
            fresh = Coach.load(self.packs)
        except PackError as exc:
            errors = [str(p) for p in exc.problems if p.is_error]
            return "规则包有错误，仍使用原来的规则：\n" + "\n".join(errors)
        self.coach = fresh
        self.session = fresh.adopt(self.session)
        return f"已重新读取规则包（{len(fresh.packset.rules)} 条规则），对话继续。"


def run_piped(app: Assist, stdin: TextIO, stdout: TextIO) -> int:
    for raw in stdin:
        out = app.handle(raw)
        if out:
            print(out, file=stdout, flush=True)
        if app.done:
            break
    return 0


def warm_up_after_first_draw(ps: Any, coach: Coach) -> None:
    """Start the tokenizer in the background once the prompt is on screen.

    Reading its cache holds the GIL for ~150 ms; started earlier, that delays the first
    draw of the prompt. After the first draw the user is reading or typing anyway.
    """
    started: list[bool] = []

    def start(_: Any) -> None:
        if not started:  # a flag, not `-=`: the event is iterating its handler list
            started.append(True)
            coach.warm_up(background=True)

    ps.app.after_render += start


def run_terminal(app: Assist, input: Any = None, output: Any = None) -> int:
    from prompt_toolkit import PromptSession, print_formatted_text
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.history import InMemoryHistory
    from prompt_toolkit.styles import Style

    style = Style.from_dict({
        "bottom-toolbar": "noreverse bg:#222222 #aaaaaa",
        "step": "#888888",
        "step.reached": "#5fafff",
        "step.current": "bold reverse #ffd75f",
        "hint": "#666666",
    })
    ps: PromptSession[str] = PromptSession(
        history=InMemoryHistory(), input=input, output=output, style=style,
        bottom_toolbar=lambda: FormattedText(step_bar(app.session.step, app.session.reached)),
    )
    def show(text: str) -> None:
        print_formatted_text(text, output=ps.output)

    warm_up_after_first_draw(ps, app.coach)
    show("销售教练 · 实时助手。输入客户说的话；以 > 开头记录你自己说的话；/help 查看命令。")
    while not app.done:
        try:
            line = ps.prompt("客户> ")
        except KeyboardInterrupt:
            continue  # Ctrl-C clears the line, as in any shell
        except EOFError:
            break
        out = app.handle(line)
        if out:
            show(out)
    return 0


def saved_dir() -> Path:
    """Where terminal assist sessions are kept, one golden-dialogue file each."""
    from .dirs import data_dir

    return data_dir() / "assist"


def _latest_saved() -> Path | None:
    try:
        files = sorted(saved_dir().glob("*.yaml"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    return files[-1] if files else None


def _read_saved(path: Path) -> tuple[list[dict[str, Any]], str, list[str] | None]:
    """The turns, customer name and packs of a recorded session; CoachError if unusable."""
    from .errors import InputError
    from .yamlsafe import YamlProblem, load_located

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"无法读取 {path}：{getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = load_located(text)
    except YamlProblem as exc:
        raise InputError(f"{path} 不是有效的 YAML：{exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("turns"), list):
        raise InputError(f"{path} 不是 coach assist 保存的对话（需要 turns: 列表）")
    packs = data.get("packs")
    packs = [str(p) for p in packs] if isinstance(packs, list) and packs != ["default"] else None
    turns = [t for t in data["turns"] if isinstance(t, dict)]
    return turns, str(data.get("customer") or ""), packs


def run_assist(packs: list[str | Path] | None = None, customer: str = "",
               stdin: TextIO | None = None, stdout: TextIO | None = None, record: str | None = None,
               save: bool = True, resume: str | None = None) -> int:
    """Run assist. In a terminal the conversation is saved as it goes (unless ``save`` is
    False) to ``--record FILE`` or a new file under the data directory; ``resume`` (a file,
    or "" for the newest saved one) replays a saved conversation and carries on in it."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty() and stdout.isatty()
    turns: list[dict[str, Any]] = []
    target = Path(record) if record else None
    if resume is not None:
        from .errors import InputError

        found = Path(resume) if resume else _latest_saved()
        if found is None:
            raise InputError(f"没有可继续的对话（{saved_dir()} 里没有保存的对话）")
        turns, saved_customer, saved_packs = _read_saved(found)
        customer = customer or saved_customer
        if not packs and saved_packs:
            packs = list(saved_packs)
        target = target or found
    elif target is None and interactive and save:
        target = saved_dir() / time.strftime("%Y%m%d-%H%M%S.yaml")
    coach = Coach.load(packs)
    app = Assist(coach, customer, packs, target)
    if turns:
        n = app.replay(turns)
        print(f"已恢复 {n} 句，对话继续（{target}）。", file=stdout, flush=True)
    if interactive:
        code = run_terminal(app)
    else:
        code = run_piped(app, stdin, stdout)
    if app.record is not None and app.recorded and interactive:
        print(f"本次对话已保存：{app.record}（coach assist --resume 可接着练）", file=stdout)
    return code
