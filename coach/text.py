"""Text normalisation: one pass that every utterance goes through before matching."""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import opencc

Script = Literal["hans", "hant"]

#: Longest turn the engine reads; the rest is dropped and ``Suggestion.trimmed`` is set.
MAX_TURN_CHARS = 2000

_t2s = opencc.OpenCC("t2s")
# s2t is built on first use: only a customer writing traditional characters needs it, and
# it holds ~26 MB that most processes would carry for nothing.
_s2t: opencc.OpenCC | None = None
_s2t_lock = threading.Lock()

# Everything that is not a letter, digit, CJK ideograph or emoji-ish symbol separates
# clauses. Keeping "%" and "." lets 5% and 1.5 survive as numbers; "-" and "+" likewise.
_SEPARATORS = re.compile(r"[\s,，。.!！?？;；:：、…~～\"'“”‘’「」『』()（）\[\]【】<>《》/\\|]+")
_DECIMAL_DOT = re.compile(r"(?<=\d)\s(?=\d)")


@dataclass(frozen=True)
class Normalised:
    """An utterance in the two forms the engine needs."""

    original: str  # what was typed, trimmed to MAX_TURN_CHARS, control characters removed
    text: str  # simplified, folded, punctuation turned into single spaces: what rules match
    script: Script | None  # "hant" if the input was traditional, None if it gave no clue
    trimmed: bool  # True when the input was longer than MAX_TURN_CHARS
    # ``original`` in simplified characters, found during normalisation (usually at no
    # extra cost); None when the Normalised was built elsewhere. Read ``original_hans``.
    original_simplified: str | None = None

    @property
    def original_hans(self) -> str:
        """``original`` in simplified characters (OpenCC t2s): what replies quote and store."""
        if self.original_simplified is not None:
            return self.original_simplified
        return to_simplified(self.original)


def _clean(raw: str) -> str:
    # Nearly every turn is printable throughout: no surrogate, control or format
    # character (str.isprintable is false for all of them), so nothing below would change.
    if raw.isprintable():
        return raw
    # Lone surrogates cannot be encoded anywhere downstream (JSON, SQLite, terminals).
    if any("\ud800" <= ch <= "\udfff" for ch in raw):
        raw = raw.encode("utf-8", "replace").decode("utf-8")
    out = []
    for ch in raw:
        cat = unicodedata.category(ch)
        if cat == "Cc":
            out.append(" " if ch in "\t\n\r" else "")
        elif cat == "Cf" and ch not in "\u200d":  # keep ZWJ: emoji sequences need it
            continue
        else:
            out.append(ch)
    return "".join(out)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese (OpenCC t2s); other text passes unchanged."""
    return _t2s.convert(text)


def to_traditional(text: str) -> str:
    """Simplified → traditional Chinese (OpenCC s2tw), for answering traditional input.

    s2tw, not s2t: OpenCC's s2t writes its own etymological standard (价格才有 → 價格纔有,
    面条 → 麪條), forms few readers write today; s2tw writes the everyday ones (才, 麵)
    and keeps the wording (no 軟件→軟體 rewriting, unlike s2twp).
    """
    global _s2t
    converter = _s2t
    if converter is None:
        with _s2t_lock:
            if _s2t is None:
                _s2t = opencc.OpenCC("s2tw")
            converter = _s2t
    return converter.convert(text)


@lru_cache(maxsize=4096)
def _fold(text: str) -> tuple[str, bool, str]:
    """(folded and simplified, whether that changed the script, ``text`` simplified)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    simplified = _t2s.convert(folded)
    # Most turns have nothing for NFKC or casefold to change: then the text's own
    # simplified form is the one just computed, and OpenCC is not called a second time.
    original_simplified = simplified if folded == text else _t2s.convert(text)
    return simplified, simplified != folded, original_simplified


def normalise(raw: str) -> Normalised:
    """Normalise one utterance: clean, NFKC width folding, case folding, t2s, punctuation."""
    if not isinstance(raw, str):
        from .errors import InputError

        raise InputError(f"an utterance must be str, not {type(raw).__name__}")
    trimmed = len(raw) > MAX_TURN_CHARS
    if trimmed:
        raw = raw[:MAX_TURN_CHARS]
    original = _clean(raw).strip()
    simplified, was_traditional, original_simplified = _fold(original)
    text = _SEPARATORS.sub(" ", simplified)
    text = _DECIMAL_DOT.sub(".", text) if "." in simplified else text
    text = text.strip()
    return Normalised(
        original=original,
        text=text,
        script="hant" if was_traditional else None,
        trimmed=trimmed,
        original_simplified=original_simplified,
    )


def clauses(text: str) -> list[str]:
    """Split normalised text into clauses (it already has one space between them)."""
    return [c for c in text.split(" ") if c]


def keyword_text(word: str) -> str:
    """A pack's keyword folded as utterances are (so authors may write traditional characters
    or full-width letters and still match), without spaces."""
    return normalise(word).text.replace(" ", "")
