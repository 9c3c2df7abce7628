"""The pack format as one typed model: the reader's key tables and the JSON Schema shipped in
coach/schema/pack.schema.json both come from it (``python -m coach.packs`` writes the file; a
test checks that the shipped file is what the model gives)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..steps import Step
from .model import EXTRACTORS, SLOT_TYPES

Json = dict[str, Any]

#: What an id looks like: signals, moves, slots, rules, packs.
ID_PATTERN = r"^[a-z][a-z0-9_.\-]*$"
#: What a vocabulary or construction name looks like.
NAME_PATTERN = r"^[a-z][a-z0-9_]*$"
TEXT: Json = {"type": "string"}
FLAG: Json = {"type": "boolean"}
ID: Json = {"type": "string", "pattern": ID_PATTERN}
#: A keyword as YAML gives it: text, or a number written bare (2024, 12345).
WORD: Json = {"type": ["string", "integer"]}
STEP: Json = {"enum": [s.value for s in Step]}


def listing(item: Json, min_items: int = 0) -> Json:
    """A list of ``item``."""
    out: Json = {"type": "array", "items": item}
    if min_items:
        out["minItems"] = min_items
    return out


def one_or_more(item: Json, min_items: int = 0) -> Json:
    """One ``item`` or a list of them (a lone value reads as a list of one)."""
    return {"oneOf": [item, listing(item, min_items)]}


def table(value: Json, keys: Json | None = None, description: str = "") -> Json:
    """A mapping from names (each matching ``keys``) to ``value``."""
    out: Json = {"type": "object"}
    if description:
        out["description"] = description
    if keys is not None:
        out["propertyNames"] = keys
    out["additionalProperties"] = value
    return out


@dataclass(frozen=True)
class Section:
    """A mapping with a fixed set of keys: any other key is an error (E101)."""

    fields: dict[str, Json | Section]
    required: tuple[str, ...] = ()
    description: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(self.fields)

    def schema(self) -> Json:
        out: Json = {"type": "object", "additionalProperties": False}
        if self.description:
            out["description"] = self.description
        if self.required:
            out["required"] = list(self.required)
        out["properties"] = {k: v.schema() if isinstance(v, Section) else v for k, v in self.fields.items()}
        return out


CONDITIONS = {name: one_or_more(TEXT) for name in
              ("signals", "any_signals", "not_signals", "slots", "no_slots", "heard", "after", "not_after")}
APPLIED = table(listing(WORD), {"type": "string", "pattern": NAME_PATTERN},
                "construction name → the words or {vocabularies} it is applied to")


def _matcher(extra: dict[str, Json], replace: bool) -> Section:
    alternatives = listing({"oneOf": [WORD, listing(WORD, 1)]})
    fields: dict[str, Json | Section] = {
        "title": TEXT, "description": TEXT, "any": alternatives, "all": alternatives, "none": alternatives,
        "phrases": one_or_more(TEXT), "patterns": one_or_more(TEXT), "negatable": FLAG,
    }
    if replace:  # a later pack may replace a signal; moves are never extended, so never replaced
        fields["replace"] = FLAG
    fields["filled"] = one_or_more(TEXT)
    return Section({**fields, **extra, "constructions": APPLIED})


SIGNAL = _matcher({}, replace=True)
MOVE = _matcher({"step": STEP, "note": TEXT, "red_line": FLAG}, replace=False)
SLOT = Section({
    "title": TEXT, "description": TEXT, "type": {"enum": list(SLOT_TYPES)}, "multi": FLAG,
    "keywords": {"oneOf": [table({"type": ["string", "number", "null"]}), listing(TEXT)]},
    "patterns": one_or_more(TEXT), "extract": one_or_more({"enum": list(EXTRACTORS)}),
})
WHEN = Section({"step": one_or_more(STEP), **CONDITIONS})
RULE = Section({
    "id": ID, "description": TEXT, "when": WHEN,
    "say": one_or_more({"type": "string", "minLength": 1}, 1), "why": {"type": "string", "minLength": 1},
    "next": STEP, "priority": {"type": "integer"}, "answer": FLAG, "tags": one_or_more(TEXT),
    "set": table({"type": ["string", "number"]}), "clear": one_or_more(TEXT),
}, required=("id", "say", "why"))
HEADER = Section({"id": ID, "title": TEXT, "version": {"type": ["string", "number"]}, "description": TEXT,
                  "requires": one_or_more(TEXT)}, required=("id",))
DICTIONARY_ENTRY = Section({"word": TEXT, "freq": {"type": "integer", "minimum": 1}}, required=("word",))
FILLERS = Section({"anywhere": one_or_more(TEXT), "leading": one_or_more(TEXT)},
                  description="words dropped from a customer's turn before the signals read it")
SHARE: Json = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
NEAREST = Section({"k": {"type": "integer", "minimum": 1}, "threshold": SHARE, "agreement": SHARE})
PACK = Section({
    "pack": HEADER,
    "dictionary": listing({"oneOf": [TEXT, DICTIONARY_ENTRY.schema()]}),
    "synonyms": table(one_or_more(TEXT)),
    "negators": one_or_more(TEXT),
    "vocab": table(listing(WORD), {"type": "string", "pattern": NAME_PATTERN},
                   "named word lists, used as {name} in keywords, patterns and constructions"),
    "fillers": FILLERS,
    "constructions": table(one_or_more({"type": "string", "pattern": r"\{x\}"}),
                           {"type": "string", "pattern": NAME_PATTERN}, "construction name → pattern templates with {x}"),
    "signals": table(SIGNAL.schema(), ID),
    "moves": table(MOVE.schema(), ID),
    "slots": table(SLOT.schema(), ID),
    "rules": listing(RULE.schema()),
    "flow": table(listing(STEP), STEP),
    "examples": table(listing({"oneOf": [{"type": "string", "minLength": 1}, listing(TEXT, 1)]}),
                      description="source id → labelled customer turns: a text, or [text, signal, …]"),
    "nearest": NEAREST,
}, required=("pack",))


def pack_schema() -> Json:
    """The JSON Schema of a pack file, for editors and for checking packs outside coach."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://coach.invalid/schema/pack.schema.json",
        "title": "coach rule pack",
        "description": "A coach rule pack: see docs/rule-packs.md.",
        **PACK.schema(),
    }


SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema" / "pack.schema.json"


def schema_text() -> str:
    return json.dumps(pack_schema(), ensure_ascii=False, indent=2) + "\n"
