"""Recording a live session as a golden dialogue that ``coach test`` can replay."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from .limits import clean_text


def _clean(value: Any) -> Any:
    """Text as a UTF-8 file can hold it: a lone surrogate would be written as an escape
    that no YAML reader loads back, and the whole recording could not be resumed."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_dialogue(path: Path, turns: list[dict[str, Any]], packs: list[Any] | None, customer: str) -> None:
    """Write the turns so far as a golden dialogue, replacing the file atomically."""
    turns, customer = _clean(turns), clean_text(customer)
    doc: dict[str, Any] = {
        "dialogue": path.stem,
        "description": f"recorded with coach assist on {time.strftime('%Y-%m-%d %H:%M')}; edit the expectations",
        "packs": [clean_text(str(p)) for p in packs] if packs else ["default"],
    }
    if customer:
        doc["customer"] = customer
    doc["turns"] = turns
    text = "# Golden dialogue recorded by `coach assist --record`. Each expect block holds what the\n" \
           "# coach did at the time: keep what should stay true, delete the rest.\n"
    text += yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
