"""The fast YAML reader (straight from parser events) gives exactly what the full reader gives:
the same data, the same positions, and, through the fallback, the same errors."""

from __future__ import annotations

import pytest

from coach import yamlsafe
from conftest import ROOT


def same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return (list(a) == list(b) and a.pos == b.pos and a.at == b.at
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, list):
        return (len(a) == len(b) and a.pos == b.pos and a.at == b.at
                and all(same(x, y) for x, y in zip(a, b)))
    return a == b


def fast(text):
    loader = yamlsafe._Loader(text)
    try:
        return yamlsafe._read_events(loader)
    finally:
        loader.dispose()


def outcome(read, text):
    try:
        return ("ok", read(text))
    except yamlsafe.YamlProblem as exc:
        return ("error", exc.message, exc.pos, exc.hint)


REPO_YAML = sorted(p for d in ("rules", "dialogues", "tests/data") for p in (ROOT / d).rglob("*.y*ml"))


@pytest.mark.parametrize("path", REPO_YAML, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_yaml_reads_the_same_by_the_fast_path(path):
    text = path.read_text(encoding="utf-8-sig")
    assert same(fast(text), yamlsafe._load_full(text))


PLAIN = [
    "",
    "# only a comment\n",
    "x",
    "a: 1\nb: [1, -2, 2.5, .inf, true, no, null, ~, 2024-01-02, '3', \"4\", 0x1f]\nc:\n",
    "- a\n- b: {c: d}\n-\n  - [e, f]\n",
    "a: |\n  text\n  more\nb: >\n  folded\n  text\n'': empty key\n",
    "{a: 1, b: [x, y], 'c d': 中文}",
    "a:\n  b:\n    c:\n      - d: 1\n        e: 2\n",
]
UNUSUAL = [
    "a: &x 1\nb: *x\n",  # an anchored scalar may be repeated
    "a: &x [1]\nb: *x\n",  # a repeated collection may not
    "a: *nowhere\n",
    "a: !!str 1\nb: !!int '2'\n",
    "a: !custom 1\n",
    "!!set {a, b}\n",
    "<<: {a: 1}\nb: 2\n",
    "a: 1\na: 2\n",
    "1: x\ntrue: y\n",
    "? [a]\n: 1\n",
    "? {a: 1}\n: 1\n",
    "--- a\n--- b\n",
    "a: b: c\n",
    "a: [1, 2\n",
    "a:\n\t- b\n",
    "x: " + "[" * 60 + "]" * 60 + "\n",
    "x: " + "[" * 38 + "1" + "]" * 38 + "\n",
    "=: 1\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_documents_take_the_fast_path(text):
    assert same(fast(text), yamlsafe._load_full(text))
    assert same(yamlsafe.load_located(text), yamlsafe._load_full(text))


@pytest.mark.parametrize("text", UNUSUAL)
def test_unusual_documents_read_exactly_as_the_full_reader_does(text):
    with pytest.raises(Exception):
        fast(text)  # left to the full reader
    a, b = outcome(yamlsafe.load_located, text), outcome(yamlsafe._load_full, text)
    assert a[0] == b[0] and (same(a[1], b[1]) if a[0] == "ok" else a == b)
