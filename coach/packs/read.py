"""Reading one pack file: YAML with positions, checked key by key, into a RawPack."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Problem
from ..limits import MAX_FREQ, pack_number, read_capped, regular_files
from ..safepattern import UnsafePattern, compile_pattern
from ..steps import Step
from ..text import keyword_text
from ..yamlsafe import MAX_FILE_BYTES, LDict, LList, Pos, YamlProblem, load_located
from .model import (
    BUILTIN_NAMES,
    CONSTRUCTION_SLOT,
    EXTRACTORS,
    MAX_PATTERN_CHARS,
    PATTERN_MACROS,
    QUESTION_MARK,
    SLOT_TYPES,
    VOCAB_REF,
    Matcher,
    MoveDef,
    PackInfo,
    SignalDef,
    SlotDef,
    Where,
)
from .schema import DICTIONARY_ENTRY, FILLERS, HEADER, ID_PATTERN, MOVE, NEAREST, PACK, SIGNAL, SLOT

_ID = re.compile(ID_PATTERN)
_STEP_IDS = [s.value for s in Step]


def bundled_dir() -> Path:
    """The folder holding the bundled packs (installed as ``coach/_rules``)."""
    here = Path(__file__).resolve().parent.parent  # coach/
    installed = here / "_rules"
    if installed.is_dir():
        return installed
    return here.parent / "rules"


def bundled_packs() -> dict[str, Path]:
    """Bundled pack id → file. The id is the file name without ``.yaml``."""
    root = bundled_dir()
    found = {p.stem: p for p in sorted(root.glob("*.yaml"))}
    optional = root / "optional"
    if optional.is_dir():
        found.update({p.stem: p for p in sorted(optional.glob("*.yaml"))})
    return found


def resolve(sources: Iterable[str | Path] | None) -> tuple[list[Path], list[Problem]]:
    """Pack names, files and folders → the files to read, in order."""
    if sources is None:
        sources = ["default"]
    if isinstance(sources, (str, Path)):
        sources = [sources]
    files: list[Path] = []
    problems: list[Problem] = []
    bundled = bundled_packs()
    if isinstance(sources, (bytes, bytearray)):
        sources = [sources]  # reported below: bytes are not a name
    elif not isinstance(sources, (list, tuple)):
        try:
            sources = list(sources)
        except TypeError:
            sources = [sources]  # type: ignore[list-item]  # reported below as not a name or path
    for src in sources:
        if not isinstance(src, (str, os.PathLike)) or isinstance(src, bytes):
            problems.append(Problem(repr(src)[:80], 0, 0, "E002",
                                    f"规则包要用名称或路径（str 或 Path）给出，而不是 {type(src).__name__}",
                                    "例如 Coach.load([\"default\", \"my_pack.yaml\"])"))
            continue
        p = Path(src)
        if p.is_dir():
            found = regular_files(p, "*.yaml", "*.yml")
            if not found:
                problems.append(Problem(str(p), 0, 0, "E002", "文件夹里没有 .yaml 规则包",
                                        "请指向一个规则包文件，或放着规则包的文件夹"))
            files.extend(found)
        elif p.is_file():
            files.append(p)
        elif isinstance(src, str) and src in bundled:
            files.append(bundled[src])
        elif os.path.lexists(p):
            # A FIFO, a device (a symlink to /dev/zero) or a symlink loop: never opened.
            problems.append(Problem(str(p), 0, 0, "E002", "不是普通文件（管道、设备或循环的符号链接），不读取",
                                    "请指向一个 .yaml 文件"))
        else:
            hint = "请给出 .yaml 文件或文件夹的路径，或自带包的 id（coach packs 列出）"
            close = difflib.get_close_matches(str(src), list(bundled), n=1)
            if close:
                hint = f"是不是自带包 {close[0]}？"
            problems.append(Problem(str(src), 0, 0, "E002", "没有这个规则包文件、文件夹或 id", hint))
    # The same file twice would only duplicate every id.
    unique: list[Path] = []
    seen: set[Path] = set()
    for f in files:
        try:
            r = f.resolve()
        except (RuntimeError, OSError):  # a symlink loop: Python raises RuntimeError
            problems.append(Problem(str(f), 0, 0, "E002", "符号链接形成了循环，无法读取",
                                    "把链接指向一个真正的 .yaml 文件"))
            continue
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, problems


class Reader:
    """Reads one pack file's data, recording problems instead of stopping at the first."""

    def __init__(self, path: str, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems

    def err(self, pos: Pos | None, code: str, message: str, hint: str = "") -> None:
        line, col = (pos.line, pos.col) if pos else (0, 0)
        self.problems.append(Problem(self.path, line, col, code, message, hint))

    def where(self, pos: Pos | None) -> Where:
        return Where(self.path, pos.line if pos else 0, pos.col if pos else 0)

    def keys(self, data: LDict, allowed: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"是不是 '{close[0]}'？" if close else "可用：" + "、".join(allowed)
                self.err(data.pos.get(key), "E101", f"{what}里没有 '{key}' 这一项", hint)

    def mapping(self, value: Any, pos: Pos | None, what: str) -> LDict | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            self.err(pos, "E102", f"{what}必须是映射（键: 值），而不是{_kind(value)}")
            return None
        return value  # type: ignore[return-value]

    def strings(self, value: Any, pos: Pos | None, what: str) -> list[tuple[str, Pos | None]]:
        """A string or list of strings, each with its position."""
        if value is None:
            return []
        if isinstance(value, str):
            return [(value, pos)]
        if isinstance(value, list):
            out = []
            for i, item in enumerate(value):
                ipos = value.pos[i] if isinstance(value, LList) else pos
                if isinstance(item, (str, int, float)) and not isinstance(item, bool):
                    out.append((str(item), ipos))
                else:
                    self.err(ipos, "E102", f"{what}只能列文字，而不是{_kind(item)}")
            return out
        self.err(pos, "E102", f"{what}必须是文字或文字列表，而不是{_kind(value)}")
        return []

    def text(self, value: Any, pos: Pos | None, what: str, required: bool = False) -> str:
        if value is None:
            if required:
                self.err(pos, "E103", f"缺少{what}")
            return ""
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            self.err(pos, "E102", f"{what}必须是文字，而不是{_kind(value)}")
            return ""
        return str(value)

    def boolean(self, value: Any, pos: Pos | None, what: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.err(pos, "E102", f"{what}必须是 true 或 false，而不是{_kind(value)}")
            return default
        return value

    def ident(self, value: Any, pos: Pos | None, what: str) -> str | None:
        text = self.text(value, pos, what, required=True)
        if not text:
            return None
        if not _ID.match(text):
            self.err(pos, "E105", f"{what} '{text}' 不是有效的 id",
                     "用小写英文字母、数字、'_'、'.' 或 '-'，以字母开头")
            return None
        return text

    def pattern(self, text: str, pos: Pos | None, what: str) -> re.Pattern[str] | None:
        if len(text) > MAX_PATTERN_CHARS:
            self.err(pos, "E114", f"{what}超过 {MAX_PATTERN_CHARS} 个字符",
                     "拆成几个短一些的模式")
            return None
        expanded = text
        for name, macro in PATTERN_MACROS.items():
            expanded = expanded.replace("{" + name + "}", macro)
        # A vocabulary is known only once every pack is read: checked here as one word,
        # expanded (a group of plain words, which adds no backtracking) when packs compose.
        try:
            compile_pattern(VOCAB_REF.sub("(?:w)", expanded.replace(CONSTRUCTION_SLOT, "(?:w)")))
            return compile_pattern(expanded)  # type: ignore[return-value]
        except UnsafePattern as exc:
            self.err(pos, "E114", f"{what}不能使用：{exc}",
                     "模式允许分组、字符类、选择和最多 {0,100} 次的重复；"
                     "见 docs/rule-packs.md 的 Slots 一节和 docs/limits.md")
            return None


#: How a kind of name is called in a message.
KIND_NAMES = {"signal": "信号", "slot": "槽位", "rule, tag or move": "规则、标签或话术动作"}


def line_of(pos: Pos | None) -> int:
    """The line of a position, 0 when there is none."""
    return pos.line if pos else 0


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if value is None:
        return "空值"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "数字"
    return "文字"


@dataclass
class RawPack:
    """One file read, not yet cross-checked against the others."""

    path: str
    info: PackInfo | None
    requires: list[tuple[str, Pos | None]]
    dictionary: list[tuple[str, int | None, Pos | None]]
    synonyms: dict[str, list[str]]
    negators: list[str] | None
    signals: list[tuple[str, SignalDef, bool, Pos | None, bool]]  # …, replace, pos, titled
    moves: list[tuple[str, MoveDef, Pos | None]]
    slots: list[tuple[str, SlotDef, Pos | None]]
    rules: list[tuple[LDict, Pos | None]]
    flow: list[tuple[str, list[tuple[str, Pos | None]], Pos | None]]
    digest: str
    vocab: dict[str, list[str]] = field(default_factory=dict)
    fillers: dict[str, list[str]] = field(default_factory=dict)
    constructions: dict[str, list[tuple[str, Pos | None]]] = field(default_factory=dict)
    examples: list[tuple[str, str, tuple[str, ...], Pos | None]] = field(default_factory=list)
    nearest: tuple[int, float, float] | None = None


def read_file(path: Path, problems: list[Problem]) -> RawPack | None:
    """Read one pack file; append every problem found to ``problems``."""
    spath = str(path)
    r = Reader(spath, problems)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            r.err(None, "E002", f"文件有 {size} 字节，超过允许的 {MAX_FILE_BYTES}",
                  "把规则包拆成几个文件")
            return None
        # Capped, and never from a FIFO or a device (a symlink to /dev/zero has size 0).
        raw = read_capped(path, MAX_FILE_BYTES)
    except OSError as exc:
        r.err(None, "E002", f"无法读取文件：{exc.strerror or exc}")
        return None
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        r.err(None, "E001", f"文件不是 UTF-8 编码（第 {exc.start} 字节）", "另存为 UTF-8")
        return None
    try:
        data = load_located(source)
    except YamlProblem as exc:
        r.err(exc.pos, "E001", exc.message, exc.hint)
        return None
    if data is None:
        data = LDict()
        data.pos, data.at = {}, Pos(1, 1)
    if not isinstance(data, LDict):
        r.err(Pos(1, 1), "E010", "规则包的顶层必须是映射",
              "以 'pack:' 开头，然后是 'signals:'、'slots:'、'rules:' …")
        return None
    r.keys(data, PACK.keys, "规则包")
    rp = RawPack(spath, None, [], [], {}, None, [], [], [], [], [],
                  hashlib.sha1(raw).hexdigest())

    meta = r.mapping(data.get("pack"), data.pos.get("pack"), "'pack'")
    if meta is None:
        r.err(data.pos.get("pack", Pos(1, 1)), "E103", "缺少 'pack' 头",
              "在文件开头加上 'pack: {id: my_pack, title: …}'")
    else:
        r.keys(meta, HEADER.keys, "'pack'")
        pid = r.ident(meta.get("id"), meta.pos.get("id", meta.at), "包 id")
        title = r.text(meta.get("title"), meta.pos.get("title"), "包标题")
        version = r.text(meta.get("version"), meta.pos.get("version"), "包版本")
        rp.requires = r.strings(meta.get("requires"), meta.pos.get("requires"), "requires")
        if pid:
            rp.info = PackInfo(pid, title or pid, spath, version or "")

    words = data.get("dictionary")
    if words is not None:
        if not isinstance(words, LList):
            r.err(data.pos.get("dictionary"), "E102", "'dictionary' 必须是词的列表")
        else:
            for i, item in enumerate(words):
                ipos = words.pos[i]
                if isinstance(item, str):
                    rp.dictionary.append((keyword_text(item), None, ipos))
                elif isinstance(item, LDict):
                    r.keys(item, DICTIONARY_ENTRY.keys, "词典条目")
                    w = r.text(item.get("word"), ipos, "词典里的词", required=True)
                    f = item.get("freq")
                    if f is not None and pack_number(f, 1, MAX_FREQ) is None:
                        r.err(item.pos.get("freq"), "E102", f"freq 必须是 1 到 {MAX_FREQ} 之间的整数")
                        f = None
                    if w:
                        rp.dictionary.append((keyword_text(w), f, ipos))
                else:
                    r.err(ipos, "E102", f"词典条目必须是一个词，而不是{_kind(item)}")

    syn = r.mapping(data.get("synonyms"), data.pos.get("synonyms"), "'synonyms'")
    if syn is not None:
        for key, value in syn.items():
            vals = r.strings(value, syn.pos.get(key), f"'{key}' 的同义词")
            rp.synonyms[keyword_text(str(key))] = [keyword_text(v) for v, _ in vals]

    if "negators" in data:
        rp.negators = [keyword_text(v) for v, _ in r.strings(data["negators"], data.pos["negators"], "negators")]

    _read_hearing(r, data, rp)

    for section, keys in (("signals", SIGNAL.keys), ("moves", MOVE.keys)):
        block = r.mapping(data.get(section), data.pos.get(section), f"'{section}'")
        if block is None:
            continue
        for sid, spec in block.items():
            spos = block.pos.get(sid)
            ok_id = r.ident(sid, spos, section[:-1] + " id")
            spec = r.mapping(spec, spos, f"{section[:-1]} '{sid}'")
            if spec is None or ok_id is None:
                continue
            r.keys(spec, keys, f"{section[:-1]} '{sid}'")
            matcher = _read_matcher(r, spec, f"{section[:-1]} '{sid}'")
            given_title = r.text(spec.get("title"), spec.pos.get("title"), "title")
            title = given_title or sid
            if section == "signals":
                replace = r.boolean(spec.get("replace"), spec.pos.get("replace"), "replace", False)
                rp.signals.append((sid, SignalDef(sid, title, matcher, r.where(spos)), replace, spos,
                                   bool(given_title)))
            else:
                step = read_step(r, spec.get("step"), spec.pos.get("step"))
                note = r.text(spec.get("note"), spec.pos.get("note"), "note")
                red = r.boolean(spec.get("red_line"), spec.pos.get("red_line"), "red_line", False)
                rp.moves.append((sid, MoveDef(sid, title, matcher, step, note, red, r.where(spos)), spos))

    slots = r.mapping(data.get("slots"), data.pos.get("slots"), "'slots'")
    if slots is not None:
        for sid, spec in slots.items():
            spos = slots.pos.get(sid)
            ok_id = r.ident(sid, spos, "slot id")
            if ok_id in BUILTIN_NAMES:
                r.err(spos, "E106", f"槽位 id '{sid}' 是内置的模板名",
                      "换一个名字；" + "、".join(BUILTIN_NAMES) + " 是保留名")
                continue
            spec = r.mapping(spec, spos, f"slot '{sid}'")
            if spec is None or ok_id is None:
                continue
            r.keys(spec, SLOT.keys, f"slot '{sid}'")
            stype = r.text(spec.get("type"), spec.pos.get("type"), "type") or "text"
            if stype not in SLOT_TYPES:
                close = difflib.get_close_matches(stype, SLOT_TYPES, n=1)
                r.err(spec.pos.get("type"), "E102", f"未知的槽位类型 '{stype}'",
                      f"是不是 '{close[0]}'？" if close else "可选：" + "、".join(SLOT_TYPES))
            kws: list[tuple[str, str]] = []
            kwspec = spec.get("keywords")
            if isinstance(kwspec, LDict):
                for k, v in kwspec.items():
                    value = r.text(v, kwspec.pos.get(k), f"关键词 '{k}' 的值") if v is not None else str(k)
                    kws.append((keyword_text(str(k)), value or str(k)))
            elif isinstance(kwspec, list):
                kws = [(keyword_text(k), k) for k, _ in r.strings(kwspec, spec.pos.get("keywords"), "keywords")]
            elif kwspec is not None:
                r.err(spec.pos.get("keywords"), "E102", "keywords 必须是“关键词: 值”的映射，或关键词列表")
            pats = []
            for ptxt, ppos in r.strings(spec.get("patterns"), spec.pos.get("patterns"), "patterns"):
                pat = r.pattern(ptxt, ppos, "pattern")
                if pat is not None:
                    pats.append(pat)
            extract = []
            for name, epos in r.strings(spec.get("extract"), spec.pos.get("extract"), "extract"):
                if name not in EXTRACTORS:
                    close = difflib.get_close_matches(name, EXTRACTORS, n=1)
                    r.err(epos, "E102", f"未知的提取器 '{name}'",
                          f"是不是 '{close[0]}'？" if close else "可选：" + "、".join(EXTRACTORS))
                else:
                    extract.append(name)
            multi = r.boolean(spec.get("multi"), spec.pos.get("multi"), "multi", False)
            title = r.text(spec.get("title"), spec.pos.get("title"), "title") or sid
            rp.slots.append((sid, SlotDef(sid, title, stype, multi, tuple(kws), tuple(pats),
                                          tuple(extract), r.where(spos)), spos))

    rules = data.get("rules")
    if rules is not None:
        if not isinstance(rules, LList):
            r.err(data.pos.get("rules"), "E102", "'rules' 必须是规则列表",
                  "每条规则以 '- id: …' 开头")
        else:
            for i, item in enumerate(rules):
                if not isinstance(item, LDict):
                    r.err(rules.pos[i], "E102", f"规则必须是映射，而不是{_kind(item)}")
                    continue
                rp.rules.append((item, rules.pos[i]))

    flow = r.mapping(data.get("flow"), data.pos.get("flow"), "'flow'")
    if flow is not None:
        for step, targets in flow.items():
            rp.flow.append((str(step), r.strings(targets, flow.pos.get(step), f"'{step}' 的 flow"),
                            flow.pos.get(step)))
    return rp


def _bare_refs(value: Any) -> Any:
    """A vocabulary written unquoted in YAML (``- {money}``, ``[{money}, 不够]``) parses as a
    one-key mapping with no value: read it as the reference ``"{money}"`` it was meant as."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value.values())) is None:
        return "{" + str(next(iter(value))) + "}"
    if isinstance(value, list):
        for i, item in enumerate(value):
            value[i] = _bare_refs(item)  # in place: an LList keeps its positions
    return value


def _read_matcher(r: Reader, spec: LDict, what: str) -> Matcher:
    def alts(key: str) -> tuple[tuple[str, ...], ...]:
        value = _bare_refs(spec.get(key))
        pos = spec.pos.get(key)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            r.err(pos, "E102", f"{what} 的 '{key}' 必须是列表")
            return ()
        out = []
        for i, item in enumerate(value):
            ipos = value.pos[i] if isinstance(value, LList) else pos
            if isinstance(item, list):
                words = tuple(keyword_text(w) for w, _ in r.strings(item, ipos, f"{what} 的 '{key}'"))
            elif isinstance(item, (str, int)) and not isinstance(item, bool):
                words = (keyword_text(str(item)),)
            else:
                r.err(ipos, "E102", f"{what} 的 '{key}' 只能列关键词，而不是{_kind(item)}")
                continue
            words = tuple(w for w in words if w)
            if not words:
                r.err(ipos, "E107", f"{what} 的 '{key}' 里有空关键词",
                      "只有标点或空格的关键词永远匹配不上")
                continue
            out.append(words)
        return tuple(out)

    any_ = alts("any")
    none = alts("none")
    all_ = tuple(k for alt in alts("all") for k in alt)
    phrases = tuple(keyword_text(p) for p, _ in r.strings(spec.get("phrases"), spec.pos.get("phrases"), "phrases"))
    pats = []
    for ptxt, ppos in r.strings(spec.get("patterns"), spec.pos.get("patterns"), "patterns"):
        pat = r.pattern(ptxt, ppos, "pattern")
        if pat is not None:
            pats.append(pat)
    negatable = r.boolean(spec.get("negatable"), spec.pos.get("negatable"), "negatable", True)
    filled = tuple(v for v, _ in r.strings(spec.get("filled"), spec.pos.get("filled"), "filled"))
    built: list[tuple[str, tuple[str, ...]]] = []
    cspec = r.mapping(spec.get("constructions"), spec.pos.get("constructions"), f"{what} 的 'constructions'")
    for cname, words in (cspec or {}).items():
        words = _bare_refs(words)
        got = tuple(w for w in (keyword_text(v) for v, _ in r.strings(words, cspec.pos.get(cname),  # type: ignore[union-attr]
                                                                   f"{what} 的句式 '{cname}'")) if w)
        if got:
            built.append((str(cname), got))
    if not (any_ or all_ or phrases or pats or filled or built):
        r.err(spec.at, "E103", f"{what}没有任何可匹配的内容",
              "给它 'any' 关键词、'all' 关键词、'phrases'、'patterns' 或 'constructions'")
    return Matcher(any_, all_, none, tuple(p for p in phrases if p), tuple(pats), negatable, filled,
                   constructions=tuple(built))


def _read_hearing(r: Reader, data: LDict, rp: RawPack) -> None:
    """The sections that shape how customers are heard: vocab, fillers, constructions."""
    vocab = r.mapping(data.get("vocab"), data.pos.get("vocab"), "'vocab'")
    for name, words in (vocab or {}).items():
        pos = vocab.pos.get(name)  # type: ignore[union-attr]
        if r.ident(name, pos, "词表名") is None:
            continue
        if not VOCAB_REF.fullmatch("{" + str(name) + "}") or name in PATTERN_MACROS:
            r.err(pos, "E105", f"词表名 '{name}' 只能用小写字母、数字和 '_'，且不能是模式宏名",
                  "例如 money、later、boss")
            continue
        # "?" stands for the mark a clause asked with a question mark carries (it would
        # fold away like any other punctuation).
        got = [w for w in (QUESTION_MARK if v.strip() in ("?", "？") else keyword_text(v)
                           for v, _ in r.strings(words, pos, f"词表 '{name}'")) if w]
        if not got:
            r.err(pos, "E107", f"词表 '{name}' 里没有词")
        rp.vocab[str(name)] = got
    fillers = r.mapping(data.get("fillers"), data.pos.get("fillers"), "'fillers'")
    if fillers is not None:
        r.keys(fillers, FILLERS.keys, "'fillers'")
        for key in ("anywhere", "leading"):
            rp.fillers[key] = [w for w in (keyword_text(v) for v, _ in r.strings(fillers.get(key), fillers.pos.get(key),
                                                                              f"fillers 的 '{key}'")) if w]
    _read_examples(r, data, rp)
    cons = r.mapping(data.get("constructions"), data.pos.get("constructions"), "'constructions'")
    for name, templates in (cons or {}).items():
        pos = cons.pos.get(name)  # type: ignore[union-attr]
        if r.ident(name, pos, "句式名") is None:
            continue
        for text, tpos in r.strings(templates, pos, f"句式 '{name}'"):
            if CONSTRUCTION_SLOT not in text:
                r.err(tpos, "E114", f"句式 '{name}' 的模板里没有 {CONSTRUCTION_SLOT}",
                      f"在信号的词该出现的地方写 {CONSTRUCTION_SLOT}，例如 \"没有{{x}}\"")
            elif r.pattern(text, tpos, f"句式 '{name}'") is not None:
                rp.constructions.setdefault(str(name), []).append((text, tpos))


def _read_examples(r: Reader, data: LDict, rp: RawPack) -> None:
    """``examples:`` (source id → turns, each a text or [text, signal, …]) and ``nearest:``."""
    block = r.mapping(data.get("examples"), data.pos.get("examples"), "'examples'")
    for source, turns in (block or {}).items():
        spos = block.pos.get(source)  # type: ignore[union-attr]
        if not isinstance(turns, list):
            r.err(spos, "E102", f"examples 的 '{source}' 必须是例句列表")
            continue
        for i, item in enumerate(turns):
            ipos = turns.pos[i] if isinstance(turns, LList) else spos
            if isinstance(item, str):
                item = [item]
            if not isinstance(item, list) or not item or not all(isinstance(x, str) for x in item) \
                    or not item[0].strip():
                r.err(ipos, "E102", "例句必须是一句话，或 [一句话, 信号, …]")
                continue
            rp.examples.append((str(source), item[0], tuple(item[1:]), ipos))
    spec = r.mapping(data.get("nearest"), data.pos.get("nearest"), "'nearest'")
    if spec is not None:
        r.keys(spec, NEAREST.keys, "'nearest'")
        k = spec.get("k", 5)
        th = spec.get("threshold", 0.5)
        ag = spec.get("agreement", 0.5)
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            r.err(spec.pos.get("k"), "E102", "nearest 的 k 必须是正整数")
            k = 5
        for name, v in (("threshold", th), ("agreement", ag)):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
                r.err(spec.pos.get(name), "E102", f"nearest 的 {name} 必须是 0 到 1 之间的数")
        rp.nearest = (k, float(th), float(ag))


def _alternation(words: Iterable[str]) -> str:
    """Plain words as one regex group, longest first (so 没有 is tried before 没)."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) + ")"


def expand_refs(text: str, vocab: dict[str, list[str]]) -> str:
    return VOCAB_REF.sub(lambda m: _alternation(vocab[m.group(1)]) if m.group(1) in vocab else m.group(0), text)


def unknown_refs(text: str, vocab: dict[str, list[str]]) -> list[str]:
    return [n for n in VOCAB_REF.findall(text) if n not in vocab and n not in PATTERN_MACROS]


def resolve_matcher(m: Matcher, vocab: dict[str, list[str]], constructions: dict[str, list[str]],
                     report: Any) -> Matcher:
    """Expand vocabularies in patterns and turn constructions into patterns (compose time).

    ``report(message, hint)`` records an unknown vocabulary or construction.
    """
    words = [w for alt in (*m.any, *m.none) for w in alt] + list(m.all)
    for w in words:
        if w.startswith("{") and w.endswith("}") and w[1:-1] not in vocab:
            report(f"未知的词表 '{w}'", "在 'vocab:' 下定义它")
    uses_vocab = any(VOCAB_REF.search(p.pattern) for p in m.patterns)
    if not uses_vocab and not m.constructions:
        return m
    pats: list[re.Pattern[str]] = []
    src: list[str] = []
    for p in m.patterns:
        bad = unknown_refs(p.pattern, vocab)
        if bad:
            report(f"模式用了未知的词表 '{{{bad[0]}}}'", "在 'vocab:' 下定义它")
            continue
        if VOCAB_REF.search(p.pattern):
            got = compose_pattern(expand_refs(p.pattern, vocab), p.flags, report)
            if got is None:
                continue
            pats.append(got)
            src.append(p.pattern)
        else:
            pats.append(p)
            src.append("")
    for cname, items in m.constructions:
        if cname not in constructions:
            report(f"未知的句式 '{cname}'", "在 'constructions:' 下定义它")
            continue
        bad = [w for w in items if w.startswith("{") and w.endswith("}") and w[1:-1] not in vocab]
        if bad:
            report(f"句式 '{cname}' 用了未知的词表 '{bad[0]}'", "在 'vocab:' 下定义它")
            continue
        slot = _alternation(w2 for w in items for w2 in (vocab[w[1:-1]] if w.startswith("{") and w.endswith("}")
                                                         else [w]))
        for template in constructions[cname]:
            got = compose_pattern(expand_refs(template, vocab).replace(CONSTRUCTION_SLOT, slot), 0, report)
            if got is None:
                continue
            pats.append(got)
            src.append(f"{cname}:" + "|".join(items))
    return Matcher(m.any, m.all, m.none, m.phrases, tuple(pats), m.negatable, m.filled,
                   pattern_src=tuple(src), constructions=m.constructions)


def read_step(r: Reader, value: Any, pos: Pos | None) -> Step | None:
    if value is None:
        return None
    text = str(value)
    if text in _STEP_IDS:
        return Step(text)
    close = difflib.get_close_matches(text, _STEP_IDS, n=1)
    r.err(pos, "E110", f"未知的步骤 '{text}'",
          f"是不是 '{close[0]}'？" if close else "步骤：" + "、".join(_STEP_IDS))
    return None


def compose_pattern(source: str, flags: int, report: Any) -> Any:
    """A pattern expanded at compose time, compiled with bounded work (None: reported)."""
    try:
        return compile_pattern(source, flags)
    except UnsafePattern as exc:
        report(f"展开词表后的模式不能使用：{exc}", "缩短词表或模式；见 docs/limits.md")
        return None
