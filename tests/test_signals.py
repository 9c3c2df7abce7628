"""Signal detection on the default pack: the traps of substring matching, and negation."""

from __future__ import annotations

import pytest
from conftest import signals_of


def test_no_need_is_detected(coach):
    """A plain objection fires no_need."""
    assert "no_need" in signals_of(coach, "我们的客户不需要")


def test_double_negation_is_not_no_need(coach):
    """不是不需要 means the opposite of no_need; the budget is the real issue."""
    sig = signals_of(coach, "不是不需要，是预算紧")
    assert "no_money" in sig
    assert "no_need" not in sig


@pytest.mark.parametrize("text", ["也不是没钱", "钱不是问题", "价格不贵", "其实不算贵"])
def test_negated_money_is_not_no_money(coach, text):
    """Negated or vetoed money complaints do not fire no_money."""
    assert "no_money" not in signals_of(coach, text)


@pytest.mark.parametrize("text", ["贵公司的方案我看过了", "贵司的产品我们了解过", "请问贵公司在哪里"])
def test_your_company_is_not_expensive(coach, text):
    """贵公司/贵司 means 'your company', never 'too expensive'."""
    assert "no_money" not in signals_of(coach, text)


def test_no_problem_is_agreement(coach):
    """没问题 is agreement, not a problem."""
    assert "agree" in signals_of(coach, "没问题")


def test_keyword_inside_merged_token_matches(coach):
    """jieba merges 考虑一下 into one token; the keyword 考虑… still fires stall."""
    tokens = [t for t, _, _ in coach.matching.tokenize("我们再考虑一下")]
    assert "考虑一下" in tokens
    assert "stall" in signals_of(coach, "我们再考虑一下")


def test_search_mode_subtoken_matches(coach):
    """报价 hides inside the token 报价单; price_question must still fire."""
    tokens = [t for t, _, _ in coach.matching.tokenize("把报价单发我一下")]
    assert "报价单" in tokens
    assert "price_question" in signals_of(coach, "把报价单发我一下")


def test_multi_token_keyword_matches_when_split(coach):
    """不着急 is split into 不/着急 by jieba; as a run of tokens the keyword still matches."""
    assert [t for t, _, _ in coach.matching.tokenize("我们不着急")] == ["我们", "不", "着急"]
    assert "stall" in signals_of(coach, "我们不着急")


def test_split_keyword_matches_with_a_plain_jieba_tokenizer():
    """Without the pack's dictionary jieba splits 没时间 into 没/时间; matching still works."""
    from coach.matching import Matching
    from coach.packs import load_or_raise
    from coach.segment import new_segmenter

    m = Matching(load_or_raise(["default"]), new_segmenter())
    text = "这个月没时间"
    tokens = [t for t, _, _ in m.tokenize(text)]
    assert "没时间" not in tokens and "时间" in tokens
    assert "没时间" in m._occurrences(text, m.tokenize(text))


def test_keyword_must_align_with_token_boundaries(coach):
    """A keyword straddling a token edge does not match: 对数 inside 对数据安全."""
    m = coach.matching
    text = "我们对数据安全很关注"
    occ = m._occurrences(text, m.tokenize(text))
    assert "对数" not in occ or not occ["对数"]
    assert "agree" not in signals_of(coach, text)


def test_traditional_input_is_detected(coach):
    """Traditional script is folded to simplified before matching."""
    assert "no_need" in signals_of(coach, "我們的客戶不需要")
    assert "no_money" in signals_of(coach, "太貴了，預算不夠")


def test_small_talk_has_no_signal(coach):
    """Small talk carries no signal."""
    assert signals_of(coach, "你好") == ()
    assert signals_of(coach, "您那边下雨了吗") == ()


@pytest.mark.parametrize("text,expected", [
    ("多少钱？", "price_question"),
    ("我们现在用的是别家的系统", "competitor"),
    ("这个要问领导，我做不了主", "decision_maker"),
    ("能先给我们试用一下吗", "request_demo"),
    ("合同什么时候能签？怎么付款？", "ready_to_buy"),
    ("你们的服务太差了，我要投诉", "complaint"),
    ("挺感兴趣的，能介绍一下吗", "interest"),
    ("不对，不是这个意思", "deny"),
    ("是的，就是这样", "agree"),
    ("嗯，差不多是这样", "agree"),  # a hedged yes is still a yes
    ("基本上是这样", "agree"),
    ("以后再说吧", "stall"),
    ("我们团队有十五个人", "info_disclosure"),
])
def test_each_signal_fires(coach, text, expected):
    """Each of the thirteen signals has a plain example that fires it."""
    assert expected in signals_of(coach, text)


def test_not_interested_is_no_need_not_interest(coach):
    """不感兴趣 is a refusal, not interest."""
    sig = signals_of(coach, "不感兴趣")
    assert "no_need" in sig and "interest" not in sig
