"""The text pipeline: normalisation, numerals, extractors, reflection and the tokenizer cache."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from coach.extract import extract_dates, extract_numbers, extract_people
from coach.reflect import reflect
from coach.text import normalise


def test_normalise_folds_width_case_script_and_punctuation():
    """Full-width letters, upper case, traditional script and CJK punctuation all fold."""
    n = normalise("ＯＫ，我們的預算不夠！！")
    assert n.text == "ok 我们的预算不够"
    assert n.script == "hant" and n.original == "ＯＫ，我們的預算不夠！！"


def test_normalise_keeps_decimals_and_drops_controls():
    """1.5万 survives; control and format characters vanish; ZWJ emoji stay whole."""
    assert normalise("预算1.5万").text == "预算1.5万"
    assert normalise("a\x00b\u200bc").text == "abc"
    assert "👨\u200d👩\u200d👧" in normalise("👨‍👩‍👧").text


def test_lone_surrogate_is_replaced():
    """A lone surrogate cannot reach JSON or SQLite: it is replaced."""
    n = normalise("坏\ud800字")
    n.original.encode("utf-8")


def test_extract_people_titles_not_jobs():
    """李总 and 王经理 are people; 销售经理 and 总经理 are jobs."""
    assert extract_people("我是李总，让李经理、王经理、宋经理来") == ["李总", "李经理", "王经理", "宋经理"]
    assert extract_people("我们有三个区域销售经理和一个总经理") == []


def test_extract_numbers_and_dates():
    """Counted quantities and dates are taken as written."""
    assert extract_numbers("三个区域销售经理，预算十五万") == ["三个", "十五万"]
    assert extract_dates("本月中旬或者15号之前，最晚下周三") == ["本月中旬", "15号之前", "下周三"]


@pytest.mark.parametrize("said,reflected", [
    ("对，我们打算让三个经理15号来。", "你们打算让三个经理15号来"),
    ("不是，我们没时间让他们来啊", "你们没时间让他们来"),
    ("你们的方案我看过了", "我们的方案您看过了"),
    ("是的", ""),
    ("对，就是这个意思", ""),  # only a pointer is left: nothing worth echoing
    ("对，就是这样", ""),
    ("对，差不多就是这样", ""),
    ("对，差不多", ""),
    ("这个问题很重要", "这个问题很重要"),
])
def test_reflect_turns_pronouns_round(said, reflected):
    """我→您, 我们→你们, 你们→我们; yes/no words and particles drop off."""
    assert reflect(said) == reflected


def _cold_start(env: dict) -> subprocess.CompletedProcess:
    """A fresh process's first turn, segmented by jieba (the backend that keeps a cache)."""
    env = {"COACH_TOKENIZER": "jieba", **env}
    code = "from coach import Coach; print(Coach.load().session().hear('太贵了').rule)"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **env}, timeout=120)


def test_tokenizer_cache_is_written_and_reused(tmp_path):
    """The first start writes the cache into COACH_CACHE_DIR; the second reads it."""
    cache = tmp_path / "cache"
    r = _cold_start({"COACH_CACHE_DIR": str(cache)})
    assert r.returncode == 0 and r.stdout.strip() == "objection.no_money" and r.stderr == ""
    files = list(cache.glob("jieba-*.cache"))
    assert len(files) == 1 and files[0].stat().st_size > 1_000_000
    r = _cold_start({"COACH_CACHE_DIR": str(cache)})
    assert r.returncode == 0 and r.stdout.strip() == "objection.no_money"


def test_unwritable_cache_dir_degrades_quietly(tmp_path):
    """A cache directory that cannot be created means a slower start, no traceback, no output."""
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")  # even root cannot mkdir below a regular file
    r = _cold_start({"COACH_CACHE_DIR": str(blocker / "sub")})
    assert r.returncode == 0 and r.stdout.strip() == "objection.no_money" and r.stderr == ""


def test_corrupt_cache_is_rebuilt(tmp_path):
    """A truncated cache file is ignored and rewritten."""
    cache = tmp_path / "cache"
    _cold_start({"COACH_CACHE_DIR": str(cache)})
    (f,) = cache.glob("jieba-*.cache")
    f.write_bytes(f.read_bytes()[:1000])
    r = _cold_start({"COACH_CACHE_DIR": str(cache)})
    assert r.returncode == 0 and r.stdout.strip() == "objection.no_money" and r.stderr == ""
    assert f.stat().st_size > 1_000_000


def test_traditional_replies_use_everyday_forms():
    """Answers in traditional script use the forms readers write (才, 麵), not 纔 or 麪."""
    from coach.text import to_traditional

    assert to_traditional("价格才有参照，面条") == "價格才有參照，麵條"


@pytest.mark.parametrize("text,numbers", [
    ("我手上有五十来万闲钱", ["五十"]),   # never the lone 万 left after 来
    ("千万别这么说", []),                 # an idiom, not ten million
    ("预算一百二十万", ["一百二十万"]),
])
def test_number_pattern_needs_a_digit_word_first(text, numbers):
    from coach.numerals import NUMBER_RE

    assert [m.group(0) for m in NUMBER_RE.finditer(text)] == numbers


@pytest.mark.parametrize("captured,tidy", [
    ("最近员工流失", "员工流失"),     # not 近员工流失
    ("近期订单下滑", "订单下滑"),
    ("最头疼的是招人", "招人"),
    ("我们效率偏低", "你们效率偏低"),
])
def test_slot_values_lose_fillers_and_turn_pronouns(captured, tidy):
    from coach.matching import tidy_value

    assert tidy_value(captured) == tidy
