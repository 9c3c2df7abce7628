"""One validation for every number and string that comes from outside: packs, scenarios,
saved states, command-line arguments and API calls.

Each limit is written down here and in docs/limits.md; every check raises or reports a
documented error (``InputError``, ``StateError``, a pack ``Problem``), never ``ValueError``,
``OverflowError`` or ``TypeError``. Files from outside are read through ``read_capped``,
which never blocks on a FIFO, never reads a device forever and never follows a symlink
loop.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import Any

from .errors import InputError

#: Largest whole number accepted anywhere (a seed, a record id, a priority, a frequency):
#: what an SQLite INTEGER holds.
MAX_WHOLE = 2**63 - 1
#: A priority is a small ordering number; beyond this it orders nothing more.
MAX_PRIORITY = 1_000_000
#: A dictionary word's frequency (jieba counts; the largest in its own dictionary is ~10^6).
MAX_FREQ = 10**9
#: A simulated customer's patience, in trainee lines.
MAX_PATIENCE = 1000
#: A customer's name and title (李总, 王经理): longer text is cut to this many characters.
MAX_NAME_CHARS = 64
#: How many previous-move ids a saved state may carry (a turn sets a rule id and its tags).
MAX_STATE_PREV = 64
#: How many fired-rule counters a saved state may carry, at most one per rule of the packs.
MAX_STATE_FIRED = 100_000
#: Text fields of a saved state (the customer's last words, advice) beyond this are refused.
MAX_STATE_TEXT = 20_000

_SURROGATES = range(0xD800, 0xE000)


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (which no UTF-8 file, database or converter takes)."""
    if text.isascii():
        return False
    return any(ord(ch) in _SURROGATES for ch in text)


def clean_text(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD; other text is returned as is.

    Surrogates reach Python strings from undecodable bytes (``surrogateescape`` on
    command-line arguments and some terminals) and from JSON ``\\udcff`` escapes.
    """
    if not has_surrogate(text):
        return text
    return "".join("\ufffd" if ord(ch) in _SURROGATES else ch for ch in text)


def customer_name(value: Any) -> str:
    """A customer's name as a session keeps it: ``None`` is no name, text is cleaned and cut.

    Anything but ``str`` or ``None`` raises InputError at once (not at the first turn).
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"customer must be a str (a name such as 李总), not {type(value).__name__}")
    return clean_text(value.strip())[:MAX_NAME_CHARS]


def whole_number(value: Any, what: str, lo: int = 0, hi: int = MAX_WHOLE) -> int:
    """``value`` as an int within [lo, hi], else InputError naming ``what`` and the range.

    Text of digits is accepted (command-line arguments); a bool, a float, infinity or a
    number of 4,300 digits is not.
    """
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if not digits.isdigit() or not digits.isascii() or len(digits) > 19:
            raise InputError(f"{what} 必须是 {lo} 到 {hi} 之间的整数，而不是 {value[:40]!r}")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"{what} 必须是 {lo} 到 {hi} 之间的整数")
    if not lo <= value <= hi:
        raise InputError(f"{what} 必须是 {lo} 到 {hi} 之间的整数，而不是 {_short(value)}")
    return value


def pack_number(value: Any, lo: int, hi: int) -> int | None:
    """A whole number read from YAML within [lo, hi], or None (the caller reports it)."""
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        return None
    return value


def finite_number(value: Any, lo: float, hi: float) -> float | None:
    """A finite number read from YAML within [lo, hi], or None (``.inf``, ``.nan``, text)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int) and abs(value) > MAX_WHOLE:
        return None
    number = float(value)
    if not math.isfinite(number) or not lo <= number <= hi:
        return None
    return number


def _short(value: int) -> str:
    text = str(value) if abs(value) < 10**30 else f"一个 {len(str(abs(value)))} 位的数"
    return text


# -- files from outside --------------------------------------------------------------------


class UnreadableFile(OSError):
    """A file that cannot be read as a regular file of bounded size (the message says why)."""


def read_capped(path: str | os.PathLike[str], limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    Raises UnreadableFile (an OSError, with a message) for a folder, a FIFO, a device such
    as /dev/zero behind a symlink, a symlink loop, or a file that is or grows larger than
    ``limit`` — without blocking on a FIFO nor reading more than ``limit + 1`` bytes.
    """
    p = Path(path)
    try:
        # O_NONBLOCK: opening a FIFO with no writer would otherwise wait forever.
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        if exc.errno == 40 or "symbolic links" in str(exc):  # ELOOP
            raise UnreadableFile(exc.errno, "符号链接形成了循环") from None
        raise
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise UnreadableFile(21, "这是一个文件夹，不是文件")
        if not stat.S_ISREG(st.st_mode):
            raise UnreadableFile(22, "不是普通文件（设备、管道或套接字）")
        if st.st_size > limit:
            raise UnreadableFile(27, f"文件有 {st.st_size} 字节，超过上限 {limit}")
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:
            raise UnreadableFile(27, f"文件超过上限 {limit} 字节")
        return data
    finally:
        os.close(fd)


def regular_files(folder: Path, *patterns: str) -> list[Path]:
    """The regular files directly in ``folder`` matching the glob patterns, sorted per pattern.

    FIFOs, devices and folders named like a pack are skipped; a symlink loop is skipped too
    (``is_file()`` is false for it), so a listing never hangs nor raises.
    """
    out: list[Path] = []
    for pattern in patterns:
        found = []
        for p in folder.glob(pattern):
            try:
                if p.is_file():
                    found.append(p)
            except OSError:
                continue
        out.extend(sorted(found))
    return out
