"""The one place where bytes from outside become text for the ``coach`` command.

Policy: input is UTF-8. A byte sequence that is not valid UTF-8 is replaced by U+FFFD (�),
the line is processed anyway, and the command warns once, in Chinese, on standard error.
This holds for every line read from standard input (whatever ``PYTHONIOENCODING`` says,
strict or not) and every command-line argument (which Python hands over with undecodable
bytes as lone surrogates). Output never fails on a character the terminal cannot show:
it is replaced too. So no lone surrogate reaches a turn, a store, OpenCC or a JSON file.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterator
from typing import IO, Any

from .limits import clean_text, has_surrogate

WARNING = "coach: 输入中有不是 UTF-8 的字节，已替换为 �，其余内容照常处理（请用 UTF-8 输入）。"


class _Once:
    """Print the warning the first time it is needed, and only then."""

    def __init__(self, warn: Callable[[str], None] | None = None) -> None:
        self.warned = False
        self._warn = warn

    def __call__(self) -> None:
        if not self.warned:
            self.warned = True
            if self._warn is not None:
                self._warn(WARNING)
            else:
                _stderr(WARNING)


def _stderr(message: str) -> None:
    err = sys.stderr
    if err is None:
        return
    try:
        print(message, file=err, flush=True)
    except (OSError, ValueError, UnicodeEncodeError):
        pass  # standard error closed or unencodable: nothing left to tell


class TextInput(io.TextIOBase):
    """Lines of a binary stream decoded as UTF-8 with the replace policy above.

    Iterating, ``readline()`` and ``read()`` work as on ``sys.stdin``; ``isatty()`` and
    ``fileno()`` are the underlying stream's, so terminal detection still works.
    """

    def __init__(self, raw: IO[bytes], warn: Callable[[], None] | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._warn = warn or _Once()
        self._first = True

    def _decode(self, data: bytes) -> str:
        if self._first:
            self._first = False
            if data.startswith(b"\xef\xbb\xbf"):  # a BOM from Windows editors
                data = data[3:]
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._warn()
            return data.decode("utf-8", "replace")

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        data = self._raw.readline(-1 if size is None else size)
        return self._decode(data) if data else ""

    def read(self, size: int | None = -1) -> str:
        data = self._raw.read(-1 if size is None else size)
        return self._decode(data) if data else ""

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]
        return self

    def __next__(self) -> str:  # type: ignore[override]
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def readable(self) -> bool:
        return True

    @property
    def buffer(self) -> IO[bytes]:
        """The bytes underneath, for a reader with its own decoding (``coach serve``)."""
        return self._raw

    def isatty(self) -> bool:
        try:
            return bool(self._raw.isatty())
        except (AttributeError, ValueError, OSError):
            return False

    def fileno(self) -> int:
        return self._raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"


def text_input(stream: Any, warn: Callable[[], None] | None = None) -> Any:
    """``stream`` as text decoded by the policy above (a text stream with a ``buffer``, or
    a binary one); a stream without bytes underneath (a test's StringIO) is kept, cleaned."""
    raw = getattr(stream, "buffer", None)
    if raw is None and isinstance(stream, (io.RawIOBase, io.BufferedIOBase)):
        raw = stream
    if raw is None:
        return stream
    return TextInput(raw, warn)


def clean_line(line: str, warn: Callable[[], None] | None = None) -> str:
    """One line that already is text (a terminal prompt's): lone surrogates replaced."""
    if has_surrogate(line):
        (warn or _Once())()
        return clean_text(line)
    return line


def clean_args(args: argparse.Namespace, warn: Callable[[], None] | None = None) -> None:
    """Every text argument cleaned in place: undecodable bytes (surrogates) become �."""
    once = warn or _WARN_ONCE
    for name, value in vars(args).items():
        if isinstance(value, str) and has_surrogate(value):
            once()
            setattr(args, name, clean_text(value))
        elif isinstance(value, list) and any(isinstance(v, str) and has_surrogate(v) for v in value):
            once()
            setattr(args, name, [clean_text(v) if isinstance(v, str) else v for v in value])


#: The one warning of a command: argument and input problems share it.
_WARN_ONCE = _Once()


def setup_stdio() -> bool:
    """Standard input decoded by the policy, output that never raises on encoding.

    Returns False when standard output or error is closed (``coach … >&-``): the caller
    reports that on whatever is left and exits, instead of failing with AttributeError.
    """
    _WARN_ONCE.warned = False
    if sys.stdin is not None:
        sys.stdin = text_input(sys.stdin, _WARN_ONCE)
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            continue
        try:
            stream.reconfigure(errors="replace")
        except (AttributeError, ValueError, io.UnsupportedOperation):
            pass
    return sys.stdout is not None
