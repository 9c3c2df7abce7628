"""The ``coach`` command: assist, lint, explain."""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from . import __version__
from .errors import CoachError, PackError


def _add_pack_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--pack", "-p", action="append", metavar="PACK",
                   help="rule pack to load: a bundled id, a .yaml file or a folder "
                        "(repeatable; later packs win; default: the bundled 'default')")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="coach",
        description="销售需求定义教练：按“调查、分析、沟通、试探、重复、确定、展示、等待”八步，"
                    "根据客户的话建议下一句该说什么，并说明原因。",
        epilog="例：coach assist  |  coach lint rules  |  coach explain \"太贵了，我们预算不够\"",
    )
    parser.add_argument("--version", action="version", version=f"coach {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("assist", help="实时助手：输入客户说的话，得到下一句建议",
                       description="实时助手：输入客户刚说的话，得到建议的下一句、原因、步骤和信号。"
                                   "以 > 开头输入你自己实际说的话，得到点评。/help 查看命令。"
                                   "标准输入不是终端时逐行读取、输出纯文本。")
    _add_pack_arg(p)
    p.add_argument("--customer", default="", help="客户称呼，如 李总")
    p.add_argument("--record", metavar="FILE",
                   help="把这次对话存成黄金对话（YAML），每一轮都写入，可编辑后用 coach test 回放")

    p = sub.add_parser("practice", help="练习：和模拟客户对练，逐句点评，结束时给出成绩单",
                       description="和模拟客户对练需求定义八步。每一句都有点评，结束时给出成绩单，并保存到练习记录。"
                                   "标准输入不是终端时逐行读取你的话、输出纯文本，可以脚本化。")
    p.add_argument("--list", action="store_true", help="列出场景（每行先是场景 id）")
    p.add_argument("--scenario", "-s", metavar="ID", help="场景 id 或场景文件（默认 training-course）")
    p.add_argument("--level", "-l", choices=["easy", "medium", "hard"], default="medium", help="难度（默认 medium）")
    p.add_argument("--seed", type=int, default=0, help="随机种子：相同的种子和输入得到相同的对话")
    p.add_argument("--db", metavar="PATH", help="练习记录数据库（默认 $COACH_HOME 或用户数据目录下）")
    p.add_argument("--resume", type=int, metavar="ID", help="继续一次中断的练习")
    _add_pack_arg(p)

    p = sub.add_parser("history", help="练习记录：历次得分、各项技能的趋势和下一步建议",
                       description="List past practice sessions with a per-skill trend and a recommended next scenario.")
    p.add_argument("--db", metavar="PATH", help="练习记录数据库")
    p.add_argument("--json", action="store_true", help="以 JSON 输出")

    p = sub.add_parser("report", help="重新打印某次练习的成绩单，可导出 HTML",
                       description="Print the scorecard of a past practice session again; --html writes it as HTML.")
    p.add_argument("id", type=int, help="练习记录编号（coach history 中的 #）")
    p.add_argument("--db", metavar="PATH", help="练习记录数据库")
    p.add_argument("--html", metavar="FILE", help="写成 HTML 文件")

    p = sub.add_parser("packs", help="列出自带的规则包（id、标题、规则数）",
                       description="List the bundled rule packs: id, title, rule count. Load one with --pack ID "
                                   "or Coach.load([\"default\", ID]).")

    p = sub.add_parser("lint", help="检查规则包，列出所有问题（文件:行:列）",
                       description="Validate rule packs and list every problem as "
                                   "path:line:col: CODE message (hint). Exit 0 when there are no errors, 1 otherwise.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="pack files, folders or bundled ids, composed in order")
    p.add_argument("--strict", action="store_true", help="treat warnings as errors")

    p = sub.add_parser("test", help="回放黄金对话，检查每一轮的预期",
                       description="Replay golden dialogues (YAML) and check every expectation. "
                                   "Prints a dot per dialogue; for a failure the file, the turn, expected "
                                   "versus actual and the rule that fired. Exit 1 on any failure.")
    p.add_argument("paths", nargs="+", metavar="PATH", help="dialogue files or folders (searched recursively)")
    p.add_argument("--coverage", action="store_true",
                   help="list the rules, signals, moves, slots and steps that no dialogue exercised")

    p = sub.add_parser("explain", help="解释一句客户的话：分词、信号、槽位、候选规则和胜出规则",
                       description="Show how the engine reads one customer utterance.")
    _add_pack_arg(p)
    p.add_argument("text", help="客户说的话")

    p = sub.add_parser("serve", help="服务模式：标准输入输出上的 JSON 行协议，供其他语言的机器人调用",
                       description="每行读入一个 JSON 请求（会话 id 加 customer、salesperson、reset、state 或 explain），"
                                   "每行输出一个 JSON 回复；格式错误的行得到 error 对象，服务继续。"
                                   "协议见 docs/embedding.md。")
    p.add_argument("--stdio", action="store_true", required=True, help="通过标准输入输出通信（目前唯一的方式）")
    p.add_argument("--db", metavar="PATH", help="会话存进这个 SQLite 文件（多个进程可共享）；默认只存在内存里")
    _add_pack_arg(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
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
        if args.command == "explain":
            from .engine import Coach

            coach = Coach.load(args.pack or None)
            print(coach.explain(args.text))
            return 0
        if args.command == "assist":
            from .assist import run_assist

            return run_assist(args.pack or None, customer=args.customer, record=args.record)
        if args.command == "serve":
            from .serve import run_serve

            return run_serve(args.pack or None, db=args.db)
    except PackError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 1
    except CoachError as exc:
        print(f"coach: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
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

    from .lint import lint
    from .scenario import is_scenario_file, lint_scenario

    packs: list[str] = []
    problems = []
    for raw in args.paths:
        path = Path(raw)
        files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
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
    print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
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
    from .pack import bundled_packs, read_file

    for pid, path in bundled_packs().items():
        problems: list = []
        raw = read_file(path, problems)
        if raw is None or raw.info is None:
            print(f"{pid}\t(无法读取)\t-")
            continue
        kind = "默认" if path.parent.name != "optional" else "可选"
        print(f"{pid}\t{raw.info.title}\t{len(raw.rules)} 条规则\t{kind}")
    return 0
