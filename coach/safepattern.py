"""A safe subset of regular expressions for packs: no pattern can make a turn hang.

Backtracking blows up in three shapes: a repeat inside a repeat (``(a+)+``), a repeated
alternation whose branches overlap (``(a|ab)*``), and several unbounded repeats in a row
(``.*a.*b.*c`` is cubic). Patterns are parsed and those shapes refused at load time; the
text a pattern searches is also capped (``PATTERN_INPUT_CHARS``), so the remaining cost is
at most quadratic in a few hundred characters.
"""

from __future__ import annotations

from typing import Any

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

#: A pattern only ever sees this many characters of a clause.
PATTERN_INPUT_CHARS = 300
#: Largest counted repeat allowed ({m,n} with n above this is refused).
MAX_COUNTED_REPEAT = 100
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT}
_POSSESSIVE = getattr(_c, "POSSESSIVE_REPEAT", None)
if _POSSESSIVE is not None:
    _REPEATS.add(_POSSESSIVE)


def check(pattern: str) -> str:
    """"" when the pattern is safe, else the reason it is not."""
    try:
        tree = _p.parse(pattern)
    except Exception as exc:  # the caller compiles it and reports the syntax error
        return f"invalid: {exc}"
    unbounded = [0]
    reason = _walk(list(tree), unbounded, inside_repeat=False)
    if reason:
        return reason
    if unbounded[0] > 1:
        return "more than one unbounded repeat (*, + or {n,}); use bounded ones like {1,20}"
    return ""


def _walk(items: list[Any], unbounded: list[int], inside_repeat: bool) -> str:
    for op, av in items:
        if op in (_c.GROUPREF, getattr(_c, "GROUPREF_EXISTS", None)):
            return "back-references are not allowed"
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            return "look-ahead and look-behind are not allowed"
        if op in _REPEATS:
            _lo, hi, body = av
            body = list(body)
            if hi == _c.MAXREPEAT:
                unbounded[0] += 1
            elif hi > MAX_COUNTED_REPEAT:
                return f"a counted repeat above {MAX_COUNTED_REPEAT}"
            if hi > 1:
                if inside_repeat:
                    return "a repeat inside a repeat, such as (a+)+"
                if _has(body, {_c.BRANCH}) or _has(body, _REPEATS):
                    return "a repeated group that holds alternatives or repeats, such as (a|ab)*"
            reason = _walk(body, unbounded, inside_repeat or hi > 1)
            if reason:
                return reason
        elif op == _c.SUBPATTERN:
            reason = _walk(list(av[-1]), unbounded, inside_repeat)
            if reason:
                return reason
        elif op == _c.BRANCH:
            for branch in av[1]:
                reason = _walk(list(branch), unbounded, inside_repeat)
                if reason:
                    return reason
        elif op == getattr(_c, "ATOMIC_GROUP", None):
            reason = _walk(list(av), unbounded, inside_repeat)
            if reason:
                return reason
    return ""


def _has(items: list[Any], ops: set[Any]) -> bool:
    for op, av in items:
        if op in ops:
            return True
        if op == _c.SUBPATTERN and _has(list(av[-1]), ops):
            return True
        if op == _c.BRANCH and any(_has(list(b), ops) for b in av[1]):
            return True
        if op in _REPEATS and _has(list(av[2]), ops):
            return True
    return False
