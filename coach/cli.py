"""The ``coach`` command: assist, lint, explain."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from . import __version__
from .errors import CoachError, InputError, PackError

_ARGPARSE_MESSAGES = (
    ("the following arguments are required: ", "缺少参数："),
    ("unrecognized arguments: ", "无法识别的参数："),
    ("invalid choice: ", "无效的选择："),
    ("expected one argument", "需要一个值"),
    ("argument ", "参数 "),
    ("invalid int value: ", "不是整数："),
    (" (choose from ", "（可选："),
)


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with its own words in Chinese: headings, -h, and the common errors."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        kwargs["add_help"] = False
        super().__init__(*args, **kwargs)
        self._positionals.title = "参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示这段帮助并退出")

    def error(self, message: str) -> NoReturn:
        for english, chinese in _ARGPARSE_MESSAGES:
            message = message.replace(english, chinese)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: 错误：{message}\n")


def _whole(what: str, lo: int = 0, hi: int | None = None) -> Any:
    """An argparse type: a whole number within the documented limits (docs/limits.md)."""
    from .limits import MAX_WHOLE, whole_number

    def parse(text: str) -> int:
        try:
            return whole_number(text, what, lo, MAX_WHOLE if hi is None else hi)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    parse.__name__ = what  # argparse names the type in its messages
    return parse


def _db_path(text: str) -> str:
    """An argparse type: a database path, never empty (an empty one would mean memory)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("数据库路径不能为空")
    return text


