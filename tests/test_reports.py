"""coach history: trends per scenario and level, only practices with a word said, aligned
Chinese columns, and a "practise next" that says why."""

from __future__ import annotations

import json

from wcwidth import wcswidth

from coach.history import History
from coach.practice import PracticeRun, Recorder
from coach.reports import SKILL_PRACTICE, columns, next_level, print_history, recommend
from coach.scenario import load_scenario
from coach.scoring import Skill


def practise(hist: History, sid: str, level: str, who: str, n: int | None = None) -> int:
    sc = load_scenario(sid)
    run = PracticeRun(sc, level, 1)
    rec = Recorder(hist, run)
    for line in sc.trainees[who][:n]:
        run.turn(line)
        rec.turn()
        if run.ended:
            break
    rec.finish("finished")
    return rec.id or 0


def history_text(db, capsys, *args: str) -> str:
    assert print_history(str(db), *args) == 0
    return capsys.readouterr().out


def test_trends_are_kept_apart_per_scenario_and_level(tmp_path, capsys):
    """A weak run at hard does not drag down the trend of training-course at easy."""
    db = tmp_path / "h.db"
    hist = History(db)
    practise(hist, "training-course", "easy", "strong")
    practise(hist, "training-course", "hard", "weak")
    practise(hist, "bank-competitor", "easy", "strong")
    practise(hist, "training-course", "easy", "strong")
    assert print_history(str(db), as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    groups = {(t["scenario"], t["level"]): t["skills"] for t in data["trends"]}
    assert set(groups) == {("training-course", "easy"), ("training-course", "hard"), ("bank-competitor", "easy")}
    assert groups[("training-course", "easy")]["steps"] == [100, 100]
    assert groups[("training-course", "hard")]["steps"][0] < 50
    text = history_text(db, capsys)
    assert "培训课程：李总的三位区域经理 · 简单（2 次）" in text and "· 困难（1 次）" in text


def test_practices_without_a_word_are_not_listed(tmp_path, capsys):
    """A record with no line (an empty pipe in an older version) is neither listed nor trended."""
    db = tmp_path / "e.db"
    hist = History(db)
    empty = hist.start("training-course", "medium", 0)
    hist.finish(empty, "finished", 0, {"skills": {"listening": 100}})
    assert "还没有练习记录" in history_text(db, capsys)
    practise(hist, "training-course", "medium", "strong", 2)
    text = history_text(db, capsys)
    assert f"\n{empty} " not in text and "倾听" in text


def test_chinese_columns_line_up(tmp_path, capsys):
    """Every column starts at the same display column, Chinese characters counting two."""
    db = tmp_path / "c.db"
    hist = History(db)
    practise(hist, "training-course", "easy", "strong")
    practise(hist, "bank-competitor", "hard", "weak")
    lines = history_text(db, capsys).split("\n\n")[0].splitlines()
    assert len(lines) == 3
    for marker in ("难度", "状态"):
        at = lines[0].index(marker)
        col = wcswidth(lines[0][:at])
        for line in lines[1:]:
            cells = line.split()
            cell = cells[-1] if marker == "状态" else cells[-4]
            assert wcswidth(line[:line.rindex(cell)]) == col, (marker, line)


def test_columns_pads_by_display_width():
    """columns() pads a Chinese cell by its width on screen, not its length."""
    text = columns([["场景", "x"], ["ab", "y"]], "<", "<")
    a, b = text.splitlines()
    assert wcswidth(a[:a.index("x")]) == wcswidth(b[:b.index("y")])


def test_practise_next_names_the_weakest_skill_and_why_that_scenario(tmp_path, capsys):
    """The advice names the weakest recent skill with its average, and why the scenario trains it."""
    db = tmp_path / "r.db"
    hist = History(db)
    for _ in range(3):
        practise(hist, "training-course", "medium", "strong", 4)
    advice = recommend(hist.sessions())
    assert advice.skill is not None and advice.scenario == SKILL_PRACTICE[advice.skill][0]
    assert advice.skill.label in advice.reason and "平均" in advice.reason
    assert SKILL_PRACTICE[advice.skill][1] in advice.reason
    text = history_text(db, capsys)
    assert "原因：" in text and f"coach practice --scenario {advice.scenario} --level {advice.level}" in text


def test_a_level_up_once_a_scenario_went_well(tmp_path):
    """A scenario last scored 85 or more is practised one level harder; a poor one stays."""
    hist = History(tmp_path / "u.db")
    practise(hist, "training-course", "easy", "strong")
    practise(hist, "bank-competitor", "medium", "weak")
    rows = hist.sessions()
    assert next_level(rows, "training-course") == "medium"
    assert next_level(rows, "bank-competitor") == "medium"
    assert next_level(rows, "leisure-farm") == "medium"  # never played: the level last used


def test_with_no_practice_the_advice_is_to_start_easy():
    """No practice yet: start with the basic scenario at easy, and say so."""
    advice = recommend([])
    assert advice.level == "easy" and "还没有" in advice.reason and advice.skill is None
    assert set(SKILL_PRACTICE) == set(Skill)
