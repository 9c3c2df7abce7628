"""Pack patterns whose matching work is bounded, whatever the pattern and the text.

Backtracking regex engines (Python's ``re``) can take exponential or high-polynomial
time: ``\\d{1,100}\\d{1,100}\\d{1,100}\\d{1,100}x`` on 300 digits tries ~10^8 splits.
Bounding the *syntax* (no nested repeats, one unbounded repeat …) misses such cases, so
the *work* is bounded instead:

1. Every pattern is parsed (Python's own parser, so the meaning is Python's) and the
   number of ways it can match from one position is bounded from the tree: a sequence
   multiplies, an alternation adds, a repeat ``{m,n}`` of a body with ``w`` ways sums
   ``w^k`` for ``k`` in ``m..n`` (an unbounded repeat counts the clause cap,
   ``PATTERN_INPUT_CHARS``). When that bound is at most ``PYTHON_WAYS``, Python's ``re``
   runs it: at most ``PATTERN_INPUT_CHARS × PYTHON_WAYS`` steps per clause.
2. Any other pattern is translated from the parse tree into RE2 syntax and compiled with
   google-re2, a linear-time engine: its work is proportional to the text, which is capped.
3. A pattern neither bounded nor translatable (back-references, look-around, atomic
   groups, possessive repeats, conditionals, ``\\b``) is refused, with the reason, at lint.

Counted repeats above ``MAX_COUNTED_REPEAT`` are refused either way (RE2 caps them at
1,000, and a pack never needs more).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

import re2

#: A pattern only ever sees this many characters of a clause.
PATTERN_INPUT_CHARS = 300
#: Largest counted repeat allowed ({m,n} with n above this is refused).
MAX_COUNTED_REPEAT = 100
#: Patterns with at most this many ways to match from one position run on Python's re.
PYTHON_WAYS = 1000
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_POSSESSIVE = getattr(_c, "POSSESSIVE_REPEAT", None)
_ATOMIC = getattr(_c, "ATOMIC_GROUP", None)
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # errors are reported as pack problems, not on stderr
_RE2_OPTIONS.max_mem = 8 << 20  # a hostile pattern cannot make RE2 build a huge program


class UnsafePattern(ValueError):
    """A pattern that coach will not run; ``str()`` says why, for a pack problem."""


class PackPattern:
    """A compiled pack pattern: ``search``/``finditer`` as on ``re.Pattern``.

    ``pattern`` and ``flags`` are Python's (the pack cache and the literal prefilter read
    them); ``engine`` is ``"re"`` or ``"re2"``.
    """

    __slots__ = ("engine", "finditer", "flags", "groupindex", "pattern", "search")

    def __init__(self, pattern: str, flags: int, engine: str, compiled: Any) -> None:
        self.pattern = pattern
        self.flags = flags
        self.engine = engine
        self.search = compiled.search
        self.finditer = compiled.finditer
        self.groupindex = compiled.groupindex

    def __repr__(self) -> str:
        return f"PackPattern({self.pattern!r}, engine={self.engine!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PackPattern) and (self.pattern, self.flags) == (other.pattern, other.flags)

    def __hash__(self) -> int:
        return hash((self.pattern, self.flags))

    def __reduce__(self) -> Any:
        return (compile_pattern, (self.pattern, self.flags))


def compile_pattern(pattern: str, flags: int = 0) -> PackPattern:
    """The pattern compiled on an engine whose work is bounded; UnsafePattern otherwise."""
    try:
        tree = _p.parse(pattern, flags)
        py = re.compile(pattern, flags)
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        raise UnsafePattern(f"not a valid pattern: {exc}") from None
    reason = _refused(list(tree))
    if reason:
        raise UnsafePattern(reason)
    if ways(list(tree)) <= PYTHON_WAYS:
        return PackPattern(pattern, py.flags, "re", py)
    try:
        source = _Re2Writer(tree.state.flags if hasattr(tree, "state") else py.flags, py.groupindex).write(list(tree))
        compiled = re2.compile(source, _RE2_OPTIONS)
    except UnsafePattern:
        raise
    except Exception as exc:
        raise UnsafePattern(f"cannot be run in bounded time: {exc}") from None
    return PackPattern(pattern, py.flags, "re2", compiled)


def check(pattern: str) -> str:
    """"" when the pattern can be run in bounded time, else the reason it cannot."""
    try:
        compile_pattern(pattern)
    except UnsafePattern as exc:
        return str(exc)
    return ""


# -- what is refused whatever the engine -----------------------------------------------------


def _refused(items: list[Any]) -> str:
    for op, av in _walk(items):
        if op in (_c.GROUPREF, getattr(_c, "GROUPREF_EXISTS", None)):
            return "back-references and conditionals are not allowed"
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return "look-ahead and look-behind are not allowed"
        if op == _POSSESSIVE or op == _ATOMIC:
            return "possessive repeats and atomic groups are not allowed"
        if op in _REPEATS and av[1] != _c.MAXREPEAT and av[1] > MAX_COUNTED_REPEAT:
            return f"a counted repeat above {MAX_COUNTED_REPEAT}"
        if op in _REPEATS and av[0] > MAX_COUNTED_REPEAT:
            return f"a counted repeat above {MAX_COUNTED_REPEAT}"
    return ""


def _walk(items: list[Any]) -> Iterator[tuple[Any, Any]]:
    for op, av in items:
        yield op, av
        if op in _REPEATS or op == _POSSESSIVE:
            yield from _walk(list(av[2]))
        elif op == _c.SUBPATTERN:
            yield from _walk(list(av[-1]))
        elif op == _c.BRANCH:
            for branch in av[1]:
                yield from _walk(list(branch))
        elif op == _ATOMIC:
            yield from _walk(list(av))
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            yield from _walk(list(av[1]))


# -- the bound on backtracking ---------------------------------------------------------------

_CAP = 10**12  # beyond any budget: stop multiplying


def ways(items: list[Any]) -> int:
    """An upper bound on the ways ``items`` can match from one position (capped)."""
    total = 1
    for op, av in items:
        total = min(_CAP, total * _item_ways(op, av))
    return total


def _item_ways(op: Any, av: Any) -> int:
    if op in _REPEATS or op == _POSSESSIVE:
        lo, hi, body = av
        hi = PATTERN_INPUT_CHARS if hi == _c.MAXREPEAT else min(hi, PATTERN_INPUT_CHARS)
        lo = min(lo, hi)
        w = ways(list(body))
        if w <= 1:
            return hi - lo + 1
        total = 0
        for k in range(lo, hi + 1):
            total = min(_CAP, total + w ** min(k, 40))
            if total >= _CAP:
                break
        return total
    if op == _c.SUBPATTERN:
        return ways(list(av[-1]))
    if op == _c.BRANCH:
        branches = [list(b) for b in av[1]]
        if all(all(o == _c.LITERAL for o, _ in b) for b in branches):
            # Plain words (a vocabulary): at one position only words that are prefixes of
            # one another can all match: at most one per length, the empty word included.
            return max(1, min(len(branches), 1 + max(len(b) for b in branches)))
        return min(_CAP, sum(ways(b) for b in branches))
    if op == _ATOMIC:
        return ways(list(av))
    return 1


# -- Python's parse tree written in RE2 syntax, with Python's meaning --------------------------

# Python's \s for str patterns: str.isspace().
_SPACE = r"\t\n\x{b}\f\r\x{1c}-\x{20}\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}"
_CATEGORIES = {
    "CATEGORY_DIGIT": (r"\p{Nd}", "0-9"),
    "CATEGORY_WORD": (r"\p{L}\p{N}_", "0-9A-Za-z_"),
    "CATEGORY_SPACE": (_SPACE, r"\t\n\x{b}\f\r "),
}


class _Re2Writer:
    def __init__(self, flags: int, groupindex: Any) -> None:
        self.ascii = bool(flags & re.ASCII)
        self.names = {v: k for k, v in dict(groupindex).items()}
        self.prefix = ""
        if flags & re.IGNORECASE:
            self.prefix += "i"
        if flags & re.MULTILINE:
            self.prefix += "m"
        if flags & re.DOTALL:
            self.prefix += "s"

    def write(self, items: list[Any]) -> str:
        body = self._seq(items)
        return f"(?{self.prefix}){body}" if self.prefix else body

    def _seq(self, items: list[Any]) -> str:
        return "".join(self._item(op, av) for op, av in items)

    def _char(self, code: int) -> str:
        ch = chr(code)
        if ch.isalnum() and (ch.isascii() or code > 0x2E80):
            return ch
        return f"\\x{{{code:x}}}"

    def _category(self, name: str) -> tuple[str, bool]:
        """(class body, negated) for a category such as CATEGORY_NOT_DIGIT."""
        negated = "_NOT_" in name
        base = name.replace("_NOT_", "_")
        if base not in _CATEGORIES:
            raise UnsafePattern(f"the class {name.lower()} is not supported")
        unicode_body, ascii_body = _CATEGORIES[base]
        return (ascii_body if self.ascii else unicode_body), negated

    def _item(self, op: Any, av: Any) -> str:
        if op == _c.LITERAL:
            return self._char(av)
        if op == _c.NOT_LITERAL:
            return f"[^{self._char(av)}]"
        if op == _c.ANY:
            return "."
        if op == _c.IN:
            return self._class(av)
        if op == _c.CATEGORY:
            body, negated = self._category(str(av))
            return f"[{'^' if negated else ''}{body}]"
        if op == _c.BRANCH:
            return "(?:" + "|".join(self._seq(list(b)) for b in av[1]) + ")"
        if op == _c.SUBPATTERN:
            group, add, delete, body = av
            inner = self._seq(list(body))
            flags = ("i" if add & re.IGNORECASE else "") + ("m" if add & re.MULTILINE else "") + \
                    ("s" if add & re.DOTALL else "")
            off = ("i" if delete & re.IGNORECASE else "") + ("m" if delete & re.MULTILINE else "") + \
                  ("s" if delete & re.DOTALL else "")
            if flags or off:
                inner = f"(?{flags}{'-' + off if off else ''}:{inner})"
            if group is None:
                return f"(?:{inner})"
            name = self.names.get(group)
            return f"(?P<{name}>{inner})" if name else f"({inner})"
        if op in _REPEATS:
            lo, hi, body = av
            inner = f"(?:{self._seq(list(body))})"
            count = f"{{{lo},}}" if hi == _c.MAXREPEAT else f"{{{lo},{hi}}}"
            return inner + count + ("?" if op == _c.MIN_REPEAT else "")
        if op == _c.AT:
            name = str(av)
            table = {"AT_BEGINNING": "^", "AT_BEGINNING_STRING": r"\A", "AT_END": "$", "AT_END_STRING": r"\z"}
            if name in table:
                return table[name]
            raise UnsafePattern("word boundaries (\\b, \\B) are not supported: use a class or a separator")
        raise UnsafePattern(f"{str(op).lower()} is not supported")

    def _class(self, items: list[Any]) -> str:
        negate = False
        parts: list[str] = []
        negated_categories: list[str] = []
        for op, av in items:
            if op == _c.NEGATE:
                negate = True
            elif op == _c.LITERAL:
                parts.append(self._char(av))
            elif op == _c.RANGE:
                parts.append(f"{self._char(av[0])}-{self._char(av[1])}")
            elif op == _c.CATEGORY:
                body, negated = self._category(str(av))
                (negated_categories if negated else parts).append(body)
            else:
                raise UnsafePattern(f"{str(op).lower()} inside a class is not supported")
        if negated_categories:
            if parts or negate or len(negated_categories) > 1:
                raise UnsafePattern("a class mixing \\D, \\W or \\S with other members is not supported")
            return f"[^{negated_categories[0]}]"
        return f"[{'^' if negate else ''}{''.join(parts)}]"
