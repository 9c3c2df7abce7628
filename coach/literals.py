"""Literal prefilters for regular expressions: skip a pattern whose required text is absent.

A pack's signals carry hundreds of patterns, and running each of them on each clause of
each turn cost more than segmentation itself. Most patterns cannot match unless some
literal text occurs: ``(说|讲)(得|的)(对|好)`` needs one of 说得对, 说的对, 讲得好 …; ``预算…``
needs 预算. :func:`required_literals` reads that condition off the parsed pattern, and a
:class:`Prefilter` checks the conditions of many patterns at once per turn, so only the
patterns that can match are run. The condition is necessary, never sufficient: a pattern
that passes the filter is still run, so results are exactly those of running every pattern.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import sys
from collections.abc import Iterable
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

#: Bump when required_literals changes what it answers: cached answers are then ignored.
_CACHE_FORMAT = 2
#: The cache keeps the tables of at most this many pattern sets (packs), newest first.
MAX_CACHE_ENTRIES = 64
#: Largest set of strings tracked for one part of a pattern; beyond it the part gives up.
_MAX_STRINGS = 64
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT)
# Flags that change what a literal matches: patterns with them are never filtered.
_LOOSE_FLAGS = re.IGNORECASE | re.VERBOSE | re.LOCALE


def required_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Strings one of which occurs in every match of ``pattern``; None when none are known.

    The empty string is never among them, so an answer is always a real condition.
    """
    if pattern.flags & _LOOSE_FLAGS:
        return None
    try:
        tree = _p.parse(pattern.pattern, pattern.flags)
    except Exception:  # pragma: no cover - the pattern compiled, so it parses
        return None
    found = _necessary(list(tree))
    return frozenset(found) if found else None


def _exact(items: Iterable[Any]) -> set[str] | None:
    """Every string a sequence can match, when there are few of them."""
    out = {""}
    for op, av in items:
        part = _exact_item(op, av)
        if part is None:
            return None
        out = {a + b for a in out for b in part}
        if len(out) > _MAX_STRINGS:
            return None
    return out


def _exact_item(op: Any, av: Any) -> set[str] | None:
    if op == _c.LITERAL:
        return {chr(av)}
    if op == _c.AT:  # anchors match the empty string
        return {""}
    if op == _c.IN:
        chars: set[str] = set()
        for o, a in av:
            if o == _c.LITERAL:
                chars.add(chr(a))
            elif o == _c.RANGE and a[1] - a[0] < _MAX_STRINGS:
                chars.update(chr(x) for x in range(a[0], a[1] + 1))
            else:  # NEGATE, CATEGORY, wide ranges: too many characters to list
                return None
        return chars if len(chars) <= _MAX_STRINGS else None
    if op == _c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            got = _exact(branch)
            if got is None:
                return None
            out |= got
            if len(out) > _MAX_STRINGS:
                return None
        return out
    if op == _c.SUBPATTERN:
        if av[1] or av[2]:  # scoped flags such as (?i:…)
            return None
        return _exact(av[3])
    if op in _REPEATS:
        lo, hi, body = av
        if hi > 3:
            return None
        one = _exact(body)
        if one is None:
            return None
        out, power = ({""} if lo == 0 else set()), {""}
        for count in range(1, hi + 1):
            power = {a + b for a in power for b in one}
            if len(power) > _MAX_STRINGS:
                return None
            if count >= lo:
                out |= power
        return out if len(out) <= _MAX_STRINGS else None
    return None


# The commonest characters of written Chinese: a condition that is one of them holds in
# nearly every turn (的 alone in 100 of the bench's 245), so another part of the pattern,
# when it has one, makes the better condition.
_COMMON_CHARS = frozenset("的一是不了在人有我他这个们中来上大为和国地到以说时要就出会可也你对")


def _score(strings: set[str] | None) -> float:
    # A rough chance that the condition holds by accident: longer strings are rarer, and a
    # common character is all but certain to be there.
    if not strings or "" in strings:
        return float("inf")
    return sum(0.5 if s in _COMMON_CHARS else 16.0 ** -len(s) for s in strings)


def _necessary(items: list[Any]) -> set[str] | None:
    """Strings one of which every match of the sequence contains (the most selective found)."""
    best: set[str] | None = None

    def consider(candidate: set[str] | None) -> None:
        nonlocal best
        if _score(candidate) < _score(best):
            best = candidate

    run = {""}  # the exact strings of the current run of exact items, joined
    for op, av in items:
        part = _exact_item(op, av)
        if part is not None:
            joined = {a + b for a in run for b in part}
            if len(joined) <= _MAX_STRINGS:
                run = joined
            else:
                consider(run)
                run = part
            continue
        consider(run)
        run = {""}
        consider(_necessary_item(op, av))
    consider(run)
    return best


