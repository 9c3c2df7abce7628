"""A private jieba tokenizer per Coach, started from a fast, safe cache of jieba's dictionary."""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from math import log
from pathlib import Path
from typing import Protocol

import jieba
import jieba.finalseg

# jieba's own block patterns, so that blocks split exactly as in Tokenizer.cut.
_RE_HAN = jieba.re_han_default
_RE_SKIP = jieba.re_skip_default

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
    write_cache_file(path, marshal.dumps((freq, total)))


def write_cache_file(path: Path, data: bytes) -> bool:
    """Write a cache file atomically; False (never an error) when the folder refuses it."""
    # Atomic: another process may be reading or writing the same file at this moment.
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".coach-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return False  # read-only or missing cache dir: the next start is slower, nothing more
    return True


def prune_cache_folder(folder: Path, pattern: str, keep: int) -> None:
    """Delete all but the ``keep`` newest files matching ``pattern`` in a cache folder."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime_ns)
    except OSError:
        return
    for old in entries[:-keep] if keep > 0 else entries:
        try:
            old.unlink()
        except OSError:
            pass  # another process removed it first, or the folder is read-only


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


def tokenize(tk: jieba.Tokenizer, text: str) -> list[tuple[str, int, int]]:
    """``list(tk.tokenize(text))`` — words with start and end offsets — computed faster.

    Segmentation is most of a turn's cost. This is jieba's own algorithm (default mode,
    HMM on): the same prefix dictionary walk, the same best route with the same
    floating-point sums and tie-breaks, jieba's own HMM for unknown runs, so the words
    are exactly jieba's. It is quicker because it builds the DAG and the route in one
    pass over lists instead of dicts of lists and generators of tuples. A tokenizer that
    is not a plain ``jieba.Tokenizer`` (a subclass may cut differently) gets its own
    ``tokenize``.
    """
    if type(tk) is not jieba.Tokenizer:
        return list(tk.tokenize(text))
    if not tk.initialized:
        tk.initialize()
    out: list[tuple[str, int, int]] = []
    append = out.append
    pos = 0
    for block in _RE_HAN.split(text):
        if not block:
            continue
        if _RE_HAN.match(block):
            words = _cut_han(block, tk.FREQ, log(tk.total))
        else:
            words = [x for part in _RE_SKIP.split(block) for x in ((part,) if _RE_SKIP.match(part) else part)]
        for w in words:
            end = pos + len(w)
            append((w, pos, end))
            pos = end
    return out


def _cut_han(sentence: str, freq: dict[str, int], logtotal: float) -> list[str]:
    """jieba's ``Tokenizer.__cut_DAG`` on one block of CJK/alphanumeric text."""
    n = len(sentence)
    get = freq.get
    score = [0.0] * (n + 1)  # score[i], end[i]: jieba's route[i]
    end = [0] * (n + 1)
    for idx in range(n - 1, -1, -1):
        best = 0.0
        best_x = -1
        i = idx
        frag = sentence[idx]
        while i < n:
            f = get(frag)
            if f is None:
                break
            if f:
                s = log(f) - logtotal + score[i + 1]
                # max() over (score, x) pairs in ascending x: a tie goes to the later x.
                if best_x < 0 or s >= best:
                    best, best_x = s, i
            i += 1
            frag = sentence[idx:i + 1]
        if best_x < 0:  # no dictionary word starts here: the character alone, freq 1
            best, best_x = log(1) - logtotal + score[idx + 1], idx
        score[idx] = best
        end[idx] = best_x
    words: list[str] = []
    x = 0
    buf = ""
    while x < n:
        y = end[x] + 1
        if y - x == 1:
            buf += sentence[x]
        else:
            if buf:
                _flush(buf, freq, words)
                buf = ""
            words.append(sentence[x:y])
        x = y
    if buf:
        _flush(buf, freq, words)
    return words


def _flush(buf: str, freq: dict[str, int], words: list[str]) -> None:
    # A run of single characters: jieba's HMM guesses words in it unless it is itself a word.
    if len(buf) == 1:
        words.append(buf)
    elif not freq.get(buf):
        _hmm_cut(buf, words)
    else:
        words.extend(buf)


def _hmm_cut(text: str, words: list[str]) -> None:
    """``jieba.finalseg.cut``: its blocks, its forced splits, its Viterbi path (below)."""
    fs = jieba.finalseg
    for block in fs.re_han.split(text):
        if fs.re_han.match(block):
            forced = fs.Force_Split_Words
            for w in _hmm_words(block):
                if w not in forced:
                    words.append(w)
                else:
                    words.extend(w)
        else:
            words.extend(x for x in fs.re_skip.split(block) if x)


def _hmm_words(sentence: str) -> list[str]:
    """jieba.finalseg's Viterbi over the states B M E S, unrolled.

    The same sums in the same order, and max()'s tie-breaks spelt out: on equal
    probabilities max() over (prob, state) pairs takes the larger state letter
    (B < E < M < S). Back-pointers replace jieba's copied path lists.
    """
    fs = jieba.finalseg
    low = fs.MIN_FLOAT
    emit, trans, start = fs.emit_P, fs.trans_P, fs.start_P
    e_b, e_m, e_e, e_s = emit["B"].get, emit["M"].get, emit["E"].get, emit["S"].get
    t_eb, t_sb = trans["E"].get("B", low), trans["S"].get("B", low)
    t_mm, t_bm = trans["M"].get("M", low), trans["B"].get("M", low)
    t_ss, t_es = trans["S"].get("S", low), trans["E"].get("S", low)
    t_be, t_me = trans["B"].get("E", low), trans["M"].get("E", low)
    c = sentence[0]
    vb = start["B"] + e_b(c, low)
    vm = start["M"] + e_m(c, low)
    ve = start["E"] + e_e(c, low)
    vs = start["S"] + e_s(c, low)
    # States as indexes: B 0, M 1, E 2, S 3. back[t][s]: the state before s at step t.
    back: list[tuple[int, int, int, int]] = []
    for c in sentence[1:]:
        em = e_b(c, low)  # B comes from E or S
        p_e, p_s = ve + t_eb + em, vs + t_sb + em
        nb, fb = (p_s, 3) if p_s >= p_e else (p_e, 2)
        em = e_m(c, low)  # M comes from M or B
        p_m, p_b = vm + t_mm + em, vb + t_bm + em
        nm, fm = (p_m, 1) if p_m >= p_b else (p_b, 0)
        em = e_s(c, low)  # S comes from S or E
        p_s, p_e = vs + t_ss + em, ve + t_es + em
        ns, f_s = (p_s, 3) if p_s >= p_e else (p_e, 2)
        em = e_e(c, low)  # E comes from B or M
        p_b, p_m = vb + t_be + em, vm + t_me + em
        ne, fe = (p_m, 1) if p_m >= p_b else (p_b, 0)
        vb, vm, vs, ve = nb, nm, ns, ne
        back.append((fb, fm, fe, f_s))
    state = 3 if vs >= ve else 2
    path = [state]
    for step in reversed(back):
        state = step[state]
        path.append(state)
    path.reverse()
    out: list[str] = []
    begin = nexti = 0
    for i, pos in enumerate(path):
        if pos == 0:
            begin = i
        elif pos == 2:
            out.append(sentence[begin:i + 1])
            nexti = i + 1
        elif pos == 3:
            out.append(sentence[i])
            nexti = i + 1
    if nexti < len(sentence):
        out.append(sentence[nexti:])
    return out
