"""Numbers as written, in digits or Chinese numerals (三, 十五, 一百二十, 两万, 1.5万, 3千)."""

from __future__ import annotations

import re

#: A regex fragment matching one number, for use in slot patterns as ``{number}``.
NUMBER_PATTERN = (
    r"(?:\d{1,12}(?:\.\d{1,6})?(?:[十百千万亿]{1,2})?"
    # A Chinese number starts with a digit word or 十: a lone 万/千/百 is a unit left over
    # (五十来万 would give 万) or an idiom (千万别), not a number.
    r"|[零〇一二两三四五六七八九十幺][零〇一二两三四五六七八九十百千万亿幺]{0,11})"
)
#: NUMBER_PATTERN compiled.
NUMBER_RE = re.compile(NUMBER_PATTERN)