def _necessary_item(op: Any, av: Any) -> set[str] | None:
    if op == _c.SUBPATTERN:
        return None if (av[1] or av[2]) else _necessary(list(av[3]))
    if op == _c.BRANCH:
        out: set[str] = set()
        for branch in av[1]:
            got = _necessary(list(branch))
            if not got:
                return None
            out |= got
        return out if len(out) <= _MAX_STRINGS * 4 else None
    if op in _REPEATS and av[0] >= 1:
        return _necessary(list(av[2]))
    return None


class Prefilter:
    """Which of many patterns can match a text, decided from their required literals.

    A one-character string is filed under its character, a longer one under the pair of
    adjacent characters fewest strings share; a turn looks up only the characters and the
    character pairs of its own text, and checks a whole string only when it is longer
    than its key.
    """

    def __init__(self, patterns: Iterable[re.Pattern[str]]) -> None:
        unconditional, chars, pairs = _cached_tables(list(patterns))
        #: Indexes of the patterns with no condition: always run.
        self.unconditional = frozenset(unconditional)
        self._chars = {ch: frozenset(ids) for ch, ids in chars.items()}
        self._char_keys = frozenset(ch for ch, ids in self._chars.items() if ids)
        self._pairs = {key: tuple((s, i) for s, i in entries) for key, entries in pairs.items()}

    def live(self, text: str) -> set[int]:
        """Indexes of the patterns whose condition ``text`` meets (unconditional ones too)."""
        out = set(self.unconditional)
        chars = self._chars
        # Only the text's characters that key something (a C-level intersection), and each
        # character pair looked up where it stands: a pair seen twice adds nothing new.
        for ch in self._char_keys.intersection(text):
            out |= chars[ch]
        get = self._pairs.get
        for k in range(len(text) - 1):
            entries = get(text[k:k + 2])
            if entries:
                for s, i in entries:
                    if s is None or s in text:
                        out.add(i)
        return out


# The tables of a Prefilter in plain data: (unconditional pattern indexes, character →
# pattern indexes, character pair → [(string to check or None, pattern index)]).
_Tables = tuple[list[int], dict[str, list[int]], dict[str, list[tuple[str | None, int]]]]


def _build_tables(patterns: list[re.Pattern[str]]) -> _Tables:
    conditions = [required_literals(p) for p in patterns]
    unconditional = [i for i, c in enumerate(conditions) if c is None]
    uses: dict[str, int] = {}
    for cond in conditions:
        for s in cond or ():
            for pair in {s[k:k + 2] for k in range(len(s) - 1)}:
                uses[pair] = uses.get(pair, 0) + 1
    chars: dict[str, list[int]] = {}
    pairs: dict[str, list[tuple[str | None, int]]] = {}
    for i, cond in enumerate(conditions):
        for s in sorted(cond or ()):
            if len(s) == 1:
                chars.setdefault(s, []).append(i)
                continue
            key = min((s[k:k + 2] for k in range(len(s) - 1)), key=lambda p: (uses[p], p))
            pairs.setdefault(key, []).append((s if len(s) > 2 else None, i))
    return unconditional, chars, pairs


def _cached_tables(patterns: list[re.Pattern[str]]) -> _Tables:
    """``_build_tables``, kept in coach's cache folder between starts.

    Parsing a pack's few hundred patterns and filing their strings takes tens of
    milliseconds, which every start would pay before its first answer. The tables depend
    only on the pattern texts and flags (and this Python's regex parser), so they are
    cached under a hash of those; a missing or unwritable cache only costs the time.
    """
    from .dirs import cache_dir, prune_cache_folder, write_cache_file

    if not patterns:
        return [], {}, {}
    key = repr((_CACHE_FORMAT, sys.version_info[:2], [(p.pattern, p.flags) for p in patterns]))
    path = None
    try:
        path = cache_dir() / "literals" / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.marshal"
        unconditional, chars, pairs = marshal.loads(path.read_bytes())
        if isinstance(unconditional, list) and isinstance(chars, dict) and isinstance(pairs, dict):
            return unconditional, chars, pairs
    except Exception:  # no home folder, a missing, truncated or foreign file: rebuild
        pass
    tables = _build_tables(patterns)
    if path is not None:
        write_cache_file(path, marshal.dumps(tables))
        # Every pack set has its own entry (tests and trainers load many): keep the newest.
        prune_cache_folder(path.parent, "*.marshal", MAX_CACHE_ENTRIES)
    return tables

