"""How a customer's turn is heard: vocabularies, constructions, fillers, question marks,
Cantonese and Taiwan forms (rules/default.yaml and the pack keys of docs/rule-packs.md)."""

from __future__ import annotations

import pytest
from conftest import signals_of, write_pack

from coach import Coach
from coach.errors import PackError

PACK = """
pack: {id: hearing_test, title: t}
vocab:
  money: [钱, 预算]
  lack: [没有, 冇]
  short: [不够, 唔够]
  fee: [运费, 税费]
constructions:
  absent:
    - "(^|[^有])(?:{lack}){x}"
    - "{x}(?:{short})"
signals:
  broke:
    constructions: {absent: ["{money}"]}
  fee_talk:
    any: [[{fee}, 多少]]
  fee_word:
    patterns: ["{fee}呢"]
rules:
  - id: fallback
    say: [好的]
    why: 测试
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Coach:
    return Coach.load([write_pack(tmp_path_factory.mktemp("p"), PACK)])


def test_construction_hears_no_x_and_not_enough_x(small):
    for text in ("我们没有预算", "冇钱", "预算不够", "钱唔够"):
        assert "broke" in signals_of(small, text), text
    # 有没有预算 asks; it is not an objection
    assert "broke" not in signals_of(small, "你们有没有预算")


def test_vocabulary_in_keywords_and_patterns(small):
    assert "fee_talk" in signals_of(small, "税费大概多少")
    assert "fee_word" in signals_of(small, "那运费呢")


def test_explain_names_the_vocabulary_and_construction(small):
    ex = small.explain("预算不够")
    assert any("absent" in w and "{money}=预算" in w for w in ex.signals["broke"])
    ex = small.explain("税费大概多少")
    assert ex.signals["fee_talk"] == ["{fee}=税费+多少"]
    ex = small.explain("那运费呢")
    assert ex.signals["fee_word"] == ["运费呢〔{fee}=运费〕"]


def test_unknown_vocabulary_is_an_error(tmp_path):
    bad = PACK.replace('patterns: ["{fee}呢"]', 'patterns: ["{fees}呢"]')
    with pytest.raises(PackError) as err:
        Coach.load([write_pack(tmp_path, bad)])
    assert "E117" in str(err.value) and "fees" in str(err.value)
    bad = PACK.replace("any: [[{fee}, 多少]]", "any: [[{fees}, 多少]]")
    with pytest.raises(PackError, match="E117"):
        Coach.load([write_pack(tmp_path, bad)])
    bad = PACK.replace("constructions: {absent:", "constructions: {missing:")
    with pytest.raises(PackError, match="未知的句式"):
        Coach.load([write_pack(tmp_path, bad)])


def test_construction_template_needs_its_slot(tmp_path):
    bad = PACK.replace('- "{x}(?:{short})"', '- "(?:{short})"')
    with pytest.raises(PackError, match="E114"):
        Coach.load([write_pack(tmp_path, bad)])


def test_later_pack_extends_a_vocabulary(small, tmp_path):
    extra = write_pack(tmp_path, "pack: {id: more, title: m}\nvocab:\n  money: [经费]\n", "more.yaml")
    base = write_pack(tmp_path, PACK)
    coach = Coach.load([base, extra])
    assert "broke" in signals_of(coach, "经费不够")
    assert "broke" not in signals_of(small, "经费不够")


# --- the default pack -----------------------------------------------------------------


@pytest.mark.parametrize("text, signal", [
    ("嗯对", "agree"),                      # a filler before the yes
    ("呃 嗯嗯 可以", "agree"),
    ("啊 行行行行", "agree"),               # a stammer
    ("总的税费？", "price_question"),       # asked with a question mark only
    ("报价大概几多？", "price_question"),
    ("報價大概幾多？", "price_question"),   # traditional
    ("你地人均消費係幾多？", "price_question"),  # Cantonese
    ("有冇折？", "price_question"),
    ("唔使喇，我哋自己搞得掂", "no_need"),
    ("冇錢啊", "no_money"),
    ("我们没有预算", "no_money"),
    ("预算不够", "no_money"),
    ("我不太确定我们需不需要这个", "stall"),
    ("登录不了", "complaint"),
    ("為什麼無法升級成能夠轉帳", "complaint"),
    ("明天这个房子能看吗", "request_demo"),
    ("ACH怎麼設定終止扣款", "no_need"),
])
def test_default_pack_hears(coach, text, signal):
    assert signal in signals_of(coach, text)


@pytest.mark.parametrize("text, signal", [
    ("你们有没有预算方面的要求", "no_money"),  # a question, not an objection
    ("不是没钱", "no_money"),
    ("最头疼的是会员流失，下个月底之前得想办法", "interest"),
    ("能看到物流吗", "request_demo"),
    ("我想问一下", "interest"),
])
def test_default_pack_does_not_hear(coach, text, signal):
    assert signal not in signals_of(coach, text)


def test_a_turn_of_fillers_only_is_read_as_said(coach):
    ex = coach.explain("嗯")
    assert ex.tokens == ("嗯",)


def test_explain_shows_what_was_heard(coach):
    text = str(coach.explain("嗯嗯，那个，我们没有预算啦"))
    assert "听到: 我们没有预算啦" in text
    assert "{money}=预算" in text


def test_cantonese_characters_survive_folding():
    from coach.text import normalise

    assert normalise("冇錢").text == "冇钱"
    assert normalise("唔該").text == "唔该"
    assert normalise("係咪").text == "系咪"


# --- the nearest-example fallback -----------------------------------------------------

EXAMPLES = """
pack: {id: shop_examples, title: e, requires: [default]}
nearest: {k: 3, threshold: 0.4, agreement: 0.5}
examples:
  call-centre:
    - [路由器的灯一直闪红色, complaint]
    - [路由器红灯闪个不停, complaint]
    - [宽带什么时候到期]
  other-shop:
    - [网费一个月收多少, price_question]
