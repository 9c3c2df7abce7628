"""The two segmentation backends: jieba, and jieba-rs through rjieba (``coach[fast]``).

They must cut every Chinese text of the repository the same way, except where jieba-rs
keeps an ASCII run joined by - _ . (documented in docs/rule-packs.md, "Segmentation").
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from coach import Coach
from coach.segment import new_segmenter
from coach.text import normalise

ROOT = Path(__file__).resolve().parent.parent

_CJK = re.compile(r"[\u4e00-\u9fff]")
# ASCII tokens that jieba may split and jieba-rs regroups, and how jieba-rs groups such a run:
# letters and digits joined by - _ or . (0-9, value_2, de-duplicated, 1.09mb, v1.2.3), then %.
_ASCII = re.compile(r"[A-Za-z0-9._%\-]+")
_RS_WORD = re.compile(r"[A-Za-z0-9]+(?:[._\-][A-Za-z0-9]+)*%?|.", re.S)
# Chinese characters beyond jieba's range (CJK Extension A and later: Cantonese 㗎, 㖞): jieba
# cuts the text at them, jieba-rs segments them with their neighbours.
_BEYOND_JIEBA = re.compile(r"[\u3400-\u4dbf\u9fd6-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
HAVE_RJIEBA = importlib.util.find_spec("rjieba") is not None
needs_rjieba = pytest.mark.skipif(not HAVE_RJIEBA and os.environ.get("COACH_TOKENIZER") != "rjieba",
                                  reason="rjieba is not installed (pip install 'coach[fast]')")


def _strings(node: object):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from _strings(v)


def _repo_texts() -> list[str]:
    """Every Chinese string of the packs, dialogues, corpora and benchmark corpus."""
    texts: set[str] = set()
    for folder in ("rules", "dialogues", "corpus", "tests/data"):
        for path in (ROOT / folder).rglob("*.yaml"):
            texts.update(s for s in _strings(yaml.safe_load(path.read_text(encoding="utf-8"))) if _CJK.search(s))
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import corpus
    finally:
        sys.path.remove(str(ROOT / "bench"))
    texts.update(corpus.CUSTOMER_UTTERANCES + corpus.SALESPERSON_LINES)
    return sorted(texts)


def _ascii_joined(tokens: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """jieba's tokens with each run of adjacent ASCII tokens regrouped as jieba-rs groups it."""
    out: list[tuple[str, int, int]] = []
    run: list[tuple[str, int, int]] = []

    def flush() -> None:
        if run:
            start, text = run[0][1], "".join(w for w, _, _ in run)
            out.extend((m.group(0), start + m.start(), start + m.end()) for m in _RS_WORD.finditer(text))
            run.clear()

    for token in tokens:
        if not _ASCII.fullmatch(token[0]):
            flush()
            out.append(token)
            continue
        if run and run[-1][2] != token[1]:
            flush()
        run.append(token)
    flush()
    return out


def _reduplication_tie(a: list[tuple[str, int, int]], b: list[tuple[str, int, int]]) -> bool:
    """The cuts differ only inside a run of one repeated character (听听听 as 听听/听 or 听/听听):
    equally likely cuts, where a tie can go either way."""
    head = 0
    while head < min(len(a), len(b)) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < min(len(a), len(b)) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    run = "".join(w for w, _, _ in a[head:len(a) - tail])
    return len(a) == len(b) and len(set(run)) == 1 and run == "".join(w for w, _, _ in b[head:len(b) - tail])


@needs_rjieba
def test_backends_cut_the_repository_alike() -> None:
    """Words and offsets agree on every text coach segments (normalised), but for ASCII runs,
    the characters beyond jieba's range (where the text is then cut for both) and ties in a
    run of one repeated character."""
    words = Coach.load(["default", *[p.stem for p in (ROOT / "rules" / "optional").glob("*.yaml")]]
                       ).packset.dictionary
    jb, rj = new_segmenter(words, "jieba"), new_segmenter(words, "rjieba")
    texts = _repo_texts()
    assert len(texts) > 3000
    differ = []
    for text in texts:
        s = normalise(text).text
        a, b = jb.tokenize(s), rj.tokenize(s)
        if a != b:
            differ.append(s)
            if _BEYOND_JIEBA.search(s):
                s = _BEYOND_JIEBA.sub(" ", s)
                a, b = jb.tokenize(s), rj.tokenize(s)
            assert _ascii_joined(a) == b or _reduplication_tie(a, b), s
    # The known differences are real and rare (about 1 text in 100).
    assert 0 < len(differ) < len(texts) // 20


@pytest.mark.parametrize("name", ["jieba", pytest.param("rjieba", marks=needs_rjieba)])
def test_pack_words_are_kept_whole(name: str) -> None:
    """A pack's dictionary words stay one token under both backends, with or without a frequency."""
    plain = new_segmenter((), name)
    assert "客户不需要" not in plain.lcut("我们的客户不需要")
    seg = new_segmenter((("客户不需要", None), ("刚兑", 5000)), name)
    assert seg.lcut("我们的客户不需要") == ["我们", "的", "客户不需要"]
    assert "刚兑" in seg.lcut("保证刚兑吗")
    assert seg.is_word("客户不需要") and not seg.is_word("客户不") and not plain.is_word("客户不需要")
    assert seg.tokenize("我们的客户不需要") == [("我们", 0, 2), ("的", 2, 3), ("客户不需要", 3, 8)]


def _first_rule(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    code = ("from coach import Coach; c = Coach.load(); print(c.session().hear('太贵了').rule, "
            "c.matching.segmenter.name)")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **env}, timeout=120)


def test_coach_tokenizer_forces_jieba() -> None:
    r = _first_rule({"COACH_TOKENIZER": "jieba"})
    assert r.returncode == 0 and r.stdout.split() == ["objection.no_money", "jieba"] and r.stderr == ""


@needs_rjieba
def test_rjieba_is_used_when_installed() -> None:
    env = {k: v for k, v in os.environ.items() if k != "COACH_TOKENIZER"}
    code = "from coach import Coach; print(Coach.load().matching.segmenter.name)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert r.stdout.strip() == "rjieba"


def test_a_bad_coach_tokenizer_is_a_clear_error() -> None:
    r = subprocess.run([sys.executable, "-m", "coach", "assist"], input="太贵了\n", capture_output=True, text=True,
                       cwd=ROOT, env={**os.environ, "COACH_TOKENIZER": "jeiba"}, timeout=120)
    assert r.returncode != 0 and "COACH_TOKENIZER" in r.stderr and "Traceback" not in r.stderr


def test_rjieba_forced_but_missing_is_a_clear_error() -> None:
    """Forced, rjieba must be there: the CLI says how to install it, with no traceback."""
    # None in sys.modules is how Python spells a module that cannot be imported.
    code = "import sys; sys.modules['rjieba'] = None; from coach.cli import main; sys.exit(main(['assist']))"
    r = subprocess.run([sys.executable, "-c", code], input="太贵了\n", capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "COACH_TOKENIZER": "rjieba"}, timeout=120)
    assert r.returncode == 1 and "pip install 'coach[fast]'" in r.stderr and "Traceback" not in r.stderr
