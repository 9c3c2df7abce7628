"""Rule packs: the format (model), reading one file (read), composing a set (compose) and
loading by name, file or folder (load)."""

from .load import load_or_raise, load_packset
from .model import QUESTION_MARK, Matcher, PackSet, Rule, Where
from .read import bundled_packs, read_file

__all__ = [
    "QUESTION_MARK",
    "Matcher",
    "PackSet",
    "Rule",
    "Where",
    "bundled_packs",
    "load_or_raise",
    "load_packset",
    "read_file",
]
