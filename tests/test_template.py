"""Reply templates: values filled in, and the marks an empty value leaves behind dropped."""

from __future__ import annotations

import pytest

from coach.template import Template


@pytest.mark.parametrize("text,values,line", [
    ("{customer}，您好", {"customer": "李总"}, "李总，您好"),
    ("{customer}，您好", {"customer": ""}, "您好"),  # a leading mark goes
    ("好的，{customer}，您说", {}, "好的，您说"),  # a doubled one too
    ("明白。{customer}，您先看看", {}, "明白。您先看看"),
    ("好，{a}、{b}。", {"a": "甲", "b": ""}, "好，甲、。"),  # only doubled 、 ， , are mended
    ("  留白  ", {}, "留白"),
    ("{pain}是关键", {"pain": "招人难，，留人更难"}, "招人难，留人更难是关键"),
])
def test_line_drops_the_marks_an_empty_value_leaves(text: str, values: dict[str, str], line: str) -> None:
    assert Template.parse(text).line(values) == line
