"""Practice scenarios: a customer persona, what it hides, and how it reacts (YAML, validated)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from .errors import PackError, Problem
from .limits import MAX_PATIENCE, read_capped
from .steps import Step
from .text import keyword_text
from .yamlsafe import MAX_FILE_BYTES, LDict, LList, Pos, YamlProblem, load_located

CUSTOMER_TYPES = ("回避型", "委托型", "咨询型", "自主型")
DECISION_ROLES = ("决策人", "代理决策人", "影响决策人")
LEVELS = ("easy", "medium", "hard")
#: How each level is named to the trainee.
LEVEL_LABELS = {"easy": "简单", "medium": "中等", "hard": "困难"}


class Focus(str, Enum):
    """What a question asks for: the customer answers the focus, not a shared keyword."""

    WHAT = "what"  # a thing, a situation, a way of doing things
    WHO = "who"  # people: the team, the family, who decides
    HOW_MUCH = "how_much"  # money and amounts: budget, price, volume, down payment
    WHEN = "when"  # time: deadlines, plans, how long
    WHY = "why"  # reasons and motives
    WORRY = "worry"  # problems, worries, what went wrong

    @property
    def label(self) -> str:
        return _FOCUS_LABELS[self]


_FOCUS_LABELS = {Focus.WHAT: "什么", Focus.WHO: "谁", Focus.HOW_MUCH: "多少", Focus.WHEN: "什么时候",
                 Focus.WHY: "为什么", Focus.WORRY: "担心什么"}

#: What the simulated customer says in reaction to a kind of trainee line.
REACTIONS = ("greeting", "probe_hit", "probe_near", "probe_miss", "repeat_ack", "repeat_need", "echo_ack", "confirm_ack", "confirm_early",
             "demo_ack", "demo_early", "ask_demo", "ask_next", "wait_ack", "pushy", "lecture", "red_line", "vague_open",
             "vague_closed", "statement", "end_patience", "end_success",
             *(f"fallback_{f.value}" for f in Focus if f != Focus.WHAT))
_REQUIRED_REACTIONS = ("greeting", "probe_hit", "probe_miss", "repeat_ack", "confirm_ack",
                       "demo_ack", "wait_ack", "pushy", "lecture", "red_line", "vague_open",
                       "vague_closed", "end_patience")
_TOP = ("scenario", "customer", "true_need", "facts", "objections", "reactions", "levels", "trainees")
_KEYS_SCENARIO = ("id", "title", "product", "description", "packs")
_KEYS_CUSTOMER = ("name", "title", "company", "industry", "type", "role")
_KEYS_NEED = ("summary", "keywords")
_KEYS_FACT = ("id", "topic", "focus", "open", "closed", "questions", "slot")
_KEYS_OBJECTION = ("steps", "text")
_KEYS_LEVEL = ("reveal", "closed_reveal", "objection_rate", "patience")


@dataclass(frozen=True)
class Fact:
    """Something the customer knows and tells only when asked about its topic."""

    id: str
    topic: tuple[str, ...]  # words in a trainee's question that ask about this fact
    open: tuple[str, ...]  # sentences told for an open question (more detail, in order)
    closed: str  # what a closed question gets
    focus: frozenset[Focus] = frozenset({Focus.WHAT})  # the kinds of question it answers
    questions: tuple[str, ...] = ()  # differently worded questions that reach it (tested)


@dataclass(frozen=True)
class Objection:
    steps: frozenset[Step]
    text: str


@dataclass(frozen=True)
class Level:
    reveal: int  # sentences of a fact told per open question
    closed_reveal: int  # 1: a closed question still gets the short answer; 0: only a shrug
    objection_rate: float  # chance, per trainee question, that an objection comes first
    patience: int


@dataclass(frozen=True)
class Scenario:
    """One practice scenario, as validated from YAML."""

    id: str
    title: str
    product: str
    description: str
    packs: tuple[str, ...]
    name: str
    customer_title: str
    company: str
    industry: str
    customer_type: str
    role: str
    need_summary: str
    need_keywords: tuple[tuple[str, ...], ...]  # groups: a probe must hit every group
    facts: tuple[Fact, ...]
    objections: tuple[Objection, ...]
    reactions: dict[str, tuple[str, ...]]
    levels: dict[str, Level]
    trainees: dict[str, tuple[str, ...]]  # scripted trainees: "strong", "weak" → lines
    path: str

    @property
    def who(self) -> str:
        return self.name


def scenarios_dir() -> Path:
    """The bundled scenarios: installed as ``coach/_scenarios``, else ``dialogues/scenarios``."""
    here = Path(__file__).resolve().parent
    installed = here / "_scenarios"
    if installed.is_dir():
        return installed
    return here.parent / "dialogues" / "scenarios"


def list_scenarios(root: Path | None = None) -> dict[str, Path]:
    root = root or scenarios_dir()
    return {p.stem: p for p in sorted(root.glob("*.yaml"))}


def load_scenario(ref: str | Path) -> Scenario:
    """A scenario by bundled id or path; raises PackError with every problem found."""
    path = Path(ref)
    if not path.is_file():
        known = list_scenarios()
        if str(ref) in known:
            path = known[str(ref)]
        else:
            close = difflib.get_close_matches(str(ref), list(known), n=1)
            raise PackError([Problem(str(ref), 0, 0, "E002", "没有这个场景",
                                     f"是不是 {close[0]}？" if close else
                                     "coach practice --list 列出所有场景")])
    problems: list[Problem] = []
    sc = read_scenario(path, problems)
    if sc is None or any(p.is_error for p in problems):
        raise PackError(problems)
    return sc


def read_scenario(path: Path, problems: list[Problem]) -> Scenario | None:
    spath = str(path)

    def err(pos: Pos | None, code: str, msg: str, hint: str = "") -> None:
        problems.append(Problem(spath, pos.line if pos else 0, pos.col if pos else 0, code, msg, hint))

    def keys(d: LDict, allowed: tuple[str, ...], what: str) -> None:
        for k in d:
            if k not in allowed:
                close = difflib.get_close_matches(str(k), allowed, n=1)
                err(d.pos.get(k), "E101", f"{what}里没有 '{k}' 这一项",
                    f"是不是 '{close[0]}'？" if close else "可用：" + "、".join(allowed))

    def text(d: LDict, key: str, what: str, required: bool = True) -> str:
        v = d.get(key)
        if v is None:
            if required:
                err(d.at, "E103", f"{what}缺少 '{key}'")
            return ""
        if not isinstance(v, (str, int, float)) or isinstance(v, bool):
            err(d.pos.get(key), "E102", f"{what}的 '{key}' 必须是文字")
            return ""
        return str(v)

    def texts(d: LDict, key: str, what: str) -> tuple[str, ...]:
        v = d.get(key)
        if v is None:
            return ()
        if isinstance(v, str):
            return (v,)
        if isinstance(v, list) and all(isinstance(x, (str, int)) for x in v):
            return tuple(str(x) for x in v)
        err(d.pos.get(key), "E102", f"{what}的 '{key}' 必须是文字或文字列表")
        return ()

    def section(d: LDict, key: str) -> LDict:
        v = d.get(key)
        if not isinstance(v, LDict):
            err(d.pos.get(key, d.at), "E103" if v is None else "E102", f"'{key}' 必须是映射（键: 值）")
            empty = LDict()
            empty.pos, empty.at = {}, d.pos.get(key, d.at)
            return empty
        return v

    try:
        data = load_located(read_capped(path, MAX_FILE_BYTES).decode("utf-8-sig"))
    except YamlProblem as exc:
        err(exc.pos, "E001", exc.message, exc.hint)
        return None
    except (OSError, UnicodeDecodeError) as exc:
        err(None, "E002", f"无法读取场景文件：{exc}")
        return None
    if not isinstance(data, LDict):
        err(Pos(1, 1), "E010", "场景文件的顶层必须是映射（scenario:、customer: …）")
        return None
    keys(data, _TOP, "场景文件")
    head = section(data, "scenario")
    keys(head, _KEYS_SCENARIO, "scenario ")
    cust = section(data, "customer")
    keys(cust, _KEYS_CUSTOMER, "customer ")
    ctype = text(cust, "type", "customer ")
    if ctype and ctype not in CUSTOMER_TYPES:
        err(cust.pos.get("type"), "E102", f"未知的客户类型 '{ctype}'", "可选：" + "、".join(CUSTOMER_TYPES))
    role = text(cust, "role", "customer ")
    if role and role not in DECISION_ROLES:
        err(cust.pos.get("role"), "E102", f"未知的决策角色 '{role}'", "可选：" + "、".join(DECISION_ROLES))
    need = section(data, "true_need")
    keys(need, _KEYS_NEED, "true_need ")
    groups: list[tuple[str, ...]] = []
    kw = need.get("keywords")
    if not isinstance(kw, LList) or not kw:
        err(need.pos.get("keywords", need.at), "E103", "'true_need' 缺少 'keywords'：说中需求的试探要包含的词组",
            "例如 keywords: [[信息, 沟通], [效率]]——试探要包含每一组里的至少一个词")
    else:
        for i, g in enumerate(kw):
            words = [g] if isinstance(g, str) else g if isinstance(g, list) else None
            if not words:
                err(kw.pos[i], "E102", "每个关键词组必须是一个词或一组词")
                continue
            groups.append(tuple(keyword_text(str(w)) for w in words))

    facts: list[Fact] = []
    fl = data.get("facts")
    if not isinstance(fl, LList) or not fl:
        err(data.pos.get("facts", data.at), "E103", "'facts' 必须列出客户藏着的信息")
    else:
        seen: set[str] = set()
        for i, f in enumerate(fl):
            if not isinstance(f, LDict):
                err(fl.pos[i], "E102", "每条 fact 必须是映射（id:、topic: …）")
                continue
            keys(f, _KEYS_FACT, "fact ")
            fid = text(f, "id", "fact ")
            if fid in seen:
                err(f.pos.get("id"), "E104", f"fact id '{fid}' 重复了")
            seen.add(fid)
            topic = tuple(keyword_text(t) for t in texts(f, "topic", f"fact '{fid}' "))
            if not topic:
                err(f.at, "E103", f"fact '{fid}' 缺少 'topic' 词")
            opened = texts(f, "open", f"fact '{fid}' ")
            if not opened:
                err(f.at, "E103", f"fact '{fid}' 缺少 'open' 回答")
            focus: list[Focus] = []
            for name in texts(f, "focus", f"fact '{fid}' "):
                try:
                    focus.append(Focus(name))
                except ValueError:
                    err(f.pos.get("focus"), "E102", f"fact '{fid}' 的 focus '{name}' 无法识别",
                        "可选：" + "、".join(x.value for x in Focus))
            facts.append(Fact(fid, topic, opened, text(f, "closed", f"fact '{fid}' "),
                              frozenset(focus or [Focus.WHAT]), texts(f, "questions", f"fact '{fid}' ")))

    objections: list[Objection] = []
    ol = data.get("objections")
    if isinstance(ol, LList):
        for i, o in enumerate(ol):
            if not isinstance(o, LDict):
                err(ol.pos[i], "E102", "每条异议必须是映射（steps:、text:）")
                continue
            keys(o, _KEYS_OBJECTION, "异议")
            steps = []
            for s in texts(o, "steps", "异议"):
                try:
                    steps.append(Step(s))
                except ValueError:
                    close = difflib.get_close_matches(s, [x.value for x in Step], n=1)
                    err(o.pos.get("steps"), "E110", f"未知的步骤 '{s}'",
                        f"是不是 '{close[0]}'？" if close else "")
            objections.append(Objection(frozenset(steps or [Step.COMMUNICATE]), text(o, "text", "异议")))
    elif ol is not None:
        err(data.pos.get("objections"), "E102", "'objections' 必须是列表")

    reactions: dict[str, tuple[str, ...]] = {}
    rd = section(data, "reactions")
    keys(rd, REACTIONS, "reactions ")
    for k in REACTIONS:
        vals = texts(rd, k, "reactions ")
        if vals:
            reactions[k] = vals
        elif k in _REQUIRED_REACTIONS:
            err(rd.at, "E103", f"'reactions' 缺少 '{k}'")

    levels: dict[str, Level] = {}
    ld = section(data, "levels")
    keys(ld, LEVELS, "levels ")
    for name in LEVELS:
        lv = ld.get(name)
        if not isinstance(lv, LDict):
            err(ld.pos.get(name, ld.at), "E103", f"'levels' 缺少 '{name}'")
            continue
        keys(lv, _KEYS_LEVEL, f"难度 '{name}' ")
        try:
            level = Level(int(lv.get("reveal", 1)), int(lv.get("closed_reveal", 1)),
                          float(lv.get("objection_rate", 0.3)), int(lv.get("patience", 8)))
        except (TypeError, ValueError, OverflowError):  # OverflowError: patience: .inf
            err(lv.at, "E102", f"难度 '{name}' 的各项必须是数字", "reveal、closed_reveal、patience 是整数；objection_rate 在 0 到 1 之间")
            continue
        if (not 0 <= level.objection_rate <= 1 or not 1 <= level.patience <= MAX_PATIENCE
                or not 1 <= level.reveal <= MAX_PATIENCE or not 0 <= level.closed_reveal <= MAX_PATIENCE):
            err(lv.at, "E102", f"难度 '{name}' 的数值超出范围",
                f"reveal、patience 在 1 到 {MAX_PATIENCE} 之间，objection_rate 在 0 到 1 之间")
        levels[name] = level

    trainees: dict[str, tuple[str, ...]] = {}
    td = data.get("trainees")
    if isinstance(td, LDict):
        for k in td:
            trainees[str(k)] = texts(td, str(k), "trainees ")
    if any(p.is_error for p in problems if p.path == spath):
        return None
    return Scenario(
        id=text(head, "id", "scenario "), title=text(head, "title", "scenario "),
        product=text(head, "product", "scenario "), description=text(head, "description", "scenario ", False),
        packs=texts(head, "packs", "scenario ") or ("default",),
        name=text(cust, "name", "customer "), customer_title=text(cust, "title", "customer ", False),
        company=text(cust, "company", "customer ", False), industry=text(cust, "industry", "customer ", False),
        customer_type=ctype, role=role, need_summary=text(need, "summary", "true_need "),
        need_keywords=tuple(groups), facts=tuple(facts), objections=tuple(objections),
        reactions=reactions, levels=levels, trainees=trainees, path=spath,
    )


def lint_scenario(path: Path) -> list[Problem]:
    problems: list[Problem] = []
    read_scenario(path, problems)
    return problems


def is_scenario_file(path: Path) -> bool:
    """Scenario files start with a ``scenario:`` header; packs with ``pack:``."""
    try:
        head = read_capped(path, MAX_FILE_BYTES).decode("utf-8", "replace")[:4000]
    except OSError:
        return False
    for line in head.splitlines():
        if line.startswith("scenario:"):
            return True
        if line.startswith("pack:"):
            return False
    return False


def _unused(*_: Any) -> None:  # keeps linters quiet about helper signatures
    return None
