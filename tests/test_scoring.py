"""The scorecard a trainer can defend: scripted trainees, step-aware metrics, honest praise."""

from __future__ import annotations

import re
from functools import cache

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach import Coach
from coach.practice import PracticeRun, format_turn
from coach.scenario import list_scenarios, load_scenario
from coach.scoring import Scorecard, Skill, render

SCENARIOS = list(list_scenarios())
LEVELS = ("easy", "medium", "hard")
#: A trainee saying the coach's lines may take more lines than the scripted one, not fewer.
HINT_LINES = 20


@cache
def coach_for(packs: tuple[str, ...]) -> Coach:
    return Coach.load(list(packs))


def play(sid: str, level: str, lines: list[str] | tuple[str, ...], seed: int = 7) -> PracticeRun:
    """Say the lines one by one until the customer ends the talk."""
    sc = load_scenario(sid)
    run = PracticeRun(sc, level, seed, coach_for(sc.packs))
    for line in lines:
        run.turn(line)
        if run.ended:
            break
    return run


def scripted(sid: str, who: str) -> tuple[str, ...]:
    return load_scenario(sid).trainees[who]


def play_hints(sid: str, level: str, seed: int = 7) -> PracticeRun:
    """A trainee who says exactly the line the coach's /hint offers, each time."""
    sc = load_scenario(sid)
    run = PracticeRun(sc, level, seed, coach_for(sc.packs))
    for _ in range(HINT_LINES):
        run.turn(run.suggestion.text)
        if run.ended:
            break
    return run


def cut_after_probe(sid: str) -> tuple[str, ...]:
    """The strong trainee's lines up to and including the probe."""
    lines = scripted(sid, "strong")
    coach = coach_for(load_scenario(sid).packs)
    session = coach.session()
    for i, line in enumerate(lines):
        if "probe" in session.say(line).moves:
            return lines[: i + 1]
    raise AssertionError(f"{sid}: the strong trainee never probes")


@pytest.mark.parametrize("sid", SCENARIOS)
@pytest.mark.parametrize("level", LEVELS)
def test_strong_beats_weak_and_a_strong_run_cut_short(sid, level):
    """Strong scores high; weak at least 30 lower; strong stopped after the probe well below strong."""
    strong = play(sid, level, scripted(sid, "strong")).scorecard()
    weak = play(sid, level, scripted(sid, "weak")).scorecard()
    cut = play(sid, level, cut_after_probe(sid)).scorecard()
    assert strong.score >= 80, render(strong)
    assert strong.score - weak.score >= 30, (strong.score, weak.score)
    assert strong.score - cut.score >= 20, (strong.score, cut.score)


@pytest.mark.parametrize("sid", SCENARIOS)
def test_strong_trainee_reaches_wait(sid):
    """The strong trainee walks all eight steps, each with its line and what showed it."""
    card = play(sid, "medium", scripted(sid, "strong")).scorecard()
    assert all(e.achieved for e in card.steps), render(card)
    assert all(e.turn and e.line and e.why for e in card.steps)


# Where the coach's own lines do not yet lead a customer through all eight steps. Strict: a
# case that starts passing fails here until it is taken off the list.
HINT_SHORT = {
    ("bank-competitor", "easy"): "after a partly right probe the coach answers 说对了一部分 as a complaint",
    ("bank-competitor", "medium"): "after a partly right probe the coach answers 说对了一部分 as a complaint",
    ("bank-competitor", "hard"): "after a partly right probe the coach answers 说对了一部分 as a complaint",
    ("real-estate", "easy"): "the coach probes with 楼层别太高 as the difficulty and, corrected, never reflects the correction",
    ("real-estate", "medium"): "the coach asks about the layout again instead of probing",
    ("real-estate", "hard"): "the coach asks about the layout again instead of probing",
    ("securities-account", "easy"): "the coach hears no pain in 最怕…亏 and never probes",
    ("securities-account", "medium"): "the coach hears no pain in 最怕…亏 and never probes",
    ("securities-account", "hard"): "the coach hears no pain in 最怕…亏 and never probes",
}