def _add_pack_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pack", "-p", action="append", metavar="PACK",
                   help="要加载的规则包：自带包的 id（见 coach packs）、.yaml 文件或文件夹；"
                        "可重复，后加载的优先；默认只加载 default")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="coach",
        description="销售需求定义教练：按“调查、分析、沟通、试探、重复、确定、展示、等待”八步，"
                    "根据客户的话建议下一句该说什么，并说明原因。",
        epilog="例：coach assist  |  coach lint rules  |  coach explain \"太贵了，我们预算不够\"",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}", help="显示版本并退出")
    sub = parser.add_subparsers(dest="command", metavar="命令")

    p = sub.add_parser("assist", help="实时助手：输入客户说的话，得到下一句建议",
                       description="实时助手：输入客户刚说的话，得到建议的下一句、原因、步骤和信号。"
                                   "以 > 开头输入你自己实际说的话，得到点评。/help 查看命令。"
                                   "标准输入不是终端时逐行读取、输出纯文本。")
    _add_pack_arg(p)
    p.add_argument("--customer", default="", help="客户称呼，如 李总")
    p.add_argument("--record", metavar="FILE",
                   help="把这次对话存成黄金对话（YAML），每一轮都写入，可编辑后用 coach test 回放；"
                        "在终端里不加此项时也会自动保存到数据目录的 assist/ 下")
    p.add_argument("--no-save", action="store_true", help="终端里不自动保存这次对话")
    p.add_argument("--resume", nargs="?", const="", metavar="FILE",
                   help="重放一次保存的对话并接着进行（不给文件时取最近一次）")

    p = sub.add_parser("practice", help="练习：和模拟客户对练，逐句点评，结束时给出成绩单",
                       description="和模拟客户对练需求定义八步。每一句都有点评，结束时给出成绩单，并保存到练习记录。"
                                   "标准输入不是终端时逐行读取你的话、输出纯文本，可以脚本化。")
    p.add_argument("--list", action="store_true", help="列出场景（每行先是场景 id）")
    p.add_argument("--scenario", "-s", metavar="ID", help="场景 id 或场景文件（默认 training-course）")
    p.add_argument("--level", "-l", choices=["easy", "medium", "hard"], default="medium", help="难度（默认 medium）")
    p.add_argument("--seed", type=_whole("--seed"), default=0, help="随机种子：相同的种子和输入得到相同的对话")
    p.add_argument("--db", type=_db_path, metavar="PATH", help="练习记录数据库（默认 $COACH_HOME 或用户数据目录下）")
    p.add_argument("--resume", type=_whole("--resume", 1), metavar="ID", help="继续一次中断的练习")
    _add_pack_arg(p)

    p = sub.add_parser("history", help="练习记录：历次得分、各项技能的趋势和下一步建议",
                       description="列出历次练习：得分、句数、状态，各项技能的趋势，以及下一步该练哪个场景。")
    p.add_argument("--db", type=_db_path, metavar="PATH", help="练习记录数据库")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")

    p = sub.add_parser("report", help="重新打印某次练习的成绩单，可导出 HTML",
                       description="重新打印某次练习的成绩单；--html 另存为 HTML 文件。")
    p.add_argument("id", type=_whole("练习记录编号", 1), help="练习记录编号（coach history 中的 #）")
    p.add_argument("--db", type=_db_path, metavar="PATH", help="练习记录数据库")
    p.add_argument("--html", metavar="FILE", help="写成 HTML 文件")

    p = sub.add_parser("packs", help="列出自带的规则包（id、标题、规则数）",
                       description="列出自带的规则包：id、标题、规则数。用 --pack ID 或 "
                                   "Coach.load([\"default\", ID]) 加载。")

    sub.add_parser("steps", help="打印步骤表：每一步可以去哪一步，在什么条件下",
                   description="打印八个步骤之间的转移表：从每一步可以走到哪些步骤，受条件限制的转移注明条件"
                               "（例如试探得到客户认同之后才能确定）。引擎、检查、评分和模拟客户都用这一张表。")

    p = sub.add_parser("lint", help="检查规则包，列出所有问题（文件:行:列）",
                       description="检查规则包（和场景文件），一次列出所有问题，格式为 "
                                   "路径:行:列: 代码 说明（提示：改法）。没有错误时退出码 0，否则 1。")
    p.add_argument("paths", nargs="+", metavar="PATH", help="规则包文件、文件夹或自带包 id，按顺序组合")
    p.add_argument("--strict", action="store_true", help="把警告也当作错误")

    p = sub.add_parser("test", help="回放黄金对话，检查每一轮的预期",
                       description="回放黄金对话（YAML），检查每一轮的预期。每个对话打一个点；失败时列出文件、"
                                   "第几轮、预期和实际，以及触发的规则。有任何失败时退出码 1。")
    p.add_argument("paths", nargs="+", metavar="PATH", help="对话文件或文件夹（递归查找）")
    p.add_argument("--coverage", action="store_true",
                   help="按规则包列出没有任何对话用到的规则、信号、话术动作和槽位")

    p = sub.add_parser("explain", help="解释一句客户的话：分词、信号、槽位、候选规则和胜出规则",
                       description="显示引擎如何读一句客户的话：规范化后的文本、分词、信号及触发它的关键词、"
                                   "槽位、候选规则及落选原因、胜出规则。")
    _add_pack_arg(p)
    p.add_argument("text", help="客户说的话")

    p = sub.add_parser("serve", help="服务模式：标准输入输出上的 JSON 行协议，供其他语言的机器人调用",
                       description="每行读入一个 JSON 请求（会话 id 加 customer、salesperson、reset、state 或 explain），"
                                   "每行输出一个 JSON 回复；格式错误的行得到 error 对象，服务继续。"
                                   "协议见 docs/embedding.md。")
    p.add_argument("--stdio", action="store_true", required=True, help="通过标准输入输出通信（目前唯一的方式）")
    p.add_argument("--db", type=_db_path, metavar="PATH", help="会话存进这个 SQLite 文件（多个进程可共享）；默认只存在内存里")
    p.add_argument("--max-sessions", type=_whole("--max-sessions", 1, 10_000_000), default=None, metavar="N",
                   help="不加 --db 时内存里最多保留的会话数，超出时淘汰最久未用的（默认 10000）")
    p.add_argument("--ttl", type=_whole("--ttl", 1, 10 * 365 * 86400), default=None, metavar="SECONDS",
                   help="会话闲置这么多秒后被遗忘（默认：内存中 24 小时，--db 时不过期）")
    _add_pack_arg(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .inputs import clean_args, setup_stdio

    stdin = sys.stdin
    try:
        # The input boundary (coach/inputs.py): undecodable bytes become � with one warning.
        if not setup_stdio():
            print("coach: 标准输出已关闭，无处输出结果。", file=sys.stderr or sys.__stderr__)
            return 2
        parser = build_parser()
        args = parser.parse_args(argv)
        clean_args(args)
        return _run(parser, args)
    finally:
        sys.stdin = stdin


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "lint":
            return _lint(args)
        if args.command == "practice":
            return _practice(args)
        if args.command == "history":
            from .reports import print_history

            return print_history(args.db, as_json=args.json)
        if args.command == "report":
            from .reports import print_report

            return print_report(args.db, args.id, args.html)
        if args.command == "test":
            return _test(args)
        if args.command == "packs":
            return _packs()
        if args.command == "steps":
            from .steps import describe

            print(describe())
            return 0
        if args.command == "explain":
            from .engine import Coach

            coach = Coach.load(args.pack or None)
            print(coach.explain(args.text))
            return 0
        if args.command == "assist":
            from .assist import run_assist

            return run_assist(args.pack or None, customer=args.customer, record=args.record,
                              save=not args.no_save, resume=args.resume)
        if args.command == "serve":
            from .serve import run_serve

            return run_serve(args.pack or None, db=args.db, max_sessions=args.max_sessions, ttl=args.ttl)
    except PackError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 1
    except CoachError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (coach … | head): nothing is left to tell anyone. Point
        # stdout at /dev/null so the interpreter's final flush does not complain either.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    parser.print_help()
    return 2


def _practice(args: argparse.Namespace) -> int:
    from .practice import run_practice
    from .scenario import list_scenarios, load_scenario

    if args.list:
        for sid, path in list_scenarios().items():
            sc = load_scenario(path)
            print(f"{sid}\t{sc.title}\t{sc.customer_type}·{sc.role}\t{sc.product}")
        return 0
    return run_practice(args.scenario, args.level, args.seed, args.db, args.resume, packs=args.pack)


def _lint(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .limits import regular_files
    from .lint import lint
    from .scenario import is_scenario_file, lint_scenario

    packs: list[str] = []
    problems = []
    for raw in args.paths:
        path = Path(raw)
        files = regular_files(path, "*.yaml") if path.is_dir() else [path]
        scen = [f for f in files if f.is_file() and is_scenario_file(f)]
        for f in scen:
            problems += lint_scenario(f)
        if path.is_dir() and scen and len(scen) == len(files):
            continue
        if not path.is_dir() and scen:
            continue
        packs.append(raw)
    if packs:
        problems += lint(packs)
    for p in problems:
        print(p)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    print(f"{errors} 个错误，{warnings} 个警告", file=sys.stderr)
    if errors or (args.strict and warnings):
        return 1
    return 0


def _test(args: argparse.Namespace) -> int:
    from .golden import find_dialogues, run_dialogue

    files = find_dialogues(args.paths)
    if not files:
        print("coach test: no dialogue files found", file=sys.stderr)
        return 1
    cache: dict = {}
    results = []
    for f in files:
        r = run_dialogue(f, cache)
        results.append(r)
        sys.stdout.write("." if r.ok else "F")
        sys.stdout.flush()
    print()
    bad = [r for r in results if not r.ok]
    for r in bad:
        for p in r.problems:
            print(p)
        for fail in r.failures:
            print(fail)
    turns = sum(r.turns for r in results)
    if args.coverage:
        from .golden import coverage

        print("\n".join(coverage(results, cache)))
    print(f"{len(results) - len(bad)} passed, {len(bad)} failed ({turns} turns)")
    return 1 if bad else 0


def _packs() -> int:
    from .packs import bundled_packs, read_file

    for pid, path in bundled_packs().items():
        problems: list = []
        raw = read_file(path, problems)
        if raw is None or raw.info is None:
            print(f"{pid}\t(无法读取)\t-")
            continue
        kind = "默认" if path.parent.name != "optional" else "可选"
        print(f"{pid}\t{raw.info.title}\t{len(raw.rules)} 条规则\t{kind}")
    return 0
