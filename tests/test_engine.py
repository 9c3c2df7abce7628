"""The engine: the eight-step flow, state round trips, scripts, threads and isolation."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import jieba
import pytest
from conftest import ROOT, write_pack

from coach import Coach, StateError, Step
from coach.golden import find_dialogues, run_dialogue
from coach.session import STATE_VERSION
from coach.steps import Answer

SEED = [
    "你好，我是李总。我们公司有三个区域的销售经理，分在华东、华南和华北。",
    "主要是区域销售市场的信息不太通畅，大家的工作效率也偏低。",
    "我们打算这个月中旬安排他们参加一次培训。",
    "对，就是让李经理、王经理、宋经理三个人15号一起来。",
    "是的，没错。",
    "可以，就按这个来。",
    "好，你发给我看看。",
    "合同怎么签？怎么付款？",
]


@pytest.mark.parametrize("path", find_dialogues([ROOT / "dialogues"]), ids=lambda p: p.stem)
def test_golden_dialogue(path, coach):
    """Every golden dialogue under dialogues/ replays with all expectations met."""
    result = run_dialogue(path, {("default",): coach})
    assert not result.problems, [str(p) for p in result.problems]
    assert not result.failures, [str(f) for f in result.failures]


def test_seed_dialogue_walks_all_eight_steps_in_order(coach):
    """The training-course sale reaches probe, repeat, confirm, demo, wait in that order."""
    s = coach.session(customer="李总")
    steps = [s.hear(t).step for t in SEED]
    order = [Step.PROBE, Step.REPEAT, Step.CONFIRM, Step.DEMO, Step.WAIT]
    firsts = [steps.index(x) for x in order]
    assert firsts == sorted(firsts)
    assert set(s.reached) == set(Step)


def test_repeat_reflects_the_customers_words(coach):
    """After the probe, the repeat line turns 我们 into 你们 and keeps names and dates."""
    s = coach.session(customer="李总")
    for t in SEED[:3]:
        s.hear(t)
    r = s.hear("对，我们让李经理、王经理、宋经理三个人15号一起来。")
    assert r.step == Step.REPEAT
    assert "你们让李经理、王经理、宋经理三个人15号一起来" in r.text
    assert "我们" not in r.text


def test_denial_after_probe_goes_back_through_repeat(coach):
    """A denial of the probe is repeated back, then the talk returns to communicate."""
    s = coach.session(customer="李总")
    for t in SEED[:3]:
        s.hear(t)
    r = s.hear("不对，我们这个月没时间让他们来。")
    assert (r.step, r.rule) == (Step.REPEAT, "probe.answer.deny")
    assert "你们这个月没时间让他们来" in r.text
    r = s.hear("对")
    assert r.step == Step.COMMUNICATE


@pytest.mark.parametrize("objection", ["我们不需要", "太贵了", "以后再说吧"])
def test_objections_turn_back_into_questions(coach, objection):
    """The three classic objections get a question about the need, not an argument."""
    r = coach.session().hear(objection)
    assert r.step == Step.COMMUNICATE
    assert "？" in r.text
    assert r.rule.startswith("objection.")


def test_every_suggestion_has_text_why_and_rule(coach):
    """Suggestions always carry a line, a reason naming a step, and the rule id."""
    s = coach.session()
    for t in [*SEED, "", "   ", "😀", "hello world"]:
        r = s.hear(t)
        assert r.text and r.why and r.rule
        assert any(step.label in r.why for step in Step)


def test_state_round_trips_through_json(coach):
    """A restored session answers the next line exactly as the original does."""
    a = coach.session(customer="李总")
    for t in SEED[:3]:
        a.hear(t)
    state = json.loads(json.dumps(a.to_dict()))
    b = coach.restore(state)
    for t in SEED[3:]:
        assert a.hear(t) == b.hear(t)
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize("mutate,fragment", [
    (lambda d: d.pop("step"), "lacks"),
    (lambda d: d.update(extra=1), "unknown key"),
    (lambda d: d.update(step="negotiate"), "unknown step"),
    (lambda d: d.update(turn="3"), "must be int"),
    (lambda d: d.update(version=99), "newer"),
    (lambda d: d.update(packs="0000"), "other rule packs"),
    (lambda d: d["slots"].update(nope=["x"]), "unknown slot"),
])
def test_restore_rejects_bad_state(coach, mutate, fragment):
    """A damaged state raises StateError with a clear reason, never KeyError/TypeError."""
    state = coach.session().to_dict()
    mutate(state)
    with pytest.raises(StateError, match=fragment):
        coach.restore(state)


def test_restore_rejects_non_dict(coach):
    """Anything that is not a dict is refused."""
    with pytest.raises(StateError):
        coach.restore(["not", "a", "state"])


def test_traditional_input_gets_traditional_reply(coach):
    """A customer writing in traditional script is answered in traditional script."""
    r = coach.session().hear("我們的客戶不需要")
    assert "no_need" in r.signals
    assert any(ch in r.text for ch in "們關係問題請說麼這還與會")
    from coach.text import to_traditional
    assert r.text == to_traditional(r.text)


def test_script_follows_the_customer(coach):
    """After traditional input, clearly simplified input switches replies back."""
    s = coach.session()
    s.hear("太貴了")
    r = s.hear("我们再考虑一下")
    from coach.text import to_simplified
    assert r.text == to_simplified(r.text)


def test_threads_share_one_coach(coach):
    """Eight threads running their own sessions get exactly the sequential results."""
    def run() -> list:
        s = coach.session(customer="李总")
        return [s.hear(t) for t in SEED]

    expected = run()
    results: list = [None] * 8

    def worker(i: int) -> None:
        results[i] = run()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r == expected for r in results)


def test_lazy_tokenizer_start_is_race_free():
    """Many threads hitting a fresh Coach at once build exactly one tokenizer."""
    c = Coach.load()
    seen = []
    barrier = threading.Barrier(6)

    def worker() -> None:
        barrier.wait()
        seen.append(id(c.matching))

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(seen)) == 1


def test_global_jieba_tokenizer_is_untouched(coach):
    """The packs' words go into a private tokenizer; jieba's global one never sees them."""
    coach.session().hear("我们不需要")
    # coach never initialises jieba's global tokenizer, let alone adds words to it.
    assert not jieba.dt.initialized and jieba.dt.FREQ == {}


def test_import_and_first_turn_print_nothing():
    """jieba's chatter never reaches the host's stdout or stderr."""
    code = "from coach import Coach; Coach.load().session().hear('太贵了')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "" and out.stderr == ""


def test_template_cannot_reach_python_attributes(tmp_path):
    """{x.__class__} is not a slot reference: lint refuses it and nothing is evaluated."""
    from coach.template import Template
    t = Template.parse("hello {customer.__class__} {customer}")
    assert t.names == ("customer",)
    assert t.render({"customer": "李总"}) == "hello {customer.__class__} 李总"
    assert t.bad_references() == ["{customer.__class__}"]


def test_explain_shows_tokens_signals_and_winner(coach):
    """explain lists tokens, the keywords behind each signal, the candidates and the winner."""
    e = coach.explain("太贵了，我们预算不够")
    assert "预算不够" in e.tokens or "预算" in e.tokens
    assert "no_money" in e.signals
    assert e.winner == "objection.no_money"
    assert any(c.rule == e.winner and not c.lost for c in e.candidates)
    assert any(c.lost for c in e.candidates)
    assert "objection.no_money" in str(e)


def test_explain_does_not_change_the_session(coach):
    """explain is a dry run: the session's state is the same afterwards."""
    s = coach.session()
    s.hear("我们公司有三十个员工")
    before = s.to_dict()
    s.explain("太贵了")
    assert s.to_dict() == before


