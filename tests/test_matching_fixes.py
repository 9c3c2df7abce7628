"""Two matching rules: a conjunction's own negator words, and none: vetoes against filled:."""

from __future__ import annotations

import textwrap

from conftest import write_pack

from coach import Coach

_FALLBACK = textwrap.dedent("""\
    rules:
      - id: all.fallback
        say: ["您能多说一点吗？"]
        why: 沟通：请客户多说。
    """)

CONJUNCTION_PACK = textwrap.dedent("""\
    pack: {id: conj, title: 连用}
    negators: [不是, 不, 没, 没有]
    signals:
      no_time: {any: [[没有, 时间]]}
      need: {any: [需要]}
    """) + _FALLBACK

VETO_PACK = textwrap.dedent("""\
    pack: {id: veto, title: 否决}
    slots:
      decision_role:
        title: 决策角色
        keywords: {说了算: 决策人}
    signals:
      decision_maker:
        any: [领导]
        filled: [decision_role]
        none: [[说了算]]
      decided: {any: [拍板]}
    """) + _FALLBACK


def test_a_conjunctions_own_negator_does_not_negate_it(tmp_path):
    """没有+时间 describes 没有时间: the 没有 in front of 时间 is the alternative's own word."""
    coach = Coach.load([write_pack(tmp_path, CONJUNCTION_PACK)])
    assert "no_time" in coach.session().hear("我们最近没有时间").signals


def test_negators_outside_the_conjunction_still_negate(tmp_path):
    """Negation keeps working for words that are not the alternative's own."""
    coach = Coach.load([write_pack(tmp_path, CONJUNCTION_PACK)])
    assert "need" not in coach.session().hear("我们不需要").signals
    assert "need" in coach.session().hear("我们需要").signals
    # 不是没有时间: the conjunction's own 没有 is itself negated, so it does not fire.
    assert "no_time" not in coach.session().hear("不是没有时间").signals


def test_none_veto_stops_filled(tmp_path):
    """A none: word vetoes the signal even when a slot in filled: is filled by that turn."""
    coach = Coach.load([write_pack(tmp_path, VETO_PACK)])
    s = coach.session()
    suggestion = s.hear("这个事我说了算")
    assert suggestion.slots.get("decision_role") == "决策人"  # the slot itself is still filled
    assert "decision_maker" not in suggestion.signals
    explained = coach.session().explain("这个事我说了算")
    assert explained.suppressed.get("decision_maker") == ["说了算"]


def test_none_veto_stops_keywords_and_leaves_others(tmp_path):
    """The veto stops its own signal's keywords; other signals of the turn still fire."""
    coach = Coach.load([write_pack(tmp_path, VETO_PACK)])
    assert "decision_maker" in coach.session().hear("要问领导").signals
    sig = coach.session().hear("领导说了算，他来拍板").signals
    assert "decision_maker" not in sig and "decided" in sig