@pytest.mark.parametrize("sid, level", [
    pytest.param(sid, level, marks=pytest.mark.xfail(strict=True, reason=HINT_SHORT[(sid, level)]))
    if (sid, level) in HINT_SHORT else (sid, level)
    for sid in SCENARIOS for level in LEVELS])
def test_saying_the_hint_lines_scores_within_ten_points_of_strong(sid, level):
    """The coach's own suggestions, said word for word, play about as well as the strong script."""
    strong = play(sid, level, scripted(sid, "strong")).scorecard()
    hinted = play_hints(sid, level).scorecard()
    assert strong.score - hinted.score <= 10, render(hinted)


# --- the property: finishing well always beats stopping early ----------------------------


@st.composite
def trainees(draw: st.DrawFn) -> tuple[str, str, tuple[str, ...], int]:
    """A scenario, a level, and the strong lines with some weak or repeated lines slipped in;
    and where to stop them (the length itself for a run that is not cut)."""
    sid = draw(st.sampled_from(SCENARIOS))
    level = draw(st.sampled_from(LEVELS))
    strong = list(scripted(sid, "strong"))
    pool = list(scripted(sid, "weak")) + strong[:3]
    lines = list(strong)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(lines)))
        lines.insert(at, draw(st.sampled_from(pool)))
    stop = draw(st.integers(1, len(lines)))
    return sid, level, tuple(lines), stop


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trainees())
def test_a_complete_well_run_session_outranks_any_unfinished_one(case):
    """A session that reaches the end with no red line or commanding tone scores above any
    cut-short version of it, and above the strong script cut after its probe."""
    sid, level, lines, stop = case
    whole = play(sid, level, lines).scorecard()
    m = whole.metrics
    if whole.ended != "success" or m["red_lines"] or m["commanding"]:
        return
    cut = play(sid, level, lines[:stop]).scorecard()
    if cut.ended != "success":
        assert whole.score > cut.score, (whole.score, cut.score, lines[:stop])
    assert whole.score > play(sid, level, cut_after_probe(sid)).scorecard().score


# --- each metric allows for the step it is in --------------------------------------------


def test_closed_questions_of_probe_repeat_and_confirm_do_not_count_against_open_questions():
    """The strong trainee's closed probe and reflection leave its open-question share at 100%."""
    run = play("training-course", "medium", scripted("training-course", "strong"))
    closed = [t for t in run.turns if t["feedback"]["question_type"] == "closed"]
    assert closed, "the strong script probes and reflects with closed questions"
    card = run.scorecard()
    assert card.metrics["open_question_share"] == 1.0 and card.points["open_questions"] == 10


def test_communicate_is_not_credited_to_the_opening_line():
    """An opening open question alone reaches investigate at most; communicate needs more talk."""
    sc = load_scenario("training-course")
    run = PracticeRun(sc, "easy", 1, coach_for(sc.packs))
    run.customer.level = run.customer.level.__class__(2, 1, 0.0, 12)
    run.turn("李总您好，我是博学培训的小王。想先请教一下，您的销售团队现在是怎么分工的？")
    card = run.scorecard()
    assert not card.steps[2].achieved, render(card)
    run.turn("这几位区域经理平时工作中，最让您头疼的是哪件事？")
    assert run.scorecard().steps[2].achieved


@pytest.mark.parametrize("sid", SCENARIOS)
def test_talk_share_can_be_won_against_short_scripted_answers(sid):
    """The strong script earns the listening points although the customer answers briefly."""
    card = play(sid, "medium", scripted(sid, "strong")).scorecard()
    assert card.points["listening"] == 8, card.metrics["talk_share"]