def test_salesperson_feedback(coach):
    """say() tells open from closed questions, flags commands and red lines, offers a better line."""
    s = coach.session()
    s.hear("我们不需要")
    f = s.say("您现在是怎么处理客户资料的？")
    assert f.question_type == "open" and f.fits_step
    f = s.say("你必须今天就决定")
    assert f.commanding and not f.ok and f.better
    f = s.say("放心，我们保本保收益，稳赚不赔")
    assert f.red_lines
    f = s.say("您需要吗？")
    assert f.question_type == "closed"


def test_salesperson_probe_moves_the_step(coach):
    """When the salesperson probes on their own, the session moves to probe."""
    s = coach.session(customer="李总")
    s.hear("我们的销售信息不通畅")
    f = s.say("李总，所以您的困难就是信息不通畅，您是不是打算做一次培训？")
    assert "probe" in f.moves and s.step == Step.PROBE
    assert s.hear("是的").step == Step.REPEAT


def test_long_input_is_trimmed_and_flagged(coach):
    """A turn past MAX_TURN_CHARS is cut, and the suggestion says so."""
    from coach import MAX_TURN_CHARS
    r = coach.session().hear("太贵了" * MAX_TURN_CHARS)
    assert r.trimmed and "no_money" in r.signals


@pytest.mark.parametrize("text", ["", " \n\t", "\x00\x01\x7f", "😀👨‍👩‍👧", "\ud800坏", "مرحبا 你好 hello", "🙂" * 5000])
def test_odd_input_never_crashes(coach, text):
    """Empty, control characters, emoji, lone surrogates and mixed scripts all get a suggestion."""
    r = coach.session().hear(text)
    assert r.text
    json.dumps(coach.session().to_dict())


