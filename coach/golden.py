"""Golden dialogues: scripted conversations with expectations, replayed against the packs."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .engine import Coach
from .errors import PackError, Problem
from .limits import read_capped
from .yamlsafe import MAX_FILE_BYTES, LDict, LList, YamlProblem, load_located

_TURN_KEYS = ("customer", "salesperson", "expect")
_EXPECT_CUSTOMER = ("step", "signals", "not_signals", "only_signals", "rule", "text_contains",
                    "text_one_of", "slots", "why_contains")
_EXPECT_SALES = ("question_type", "moves", "not_moves", "step", "fits_step", "red_line", "reflected")
_TOP = ("dialogue", "description", "packs", "customer", "turns")


@dataclass
class Failure:
    """One expectation that did not hold."""

    path: str
    line: int
    turn: int
    what: str
    expected: Any
    actual: Any
    rule: str

    def __str__(self) -> str:
        return (f"{self.path}:{self.line}: turn {self.turn}: {self.what}: expected {self.expected!r}, "
                f"got {self.actual!r} (rule {self.rule})")


@dataclass
class Result:
    path: str
    turns: int = 0
    failures: list[Failure] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rules: set[str] = field(default_factory=set)
    signals: set[str] = field(default_factory=set)
    slots: set[str] = field(default_factory=set)
    steps: set[str] = field(default_factory=set)
    moves: set[str] = field(default_factory=set)
    packs: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failures and not self.problems


def find_dialogues(paths: list[str | Path]) -> list[Path]:
    """Golden dialogue files under the given paths (folders searched recursively).

    Files under a ``scenarios`` folder are practice scenarios, not dialogues, and are skipped.
    """
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += [f for f in sorted(p.rglob("*.yaml")) if "scenarios" not in f.parts]
        else:
            out.append(p)
    return out


def run_dialogue(path: Path, coaches: dict[tuple[str, ...], Coach] | None = None) -> Result:
    """Replay one golden dialogue; every expectation that fails becomes a Failure."""
    res = Result(str(path))
    try:
        data = load_located(read_capped(path, MAX_FILE_BYTES).decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        res.problems.append(Problem(str(path), 0, 0, "E001", f"文件不是 UTF-8 编码（第 {exc.start} 字节）",
                                    "另存为 UTF-8"))
        return res
    except YamlProblem as exc:
        res.problems.append(Problem(str(path), exc.pos.line, exc.pos.col, "E001", exc.message, exc.hint))
        return res
    except OSError as exc:
        res.problems.append(Problem(str(path), 0, 0, "E002", f"无法读取：{exc}"))
        return res
    if not isinstance(data, LDict) or not isinstance(data.get("turns"), LList):
        res.problems.append(Problem(str(path), 1, 1, "E010", "黄金对话需要一个 'turns:' 列表"))
        return res
    for key in data:
        if key not in _TOP:
            res.problems.append(_unknown(str(path), data, key, _TOP, "对话"))
    packs = data.get("packs") or ["default"]
    if isinstance(packs, str):
        packs = [packs]
    elif not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        pos = data.pos.get("packs")
        res.problems.append(Problem(str(path), pos.line if pos else 1, pos.col if pos else 1, "E102",
                                    "'packs' 必须是规则包名称或路径（文字），或它们的列表"))
        return res
    # A pack given as a path (with a "/" or a .yaml suffix) is relative to the dialogue
    # file; a bare name is a bundled pack id, even when a folder of that name sits beside
    # the dialogue (dialogues/golden/default/ must not shadow the default pack).
    resolved = tuple(str(path.parent / p) if _is_path(p) and (path.parent / p).exists() else p
                     for p in packs)
    cache = coaches if coaches is not None else {}
    try:
        coach = cache.get(resolved) or Coach.load(list(resolved))
    except PackError as exc:
        res.problems.extend(exc.problems)
        return res
    cache[resolved] = coach
    res.packs = resolved
    session = coach.session(customer=str(data.get("customer") or ""))
    turns: LList = data["turns"]
    for i, turn in enumerate(turns):
        n = i + 1
        line = turns.pos[i].line
        if not isinstance(turn, LDict):
            res.problems.append(Problem(str(path), line, 1, "E102", "每一轮必须是映射"))
            continue
        for key in turn:
            if key not in _TURN_KEYS:
                res.problems.append(_unknown(str(path), turn, key, _TURN_KEYS, "这一轮"))
        expect = turn.get("expect") or LDict()
        if not isinstance(expect, LDict):
            pos = turn.pos.get("expect")
            res.problems.append(Problem(str(path), pos.line if pos else line, pos.col if pos else 1, "E102",
                                        "'expect' 必须是映射（step: …、signals: …）"))
            expect = LDict()
            expect.pos, expect.at = {}, turns.pos[i]
        res.turns += 1
        if "customer" in turn:
            s = session.hear(str(turn["customer"] or ""))
            res.rules.add(s.rule)
            res.signals.update(s.signals)
            res.slots.update(s.slots)
            res.steps.add(s.step.value)
            _check_customer(res, expect, s, n, line)
        elif "salesperson" in turn:
            f = session.say(str(turn["salesperson"] or ""))
            res.moves.update(f.moves)
            res.steps.add(f.step.value)
            _check_sales(res, expect, f, n, line)
        else:
            res.problems.append(Problem(str(path), line, 1, "E103", "每一轮需要 'customer' 或 'salesperson'"))
    return res


def _is_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.endswith((".yaml", ".yml"))


def _unknown(path: str, data: LDict, key: Any, allowed: tuple[str, ...], what: str) -> Problem:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    pos = data.pos.get(key)
    return Problem(path, pos.line if pos else 0, pos.col if pos else 0, "E101",
                   f"{what}里没有 '{key}' 这一项",
                   f"是不是 '{close[0]}'？" if close else "可用：" + "、".join(allowed))


def _as_list(v: Any) -> list[str]:
    if v is None:
        return []
    return [str(x) for x in v] if isinstance(v, list) else [str(v)]


def _check_customer(res: Result, exp: LDict, s: Any, n: int, line: int) -> None:
    def fail(what: str, expected: Any, actual: Any) -> None:
        pos = exp.pos.get(what) if isinstance(exp, LDict) else None
        res.failures.append(Failure(res.path, pos.line if pos else line, n, what, expected, actual, s.rule))

    for key in exp:
        if key not in _EXPECT_CUSTOMER:
            res.problems.append(_unknown(res.path, exp, key, _EXPECT_CUSTOMER, "客户一轮的预期"))
    if "step" in exp and s.step.value != str(exp["step"]):
        fail("step", str(exp["step"]), s.step.value)
    if "rule" in exp and s.rule != str(exp["rule"]):
        fail("rule", str(exp["rule"]), s.rule)
    missing = [x for x in _as_list(exp.get("signals")) if x not in s.signals]
    if missing:
        fail("signals", _as_list(exp.get("signals")), list(s.signals))
    extra = [x for x in _as_list(exp.get("not_signals")) if x in s.signals]
    if extra:
        fail("not_signals", _as_list(exp.get("not_signals")), list(s.signals))
    if "only_signals" in exp and sorted(_as_list(exp["only_signals"])) != sorted(s.signals):
        fail("only_signals", sorted(_as_list(exp["only_signals"])), sorted(s.signals))
    for piece in _as_list(exp.get("text_contains")):
        if piece not in s.text:
            fail("text_contains", piece, s.text)
    if "text_one_of" in exp and s.text not in _as_list(exp["text_one_of"]):
        fail("text_one_of", _as_list(exp["text_one_of"]), s.text)
    for piece in _as_list(exp.get("why_contains")):
        if piece not in s.why:
            fail("why_contains", piece, s.why)
    slots = exp.get("slots")
    if isinstance(slots, dict):
        for k, v in slots.items():
            got = s.slots.get(k, "")
            if str(v) not in got:
                fail("slots", {k: v}, {k: got})


def _check_sales(res: Result, exp: LDict, f: Any, n: int, line: int) -> None:
    def fail(what: str, expected: Any, actual: Any) -> None:
        res.failures.append(Failure(res.path, line, n, what, expected, actual, ",".join(f.moves)))

    for key in exp:
        if key not in _EXPECT_SALES:
            res.problems.append(_unknown(res.path, exp, key, _EXPECT_SALES, "销售一轮的预期"))
    if "question_type" in exp and f.question_type != str(exp["question_type"]):
        fail("question_type", str(exp["question_type"]), f.question_type)
    if "step" in exp and f.step.value != str(exp["step"]):
        fail("step", str(exp["step"]), f.step.value)
    missing = [x for x in _as_list(exp.get("moves")) if x not in f.moves]
    if missing:
        fail("moves", _as_list(exp.get("moves")), list(f.moves))
    extra = [x for x in _as_list(exp.get("not_moves")) if x in f.moves]
    if extra:
        fail("not_moves", _as_list(exp.get("not_moves")), list(f.moves))
    if "fits_step" in exp and bool(exp["fits_step"]) != f.fits_step:
        fail("fits_step", bool(exp["fits_step"]), f.fits_step)
    if "red_line" in exp and bool(exp["red_line"]) != bool(f.red_lines):
        fail("red_line", bool(exp["red_line"]), list(f.red_lines))
    if "reflected" in exp and bool(exp["reflected"]) != f.reflected:
        fail("reflected", bool(exp["reflected"]), f.reflected)


def coverage(results: list[Result], coaches: dict[tuple[str, ...], Coach]) -> list[str]:
    """Lines naming every rule, signal, move and slot of each pack that no dialogue exercised.

    Coverage is per pack, pooled over every dialogue that loads it: the default pack is
    exercised by the dialogues of the optional packs too. An item counts for the pack whose
    file defines it (a signal that a later pack extends counts for the later one). Steps are
    pooled over all dialogues. The last line says how many rules are dead overall.
    """
    from .steps import Step

    # pack id -> (path, {kind: {item: where}}, seen {kind: set})
    defined: dict[str, dict[str, dict[str, str]]] = {}
    seen: dict[str, dict[str, set[str]]] = {}
    dialogues: dict[str, int] = {}
    for packs, coach in coaches.items():
        mine = [r for r in results if r.packs == packs]
        if not mine:
            continue
        ps = coach.packset
        by_path = {info.path: info.id for info in ps.packs}
        items: list[tuple[str, str, str, str]] = [  # (pack id, kind, item, where)
            (ps.packs[r.pack_index].id, "rules", r.id, str(r.where)) for r in ps.rules]
        for kind, table in (("signals", ps.signals), ("moves", ps.moves), ("slots", ps.slots)):
            for key, d in table.items():
                items.append((by_path.get(d.where.path, ps.packs[0].id), kind, key, str(d.where)))
        used = {
            "rules": set().union(*(r.rules for r in mine)),
            "signals": set().union(*(r.signals for r in mine)),
            "moves": set().union(*(r.moves for r in mine)),
            "slots": set().union(*(r.slots for r in mine)),
        }
        for info in ps.packs:
            dialogues[info.id] = dialogues.get(info.id, 0) + len(mine)
            for kind, got in used.items():
                seen.setdefault(info.id, {}).setdefault(kind, set()).update(got)
        for pid, kind, key, where in items:
            defined.setdefault(pid, {}).setdefault(kind, {}).setdefault(key, where)

    lines: list[str] = []
    dead = total = 0
    for pid in sorted(defined, key=lambda p: (p != "default", p)):
        lines.append(f"覆盖率 {pid}（{dialogues.get(pid, 0)} 个对话）：")
        for kind in ("rules", "signals", "moves", "slots"):
            every = defined[pid].get(kind, {})
            missing = [k for k in every if k not in seen.get(pid, {}).get(kind, set())]
            if kind == "rules":
                dead += len(missing)
                total += len(every)
            lines.append(f"  {kind}: {len(every) - len(missing)}/{len(every)} exercised")
            for k in missing:
                where = f"  ({every[k]})" if kind == "rules" else ""
                lines.append(f"    not exercised: {k}{where}")
    all_steps = set().union(*(r.steps for r in results)) if results else set()
    missing_steps = [s.value for s in Step if s.value not in all_steps]
    lines.append(f"steps: {len(Step) - len(missing_steps)}/{len(Step)} exercised")
    lines.extend(f"    not exercised: {s}" for s in missing_steps)
    lines.append(f"rules never exercised: {dead} of {total}")
    return lines
