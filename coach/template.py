"""Reply templates: ``{name}`` is replaced by a slot value, and nothing else ever happens."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Only plain identifiers: ``{x.__class__}`` or ``{x[0]}`` are not references, so a pack
# can never reach Python attributes the way str.format would let it.
_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_ANY_BRACE = re.compile(r"\{[^{}]*\}")
# An empty value (often {customer}) leaves "好的，，您", "。，您" or a leading "，" behind.
_DOUBLE_PUNCT = re.compile(r"([，,、。！？；：])[，,、]+")
_LEADING_PUNCT = re.compile(r"^[\s，,、；;：:]+")


@dataclass(frozen=True)
class Template:
    """A reply text with ``{slot}`` references."""

    text: str
    names: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> Template:
        return cls(text, tuple(dict.fromkeys(_REF.findall(text))))

    def bad_references(self) -> list[str]:
        """Brace groups that are not plain ``{name}`` references (reported by lint)."""
        return [m.group(0) for m in _ANY_BRACE.finditer(self.text) if not _REF.fullmatch(m.group(0))]

    def can_render(self, values: Mapping[str, str]) -> bool:
        return all(values.get(n) for n in self.names)

    def render(self, values: Mapping[str, str]) -> str:
        return _REF.sub(lambda m: values.get(m.group(1), ""), self.text)

    def line(self, values: Mapping[str, str]) -> str:
        """The rendering as a line to say: without the doubled or leading marks an empty value leaves."""
        text = _DOUBLE_PUNCT.sub(r"\1", self.render(values))
        return _LEADING_PUNCT.sub("", text).strip()