def test_a_long_probe_is_not_a_monologue():
    """A 70-character probe stating the need is allowed; a 70-character question is not."""
    need = "李总，所以您的困难就是区域之间市场信息不通畅、一个区域的打法别的区域不知道、工作效率偏低，您是不是打算本月中旬让三位区域经理一起来参加培训？"
    assert 60 < len(need) <= 80
    sc = load_scenario("training-course")
    ok = play("training-course", "easy", [*list(sc.trainees["strong"][:4]), need])
    assert ok.scorecard().metrics["too_long"] == 0
    long_q = "李总，想请教一下，您的三位区域经理平时在华东、华南、华北各自是怎么跟进客户的，他们之间多久碰一次头、交流市场信息的方式是什么？"
    assert len(long_q) > 60
    assert play("training-course", "easy", [long_q]).scorecard().metrics["too_long"] == 1


# --- every figure agrees with what was shown, in words a trainee reads --------------------


@pytest.mark.parametrize("sid", SCENARIOS)
def test_the_repetition_count_is_the_live_feedbacks(sid):
    """重复客户原话 N 次 is the number of lines whose feedback said 重复了客户的话."""
    sc = load_scenario(sid)
    run = PracticeRun(sc, "easy", 3, coach_for(sc.packs))
    shown = 0
    for line in sc.trainees["strong"]:
        t = run.turn(line)
        shown += "重复了客户的话" in format_turn(t, sc.name)
        if run.ended:
            break
    card = run.scorecard()
    assert shown and card.metrics["repetitions"] == shown
    assert f"重复客户原话 {shown} 次" in render(card)


@pytest.mark.parametrize("who", ["strong", "weak"])
def test_no_internal_tags_are_shown(who):
    """The scorecard says what showed each step in words, never as reaction:/move: tags."""
    text = render(play("training-course", "medium", scripted("training-course", who)).scorecard())
    assert not re.search(r"\[?(reaction|move):", text) and "[" not in text


def test_praise_only_for_what_happened():
    """Four weak lines get no praise; each praise of the strong run names what it did."""
    weak = play("training-course", "medium", scripted("training-course", "weak")[:4]).scorecard()
    assert weak.keep == [] and "继续保持" not in render(weak) and "完整" not in render(weak)
    assert "没有走完" in render(weak)
    strong = play("training-course", "medium", scripted("training-course", "strong")).scorecard()
    assert any("八个步骤都走到了" in k for k in strong.keep)
    assert any("重复了客户的原话 1 次" in k for k in strong.keep)


def test_hint_costs_points():
    """/hint shows the coach's line and costs three points."""
    run = play("training-course", "easy", scripted("training-course", "strong"))
    before = run.scorecard().score
    assert run.hint()
    assert run.scorecard().score == max(0, before - 3)


def test_scorecard_shows_rubric_and_advice():
    """The scorecard text lists the rubric, metrics and keep/start/stop advice."""
    text = render(play("training-course", "medium", scripted("training-course", "weak")).scorecard())
    for piece in ("评分规则", "开放式问题占比", "开始做", "停止做", "八个步骤"):
        assert piece in text


def test_skills_are_an_enum_and_old_records_still_read():
    """Skill ids are an Enum; records keyed by the old Chinese labels are still understood."""
    card = play("training-course", "medium", scripted("training-course", "strong")).scorecard()
    assert set(card.skills()) == set(Skill)
    assert set(card.to_dict()["skills"]) == {s.value for s in Skill}
    assert Skill.parse("开放式提问") is Skill.OPEN_QUESTIONS and Skill.parse("listening") is Skill.LISTENING
    old = card.to_dict()
    old["steps"] = [{"step": e["step"], "achieved": e["achieved"], "turn": e["turn"], "line": e["line"],
                     "rule": "reaction:fact"} for e in old["steps"]]
    again = Scorecard.from_dict(old)
    assert again.steps[0].why and "reaction" not in render(again)
