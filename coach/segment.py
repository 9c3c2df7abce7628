"""Word segmentation through a real library: jieba, or jieba-rs (``rjieba``) when installed.

Both segment with the same dictionary and the same algorithm (prefix-dictionary DAG, best
route, HMM for unknown runs). ``coach[fast]`` installs rjieba and coach then uses it on
its own; ``COACH_TOKENIZER=jieba`` or ``=rjieba`` forces one. Where the two differ is
listed in docs/rule-packs.md ("Segmentation").
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import logging
import os
import sys
from collections.abc import Iterable
from typing import Any, Protocol

from .dirs import cache_dir
from .errors import CoachError

#: The backends, in the order tried when none is forced.
BACKENDS = ("rjieba", "jieba")


class Segmenter(Protocol):
    """What matching needs from a word segmenter."""

    name: str

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """Each word with its start and end offset, spaces and marks included."""
        ...

    def lcut(self, text: str) -> list[str]:
        """The words alone."""
        ...

    def is_word(self, word: str) -> bool:
        """Whether ``word`` is in the dictionary (jieba's or a pack's)."""
        ...


class JiebaSegmenter:
    """A private ``jieba.Tokenizer``: jieba's global one is never touched, since a host bot
    may use it with words of its own."""

    name = "jieba"

    def __init__(self, words: Iterable[tuple[str, int | None]] = ()) -> None:
        import jieba

        # jieba logs its start-up at DEBUG to stderr; a library must stay quiet.
        if jieba.default_logger.level < logging.WARNING:
            jieba.setLogLevel(logging.WARNING)
        tk = jieba.Tokenizer()
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            writable = os.access(folder, os.W_OK)
        except OSError:
            writable = False
        if writable:  # else jieba's own place, the temp folder
            tk.tmp_dir = str(folder)
        tk.cache_file = f"jieba-{jieba.__version__}.cache"
        tk.initialize()
        for word, freq in words:
            tk.add_word(word, freq)
        self._tk = tk

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        # Tokenizer.tokenize wraps the same cut in a generator of tuples and costs a third
        # more than lcut; the words tile the text, so their offsets are running sums.
        out = []
        end = 0
        for word in self._tk.lcut(text):
            start, end = end, end + len(word)
            out.append((word, start, end))
        return out

    def lcut(self, text: str) -> list[str]:
        return list(self._tk.lcut(text))

    def is_word(self, word: str) -> bool:
        # FREQ also holds every prefix of a word, with frequency 0.
        return bool(self._tk.FREQ.get(word))


class RjiebaSegmenter:
    """A private ``rjieba.Jieba`` (jieba-rs)."""

    name = "rjieba"

    def __init__(self, words: Iterable[tuple[str, int | None]] = ()) -> None:
        jb = _rjieba_class()()
        for word, freq in words:
            jb.add_word(word, freq, None)  # freq None: jieba-rs suggests one that keeps it whole
        self._jb = jb

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        return list(self._jb.tokenize(text))

    def lcut(self, text: str) -> list[str]:
        return list(self._jb.cut(text))

    def is_word(self, word: str) -> bool:
        return bool(self._jb.has_word(word))


def _rjieba_class() -> Any:
    """rjieba's ``Jieba`` class, loaded from its compiled module alone.

    Importing the ``rjieba`` package builds a module-level ``Jieba`` with the whole
    dictionary, which coach never uses and which would double the start-up time and the
    memory of the segmenter; the compiled module holds the class by itself.
    """
    if "rjieba" in sys.modules:
        return sys.modules["rjieba"].Jieba
    spec = importlib.util.find_spec("rjieba")
    if spec is None:
        raise ModuleNotFoundError("No module named 'rjieba'", name="rjieba")
    ext = importlib.machinery.PathFinder.find_spec("rjieba", spec.submodule_search_locations)
    if ext is None or ext.loader is None:  # another layout than the pinned release's
        import rjieba

        return rjieba.Jieba
    module = importlib.util.module_from_spec(ext)
    ext.loader.exec_module(module)
    return module.Jieba


def backend() -> str:
    """The backend to use: ``$COACH_TOKENIZER`` when set, else rjieba when installed, else jieba."""
    forced = os.environ.get("COACH_TOKENIZER", "").strip().lower()
    if forced and forced not in BACKENDS:
        raise CoachError(f"COACH_TOKENIZER={forced!r} 无效：只能是 jieba 或 rjieba（或不设置，自动选择）")
    if forced == "jieba":
        return "jieba"
    if importlib.util.find_spec("rjieba") is not None:
        return "rjieba"
    if forced == "rjieba":
        raise CoachError("COACH_TOKENIZER=rjieba，但没有安装 rjieba：请 pip install 'coach[fast]'，"
                         "或不设置 COACH_TOKENIZER（改用 jieba）")
    return "jieba"


def new_segmenter(words: Iterable[tuple[str, int | None]] = (), name: str | None = None) -> Segmenter:
    """A fresh segmenter with the dictionary ``words`` (word, frequency or None) added."""
    chosen = name or backend()
    if chosen == "rjieba":
        return RjiebaSegmenter(words)
    return JiebaSegmenter(words)
