"""The public API: what the README and docs/embedding.md advertise is importable from ``coach``."""

from __future__ import annotations

import importlib.util
import re

from conftest import ROOT

import coach


def test_all_is_sorted_and_importable() -> None:
    """Sorted as isort (and ruff) sort it: constants, then classes, then functions."""
    assert coach.__all__ == sorted(coach.__all__, key=lambda n: (not n.isupper(), not n[0].isupper(), n))
    assert all(hasattr(coach, name) for name in coach.__all__)


def test_names_the_docs_import_from_coach_exist() -> None:
    for doc in ("README.md", "docs/embedding.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for names in re.findall(r"^from coach import (.+)$", text, re.M):
            for name in (n.strip() for n in names.split(",")):
                known = name in coach.__all__ or importlib.util.find_spec(f"coach.{name}") is not None
                assert known, (doc, name)
    assert "handle" in coach.__all__
