"""The one exception family of coach: every error a caller can see derives from CoachError."""

from __future__ import annotations

from dataclasses import dataclass


class CoachError(Exception):
    """Base class of every error coach raises on purpose.

    Catch this to handle any problem coach reports; the subclasses say what went wrong
    and how to fix it.
    """


@dataclass(frozen=True)
class Problem:
    """One finding about a rule pack: where it is, what it is, and how to fix it."""

    path: str
    line: int  # 1-based; 0 when the position is unknown
    col: int  # 1-based; 0 when the position is unknown
    code: str  # e.g. "E102"; E… are errors, W… warnings
    message: str
    hint: str = ""

    @property
    def is_error(self) -> bool:
        return self.code.startswith("E")

    def __str__(self) -> str:
        # Line 0 means the whole file (too big, unreadable, missing): no position to give.
        where = f"{self.path}:{self.line}:{self.col}" if self.line > 0 else self.path
        text = f"{where}: {self.code} {self.message}"
        if self.hint:
            text += f"（提示：{self.hint}）"
        return text


class PackError(CoachError):
    """A rule pack could not be loaded.

    Raised by ``Coach.load()`` with every problem found in the whole pack set at once
    (``.problems``), each naming file, line and column. Fix the listed lines; ``coach
    lint PATH`` prints the same list.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        errors = [p for p in self.problems if p.is_error]
        head = f"{len(errors)} error(s) in rule packs"
        super().__init__(head + ":\n" + "\n".join(str(p) for p in errors))


class StateError(CoachError):
    """A saved session state cannot be restored.

    Raised by ``Coach.restore()`` when the state is not a dict produced by
    ``Session.to_dict()`` of a compatible version and the same pack set: a missing or
    extra key, a wrong type, an unknown step or slot, or a state saved under other packs.
    Start a new session, or restore with the packs the state was saved under.
    """


class PracticeError(CoachError):
    """A practice command cannot do what was asked.

    Raised by ``coach practice --resume``, ``coach report`` and ``coach history`` for an
    unknown record number, a finished practice asked to continue, or a report file that
    cannot be written. The message is one line in Chinese that says what to do instead.
    """


class InputError(CoachError):
    """A turn's text cannot be used (for example it is not a ``str``).

    Pass the utterance as a ``str``; text longer than ``MAX_TURN_CHARS`` is trimmed, not
    refused, and the result says so.
    """


class StorageError(CoachError):
    """A session store or the practice database cannot be used.

    Raised instead of ``sqlite3`` and ``redis`` exceptions: a path that is a folder, a
    device or under a file, a damaged database, a full disk, an unreachable Redis server.
    The message names the place and the reason in one line; nothing was saved by the call
    that raised it.
    """
