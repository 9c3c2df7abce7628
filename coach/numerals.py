"""Numbers written in digits or Chinese numerals (三, 十五, 一百二十, 两万, 1.5万, 3千)."""

from __future__ import annotations

import re

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9, "幺": 1}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

#: A regex fragment matching one number, for use in slot patterns as ``{number}``.
NUMBER_PATTERN = (
    r"(?:\d{1,12}(?:\.\d{1,6})?(?:[十百千万亿]{1,2})?"
    # A Chinese number starts with a digit word or 十: a lone 万/千/百 is a unit left over
    # (五十来万 would give 万) or an idiom (千万别), not a number.
    r"|[零〇一二两三四五六七八九十幺][零〇一二两三四五六七八九十百千万亿幺]{0,11})"
)
#: NUMBER_PATTERN compiled.
NUMBER_RE = re.compile(NUMBER_PATTERN)


def _parse_chinese(text: str) -> int | None:
    total = 0  # completed 万/亿 sections
    section = 0  # within the current 万 section
    digit: int | None = None
    for ch in text:
        if ch in _DIGITS:
            if digit is not None:  # 一二三 read as digits: 一二三 -> 123
                digit = digit * 10 + _DIGITS[ch]
            else:
                digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            section += digit or 0
            if section == 0:
                section = 1
            total = (total + section) * _BIG_UNITS[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def parse_number(text: str) -> float | int | None:
    """The value of one number: ``"十五"`` → 15, ``"1.5万"`` → 15000, ``"两"`` → 2.

    Returns None when the text is not a number.
    """
    text = text.strip()
    if not text:
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]{0,2})", text)
    if m:
        value: float = float(m.group(1))
        for unit in m.group(2):
            value *= {**_SMALL_UNITS, **_BIG_UNITS}[unit]
        return int(value) if value == int(value) else value
    result = _parse_chinese(text)
    return result


def find_numbers(text: str) -> list[tuple[int, int, float | int]]:
    """Every number in the text as (start, end, value)."""
    out = []
    for m in NUMBER_RE.finditer(text):
        value = parse_number(m.group(0))
        if value is not None:
            out.append((m.start(), m.end(), value))
    return out
