"""Literal prefilters: a pattern the filter rules out can never match (so results never change)."""

from __future__ import annotations

import random
import re

import pytest

from coach.literals import Prefilter, required_literals

PATTERNS = [
    r"^[对是行][对是的啊]{0,7}$", r"^(可以){1,3}[的啊吧]?$", r"(说|讲)(得|的)(对|好|在理)",
    r"说到点(子)?上", r"我(们)?也(是)?(这么|这样)(想|觉得)", r"你说的[^ ]{0,10}确实",
    r"(\d{1,6}|[两三四五])(多|来)?(个|位)?([^ ]{0,4}的)?(人|员工|门店)", r"预算(大概|是)?(?P<value>\d+)(万|千)?",
    r"[^ ]{2,6}", r"\d+", r"(?i)abc", r"a(?i:b)c", r"(好|)的", r"x?y?z?",
]
_ALPHABET = list("对是行的啊可以吧说讲得好在理到点子上我们也这么样想觉你确实两三四五多来个位人员工门店预算大概万千") + list("0123 abcABCxyz")


def test_required_literals_reads_what_a_match_needs():
    assert required_literals(re.compile(r"说到点(子)?上")) == frozenset({"说到点上", "说到点子上"})
    assert required_literals(re.compile(r"(说|讲)(得|的)对")) == frozenset({"说得对", "说的对", "讲得对", "讲的对"})
    # Nothing is required: no condition at all, never an empty string.
    assert required_literals(re.compile(r"[^ ]{2,6}")) is None
    assert required_literals(re.compile(r"(好|)")) is None
    assert required_literals(re.compile(r"(?i)abc")) is None  # case-insensitive: not filtered


def test_filter_never_rules_out_a_match(monkeypatch, tmp_path):
    """On random text, every pattern that matches is among those the filter lets through."""
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    compiled = [re.compile(p) for p in PATTERNS]
    prefilter = Prefilter(compiled)
    rnd = random.Random(7)
    for _ in range(4000):
        text = "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 30)))
        live = prefilter.live(text)
        for i, pattern in enumerate(compiled):
            if pattern.search(text):
                assert i in live, (pattern.pattern, text)


@pytest.mark.parametrize("damage", [b"", b"not marshal", b"\x00" * 7])
def test_cache_is_reused_and_a_damaged_one_ignored(monkeypatch, tmp_path, damage):
    """The second build reads the cache; a damaged cache file is rebuilt, never trusted."""
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path))
    compiled = [re.compile(p) for p in PATTERNS]
    first = Prefilter(compiled)
    (entry,) = (tmp_path / "literals").glob("*.marshal")
    again = Prefilter(compiled)
    text = "你说得对，我们也这么想，三个门店"
    assert again.live(text) == first.live(text)
    entry.write_bytes(damage)
    rebuilt = Prefilter(compiled)
    assert rebuilt.live(text) == first.live(text)
