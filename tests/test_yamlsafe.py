"""The YAML reader: plain data with the line and column of every key and item, faults refused."""

from __future__ import annotations

import pytest

from coach.yamlsafe import LDict, LList, Pos, YamlProblem, load_located


def test_positions_of_keys_and_items_are_kept() -> None:
    data = load_located("a: 1\nb:\n  - x\n  - {c: 中文}\n")
    assert isinstance(data, LDict) and isinstance(data["b"], LList)
    assert data == {"a": 1, "b": ["x", {"c": "中文"}]}
    assert data.pos == {"a": Pos(1, 1), "b": Pos(2, 1)}
    assert data["b"].pos == [Pos(3, 5), Pos(4, 5)] and data["b"][1].pos == {"c": Pos(4, 6)}


@pytest.mark.parametrize("text,position,words", [
    ("a: 1\na: 2\n", Pos(2, 1), "出现了两次"),
    ("a: &x [1]\nb: *x\n", Pos(1, 4), "别名"),  # the node the alias repeats
    ("a: !custom 1\n", Pos(1, 4), "标签"),
    ("? [a]\n: 1\n", Pos(1, 3), "普通文字"),
    ("a: [1, 2\n", Pos(2, 1), "语法错误"),
])
def test_faults_are_refused_with_a_position(text: str, position: Pos, words: str) -> None:
    with pytest.raises(YamlProblem) as exc:
        load_located(text)
    assert exc.value.pos == position and words in exc.value.message


def test_empty_document_is_nothing() -> None:
    assert load_located("# only a comment\n") is None
