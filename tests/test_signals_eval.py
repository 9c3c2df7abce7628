"""bench/signals_eval.py: corpus loading, splits, scoring, and the refusal to show test items.

Run on small corpora written into tmp_path, so what each figure should be is known.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "signals_eval.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("signals_eval", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["signals_eval"] = mod
    spec.loader.exec_module(mod)
    return mod


ev = _load_module()


def _write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(text, encoding="utf-8")


DEV = """source:
  id: shop
  title: 某店客服
  kind: e-commerce
  url: https://example.org/shop
  split: dev
items:
  - text: 太贵了
    labels: [no_money]
  - text: 多少钱
    labels: [price_question]
  - text: 今天天气不错
    labels: []
  - text: 我自己写的一句不需要
    labels: [no_need]
    origin: self
"""
TEST = """source:
  id: hk
  title: 香港论坛
  kind: cantonese
  repo: owner/name
  path: data/hk.txt
  split: test
items:
  - text: 幾多錢
    labels: [price_question]
  - text: 係呀，冇錯
    labels: [agree]
"""


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "turns"
    _write(root, "shop", DEV)
    _write(root, "hk", TEST)
    return root


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False,
                          cwd=ROOT, timeout=120)


def test_sources_are_listed_with_counts_per_split(corpus):
    table = ev.sources_table(ev.load_corpus(corpus))
    rows = {r["id"]: r for r in table["sources"]}
    assert rows["shop"]["split"] == "dev" and rows["shop"]["dev"] == 4 and rows["shop"]["test"] == 0
    assert rows["hk"]["split"] == "test" and rows["hk"]["test"] == 2
    assert rows["hk"]["scripts"]["yue"] == 2  # a cantonese source defaults to yue
    assert rows["hk"]["where"] == "owner/name:data/hk.txt"
    assert table["totals"] == {"dev": 4, "test": 2}


def test_item_script_defaults(corpus):
    items = {it["text"]: it for s in ev.load_corpus(corpus) for it in s.items}
    assert items["太贵了"]["script"] == "zh-Hans"
    assert items["幾多錢"]["script"] == "yue"
    assert ev._detect_script("這個多少錢") == "zh-Hant"
    assert ev._detect_script("呢個幾多錢") == "yue"
    assert ev._detect_script("我們的關係很好") == "zh-Hant"


def test_self_items_never_count_towards_test(tmp_path):
    root = tmp_path / "turns"
    _write(root, "bad", TEST.replace("labels: [agree]", "labels: [agree]\n    origin: self"))
    with pytest.raises(ev.CorpusError, match="dev sources only"):
        ev.load_corpus(root)


def test_errors_about_test_items_do_not_quote_them(tmp_path):
    root = tmp_path / "turns"
    _write(root, "hk", TEST.replace("labels: [agree]", "labels: [agreed]"))
    with pytest.raises(ev.CorpusError) as err:
        ev.load_corpus(root)
    assert "係呀，冇錯" not in str(err.value) and "item 2" in str(err.value)
    _write(root, "hk", DEV.replace("labels: [no_money]", "labels: [too_dear]"))
    with pytest.raises(ev.CorpusError, match="太贵了"):
        ev.load_corpus(root)


def test_scores_per_signal_silence_and_script(coach, corpus):
    items = ev.select(ev.load_corpus(corpus), "dev")
    assert len(items) == 4
    report = ev.score(ev.predict(items, coach))
    assert report["signals"]["no_money"]["tp"] == 1
    assert report["signals"]["price_question"]["tp"] == 1
    assert report["bearing_count"] == 3
    assert report["silence"] == report["silent_count"] / 3
    # the macro-F1 averages only the signals with support
    supported = [v["f1"] for v in report["signals"].values() if v["support"]]
    assert len(supported) == 3 and report["macro_f1"] == pytest.approx(sum(supported) / 3)


def test_silence_counts_turns_that_get_nothing():
    results = [
        {"expected": frozenset({"no_money"}), "got": frozenset(), "error": None, "script": "zh-Hans"},
        {"expected": frozenset({"stall"}), "got": frozenset({"agree"}), "error": None, "script": "yue"},
        {"expected": frozenset(), "got": frozenset({"agree"}), "error": None, "script": "yue"},
    ]
    report = ev.score(results)
    assert report["silence"] == 0.5 and report["false_alarm"] == 1.0
    by = ev.score_by_script(results)
    assert set(by) == {"zh-Hans", "yue"} and by["yue"]["items"] == 2


def test_errors_refused_for_test_split():
    proc = _run("--split", "test", "--errors")
    assert proc.returncode == 2 and "refused" in proc.stderr and not proc.stdout


def test_cli_dev_split_and_path_argument():
    proc = _run("--split", "dev", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["split"] == "dev" and out["items"] > 600 and "zh-Hant" in out["by_script"]
    proc = _run("corpus/turns/self-extra.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "macro-F1" in proc.stdout and "silent" in proc.stdout


def test_cli_sources():
    proc = _run("--sources")
    assert proc.returncode == 0, proc.stderr
    assert "self-dev" in proc.stdout and "dev items" in proc.stdout