"""


@pytest.fixture(scope="module")
def with_examples(tmp_path_factory) -> Coach:
    return Coach.load([write_pack(tmp_path_factory.mktemp("e"), EXAMPLES, "examples.yaml")])


def test_fallback_hears_what_nearest_examples_agree_on(with_examples):
    text = "路由器红灯一直闪"
    assert "complaint" not in signals_of(Coach.load(), text)  # no rule hears it
    assert "complaint" in signals_of(with_examples, text)
    ex = with_examples.explain(text)
    assert ex.signals["complaint"][0].startswith("≈路由器")
    assert "call-centre" in ex.signals["complaint"][0]
    assert ex.nearest and ex.nearest[0][3] == "call-centre"
    assert "最相近的例句" in str(ex)


def test_fallback_stays_silent_when_nothing_is_close(with_examples):
    assert signals_of(with_examples, "今天天气真好") == ()


def test_fallback_only_when_rules_hear_nothing(with_examples):
    ex = with_examples.explain("太贵了，路由器红灯一直闪")
    assert not ex.nearest  # the rules heard this turn: no examples consulted


def test_without_examples_leaves_a_source_out(with_examples):
    held_out = with_examples.without_examples(["call-centre"])
    assert "complaint" not in signals_of(held_out, "路由器红灯一直闪")
    assert "complaint" in signals_of(with_examples, "路由器红灯一直闪")  # the original is untouched


def test_example_with_unknown_signal_is_an_error(tmp_path):
    bad = EXAMPLES.replace("[路由器红灯闪个不停, complaint]", "[路由器红灯闪个不停, complaints]")
    with pytest.raises(PackError, match="E111"):
        Coach.load([write_pack(tmp_path, bad, "examples.yaml")])


def test_examples_survive_the_pack_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_CACHE_DIR", str(tmp_path / "cache"))
    path = write_pack(tmp_path, EXAMPLES, "examples.yaml")
    first = Coach.load([path])
    second = Coach.load([path])  # from the cache
    assert second.packset.examples == first.packset.examples
    assert second.packset.vocab == first.packset.vocab
    assert "complaint" in signals_of(second, "路由器红灯一直闪")
