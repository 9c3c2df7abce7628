"""The pack format as data: what a pack set holds once read, checked and composed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..errors import Problem
from ..extract import DATE_PATTERN, PERSON_PATTERN
from ..numerals import NUMBER_PATTERN
from ..steps import Step
from ..template import Template

#: Names every template may use besides the slots.
BUILTIN_NAMES = ("customer", "echo")
#: Words that, right before a keyword in the same clause, negate it.
DEFAULT_NEGATORS = ("不是", "并不是", "也不是", "倒不是", "并非", "不算", "谈不上", "说不上",
                    "不", "没", "没有", "别", "未", "无")
SLOT_TYPES = ("text", "number", "money", "person", "date")
EXTRACTORS = ("person", "number", "date")
#: Macros usable inside patterns.
PATTERN_MACROS = {
    "number": NUMBER_PATTERN,
    "person": PERSON_PATTERN,
    "date": DATE_PATTERN,
}
#: A pattern may not be longer than this: long regexes are where backtracking hides.
MAX_PATTERN_CHARS = 200
#: A vocabulary reference in a keyword or pattern: ``{money}``. The pattern macros above
#: use the same braces; a name that is not a macro names a vocabulary.
VOCAB_REF = re.compile(r"\{([a-z][a-z0-9_]*)\}")
#: What a clause the customer ended with "?" carries at its end when patterns read it.
QUESTION_MARK = "?"
#: The slot a construction's template leaves for the words a signal gives it.
CONSTRUCTION_SLOT = "{x}"


@dataclass(frozen=True)
class Where:
    """Where a definition was written."""

    path: str
    line: int
    col: int = 1

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Matcher:
    """Keyword sets with any / all / none, plus phrases and patterns: how a signal is found.

    ``any`` holds alternatives; an alternative is one keyword or several that must all
    occur close together (a conjunction). ``all`` must each occur too; one hit from
    ``none`` vetoes the match.
    """

    any: tuple[tuple[str, ...], ...] = ()
    all: tuple[str, ...] = ()
    none: tuple[tuple[str, ...], ...] = ()
    phrases: tuple[str, ...] = ()
    patterns: tuple[re.Pattern[str], ...] = ()
    negatable: bool = True
    filled: tuple[str, ...] = ()  # also fires when the utterance fills one of these slots
    # Per pattern, what explain shows it as when it names vocabularies or comes from a
    # construction ("absent:{money}"); "" for a plain pattern. Empty when none does.
    pattern_src: tuple[str, ...] = ()
    # construction name → the words and {vocabularies} it is applied to (as written)
    constructions: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def keywords(self) -> set[str]:
        out = {k for alt in self.any for k in alt} | set(self.all)
        out |= {k for alt in self.none for k in alt}
        return out


@dataclass(frozen=True)
class SignalDef:
    """A signal: something a customer's utterance shows (``no_need``, ``agree`` …)."""

    id: str
    title: str
    match: Matcher
    where: Where


@dataclass(frozen=True)
class MoveDef:
    """A move: something a salesperson's line does (an open question, a probe …)."""

    id: str
    title: str
    match: Matcher
    step: Step | None  # the step the conversation is in once the salesperson does this
    note: str  # shown in feedback when the move is seen
    red_line: bool
    where: Where


@dataclass(frozen=True)
class SlotDef:
    """A fact about the customer that utterances fill (``pain``, ``budget`` …)."""

    id: str
    title: str
    type: str
    multi: bool
    keywords: tuple[tuple[str, str], ...]  # (keyword, value)
    patterns: tuple[re.Pattern[str], ...]
    extract: tuple[str, ...]
    where: Where


@dataclass(frozen=True)
class Rule:
    """When the conditions hold, suggest one of ``say`` and move to ``next``."""

    id: str
    steps: frozenset[Step] | None  # None: any step
    signals: frozenset[str]  # all present
    any_signals: frozenset[str]  # at least one present (when not empty)
    not_signals: frozenset[str]
    slots: frozenset[str]  # set
    no_slots: frozenset[str]  # unset
    after: frozenset[str]  # previous move: rule id, rule tag or salesperson move id
    not_after: frozenset[str]
    say: tuple[Template, ...]
    why: Template
    next: Step | None  # None: stay
    priority: int
    tags: frozenset[str]
    set_slots: tuple[tuple[str, str], ...]
    clear_slots: tuple[str, ...]
    pack_index: int
    position: int
    where: Where
    heard: frozenset[str] = frozenset()  # slots the customer's utterance itself gave a value for
    # The line answers the customer's question; the rule that would answer without it then
    # adds the step's own next move (answer, then return).
    answer: bool = False

    @property
    def specificity(self) -> int:
        """How many conditions the rule has: the first tie-break after priority."""
        return (
            (1 if self.steps is not None else 0) + len(self.signals) + (1 if self.any_signals else 0)
            + len(self.not_signals) + len(self.slots) + len(self.no_slots)
            + (1 if self.after else 0) + len(self.not_after) + len(self.heard)
        )

    def sort_key(self) -> tuple[int, int, int, int]:
        """Smaller wins: priority, then specificity, then the later pack, then file order."""
        return (-self.priority, -self.specificity, -self.pack_index, self.position)


@dataclass(frozen=True)
class PackInfo:
    id: str
    title: str
    path: str
    version: str


@dataclass(frozen=True)
class PackSet:
    """Every pack of a Coach, composed: what the engine runs on. Immutable."""

    packs: tuple[PackInfo, ...]
    dictionary: tuple[tuple[str, int | None], ...]
    synonyms: tuple[tuple[str, tuple[str, ...]], ...]
    negators: tuple[str, ...]
    signals: dict[str, SignalDef]
    moves: dict[str, MoveDef]
    slots: dict[str, SlotDef]
    rules: tuple[Rule, ...]
    flow: dict[Step, frozenset[Step]]
    fingerprint: str
    warnings: tuple[Problem, ...] = field(default=())
    dictionary_where: dict[str, Where] = field(default_factory=dict)
    # Named word lists (money, later, boss …) that keywords and patterns name as {money}.
    vocab: tuple[tuple[str, tuple[str, ...]], ...] = ()
    # Words dropped from a customer's turn before it is read: (anywhere, at a clause's start).
    fillers: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    # Labelled customer turns for the nearest-example fallback: (source, text, signals), and
    # its settings (k, threshold, agreement); None when no pack sets them.
    examples: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    nearest: tuple[int, float, float] | None = None
