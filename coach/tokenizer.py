"""A private jieba tokenizer per Coach, started from a fast, safe cache of jieba's dictionary."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import jieba

# jieba's own cache is read with marshal.load(file), which is ~3x slower than
# marshal.loads(bytes), lives in one shared temp file and logs to stderr. We keep our own.
_CACHE_FORMAT = 1
_base_lock = threading.Lock()
_base_cache: dict[str, object] = {}


class Segmenter(Protocol):
    """What the matcher needs from a word segmenter (jieba's Tokenizer satisfies it)."""

    def lcut(self, sentence: str, cut_all: bool = False, HMM: bool = True) -> list[str]: ...


def cache_dir() -> Path:
    """Where coach keeps its tokenizer cache: $COACH_CACHE_DIR, else the user cache dir."""
    env = os.environ.get("COACH_CACHE_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "coach"


def _dict_path() -> Path:
    return Path(jieba.__file__).parent / "dict.txt"


def _cache_file() -> Path:
    src = _dict_path()
    st = src.stat()
    key = f"{_CACHE_FORMAT}|{jieba.__version__}|{src}|{st.st_size}|{st.st_mtime_ns}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return cache_dir() / f"jieba-{digest}.marshal"


def _read_cache(path: Path) -> tuple[dict[str, int], int] | None:
    try:
        data = path.read_bytes()
        freq, total = marshal.loads(data)
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(freq, dict) or not isinstance(total, int):
        return None
    return freq, total


def _write_cache(path: Path, freq: dict[str, int], total: int) -> None:
    # Atomic: another process may be reading or writing the same file at this moment.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".jieba-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(marshal.dumps((freq, total)))
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass  # read-only or missing cache dir: the next start is slower, nothing more


def _load_base() -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary, from our cache when it is there, else built and cached."""
    try:
        path: Path | None = _cache_file()
    except OSError:
        path = None
    if path is not None:
        hit = _read_cache(path)
        if hit is not None:
            return hit
    with open(_dict_path(), "rb") as fh:
        freq, total = jieba.Tokenizer.gen_pfdict(fh)
    if path is not None:
        _write_cache(path, freq, total)
    return freq, total


@dataclass(frozen=True)
class Word:
    """A dictionary word a pack adds to its tokenizer."""

    word: str
    freq: int | None = None


def new_tokenizer(words: tuple[Word, ...] = ()) -> jieba.Tokenizer:
    """A fresh jieba.Tokenizer with jieba's dictionary and the given words added.

    jieba's global tokenizer is never touched: a host bot may use it with other words.
    """
    freq, total = _load_base()
    tk = jieba.Tokenizer()
    tk.FREQ, tk.total = freq, total
    tk.initialized = True  # we did what initialize() does, minus its logging and cache
    for w in words:
        tk.add_word(w.word, w.freq)
    return tk
