"""The simulated customer answers the question asked: its focus, an echo, Taiwan wording."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from coach.customer import question_focus
from coach.practice import PracticeRun
from coach.scenario import Focus, list_scenarios, load_scenario
from coach.session import overlap

SCENARIOS = list(list_scenarios())


def calm(sid: str, level: str = "easy") -> PracticeRun:
    """A run whose customer raises no objection, so every question gets its answer."""
    run = PracticeRun(load_scenario(sid), level, 0)
    run.customer.level = dataclasses.replace(run.customer.level, objection_rate=0.0)
    return run


@pytest.mark.parametrize("sid", SCENARIOS)
def test_every_hidden_fact_is_reached_by_two_different_questions(sid):
    """Each fact lists two or more differently worded questions, and each one reaches it."""
    sc = load_scenario(sid)
    for fact in sc.facts:
        assert len(fact.questions) >= 2, fact.id
        for a in fact.questions:
            for b in fact.questions:
                if a != b:
                    assert overlap(a, b) < 0.5, (fact.id, a, b)
        for q in fact.questions:
            t = calm(sid).turn(q)
            assert t.reply.fact == fact.id and t.reply.reaction in ("fact", "fact_closed"), (fact.id, q, t.reply)


@pytest.mark.parametrize("text, focus", [
    ("有没有哪里让您不太放心的？", Focus.WORRY),
    ("最让您头疼的是哪件事？", Focus.WORRY),
    ("您那边一共有几个人？", Focus.WHO),
    ("最后是谁拍板？", Focus.WHO),
    ("頭期款準備了多少？", Focus.HOW_MUCH),
    ("大概什么时候要用？", Focus.WHEN),
    ("当初为什么选他们？", Focus.WHY),
])
def test_question_focus(text, focus):
    """The focus is read from the question words, the longest cue winning (多少人 is who)."""
    assert question_focus(text)[0] == focus


def test_the_focus_beats_a_shared_keyword():
    """A worry question naming the managers gets the worry, not the team size."""
    run = calm("training-course")
    t = run.turn("这几位区域经理平时工作中，最让您头疼的是哪件事？")
    assert t.reply.fact == "pain" and "头疼" in t.reply.text
    run = calm("export-trade")
    t = run.turn("有没有哪里让您不太放心的？")
    assert t.reply.fact != "market", t.reply


def test_taiwan_wording_is_understood():
    """頭期款 and 房貸 ask about the budget, in traditional characters too."""
    for q in ("頭期款大概準備了多少？", "房貸每個月能負擔多少？"):
        t = calm("real-estate").turn(q)
        assert t.reply.fact == "budget", (q, t.reply)


def test_a_question_of_a_focus_no_fact_answers_gets_that_focus_fallback():
    """A why-question the customer has no fact for is answered as a why-question."""
    t = calm("training-course").turn("您为什么想找我们聊？")
    assert t.reply.reaction == "fallback_why" and t.reply.focus == "why"


def test_never_the_same_line_twice_in_a_row():
    """Asked the same closed question again and again, the customer never repeats itself."""
    run = calm("training-course", "medium")
    last = run.greeting
    for _ in range(6):
        t = run.turn("您这边有什么问题吗？")
        assert t.reply.text != last
        last = t.reply.text
    run = calm("training-course", "medium")
    replies = [run.turn(q).reply.text for q in ["您觉得这样好吗？"] * 5]
    assert all(a != b for a, b in itertools.pairwise(replies)), replies


def test_an_echo_of_the_customers_words_is_a_reflection():
    """Giving the customer's words back gets agreement and a little more, not a shrug."""
    run = calm("training-course", "medium")
    first = run.turn("这几位区域经理平时工作中，最让您头疼的是哪件事？").reply.text
    echo = "您是说" + first.split("，")[0].replace("最头疼的是", "最头疼的是") + "，是吧？"
    t = run.turn(echo)
    assert t.reply.reaction == "echo_ack" and t.feedback.reflected
    assert t.reply.text.startswith(("对", "没错")) and "效率" in t.reply.text
    plain = calm("training-course", "medium")
    plain.turn("这几位区域经理平时工作中，最让您头疼的是哪件事？")
    t = plain.turn("区域之间市场信息不通畅，别的区域根本不知道。")
    assert t.reply.reaction == "echo_ack"