def test_non_string_input_raises_documented_error(coach):
    """Passing something that is not text raises InputError, a CoachError."""
    from coach import CoachError, InputError
    with pytest.raises(InputError):
        coach.session().hear(None)  # type: ignore[arg-type]
    assert issubclass(InputError, CoachError)


def test_feedback_after_restore_still_knows_the_advice(coach):
    """The last suggestion survives to_dict/restore, so say() offers it as the better line."""
    live = coach.session(customer="李总")
    advice = live.hear("我们最近业绩不太好")
    restored = coach.restore(json.loads(json.dumps(live.to_dict())))
    assert restored.last_suggestion is not None
    assert restored.last_suggestion.text == advice.text
    a, b = live.say("你必须马上买"), restored.say("你必须马上买")
    assert a == b and b.better == advice.text


def test_version_1_state_is_migrated(coach):
    """A state saved before 'advice' existed restores, with no advice."""
    s = coach.session()
    s.hear("太贵了")
    state = s.to_dict()
    for key in ("advice", "progress", "heard"):
        del state[key]
    state["version"] = 1
    old = coach.restore(state)
    assert old.step == s.step and old.last_suggestion is None
    assert old.to_dict()["version"] == STATE_VERSION


def test_version_2_state_is_migrated_with_its_progress_read_off_the_steps(coach):
    """A state saved before 'progress' existed restores; a confirmed need stays confirmed."""
    s = coach.session(customer="李总")
    for t in SEED[:6]:
        s.hear(t)
    assert s.step == Step.DEMO
    state = s.to_dict()
    for key in ("progress", "heard"):
        del state[key]
    state["version"] = 2
    old = coach.restore(state)
    assert old.progress.confirmed and old.progress.shown and old.progress.answer == Answer.YES
    assert old.heard is None and old.to_dict()["version"] == STATE_VERSION
    assert old.hear("看过了，挺好的，合同怎么签？").step == Step.WAIT


def test_progress_round_trips_and_bad_progress_is_refused(coach):
    """to_dict/restore keeps what was probed and confirmed; a malformed progress is a StateError."""
    s = coach.session(customer="李总")
    for t in SEED[:4]:
        s.hear(t)
    back = coach.restore(s.to_dict())
    assert back.progress == s.progress and back.heard == s.heard
    assert back.progress.probed and back.progress.answer == Answer.YES
    for bad in ({"probed": 1}, {**s.progress.to_dict(), "answer": "maybe"}, "x"):
        state = s.to_dict()
        state["progress"] = bad
        with pytest.raises(StateError, match="progress"):
            coach.restore(state)


def test_tampered_advice_is_refused(coach):
    s = coach.session()
    s.hear("太贵了")
    for bad in ({"step": "nowhere", "text": "x", "why": "y", "rule": s.last_suggestion.rule},
                {"step": "investigate", "text": "x", "why": "y", "rule": "no.such.rule"},
                {"step": "investigate", "text": 3, "why": "y", "rule": "x"}, ["x"]):
        state = s.to_dict()
        state["advice"] = bad
        with pytest.raises(StateError):
            coach.restore(state)


def test_variants_with_and_without_the_name_rotate_together(tmp_path):
    """A known customer name does not make its variants win every time."""
    pack = write_pack(tmp_path, """
pack: {id: rotate, title: 轮换}
rules:
  - id: ask
    priority: 1000
    say: ["{customer}，您怎么看？", "想听听您的看法。"]
    why: 调查：先听客户说（深入性原则）。
""")
    s = Coach.load(["default", pack]).session(customer="李总")
    lines = [s.hear(t).text for t in ("嗯", "好的", "是吗")]
    assert lines[0] != lines[1] and lines[0] == lines[2]


def test_second_salesperson_line_replaces_the_first_lines_moves(coach):
    """'after' sees the coach's advice and the latest salesperson line, not older lines."""
    s = coach.session()
    s.hear("我们的客户不需要")
    s.say("您是说客户不需要，是吗？")
    assert "reflect" in s.prev and s.last_suggestion.rule in s.prev
    s.say("好的。")
    assert "reflect" not in s.prev and s.last_suggestion.rule in s.prev


@pytest.mark.parametrize("line,qtype", [
    ("那现在最让您头疼的是哪件事？", "open"),  # 哪件 is one token: found on its own
    ("您觉得哪一块最需要改进？", "open"),
    ("您在哪些方面最想提升？", "open"),
    ("您是哪件事不满意吗？", "closed"),        # a 吗 question asks yes or no
])
def test_which_questions_are_open(coach, line, qtype):
    assert coach.session().say(line).question_type == qtype
