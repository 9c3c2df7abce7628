"""Format checks for the project's own labelled signal set (corpus/turns/self-dev.yaml).

These tests only look at the data; they never import the engine.
"""

from __future__ import annotations

import collections
import re
from pathlib import Path

import pytest
import yaml

DATA = Path(__file__).resolve().parent.parent / "corpus" / "turns" / "self-dev.yaml"

SIGNAL_IDS = frozenset({
    "no_need", "no_money", "stall", "agree", "deny", "interest", "price_question",
    "competitor", "decision_maker", "info_disclosure", "request_demo", "ready_to_buy",
    "complaint",
})
MIN_ITEMS = 320
MIN_POSITIVES = 20


@pytest.fixture(scope="module")
def items() -> list[dict]:
    with open(DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict) and set(data) == {"source", "items"}, "top level: 'source' and 'items'"
    assert data["source"]["origin"] == "self" and data["source"]["split"] == "dev"
    assert isinstance(data["items"], list)
    return data["items"]


def test_item_format(items):
    for n, it in enumerate(items, 1):
        assert isinstance(it, dict) and set(it) == {"text", "labels"}, f"item {n}: keys must be text, labels: {it!r}"
        text, labels = it["text"], it["labels"]
        assert isinstance(text, str) and text.strip(), f"item {n}: empty or non-string text: {text!r}"
        assert text == text.strip(), f"item {n}: surrounding whitespace: {text!r}"
        assert isinstance(labels, list), f"item {n} ({text}): labels must be a list"
        unknown = [x for x in labels if x not in SIGNAL_IDS]
        assert not unknown, f"item {n} ({text}): unknown signal ids {unknown}"
        assert len(set(labels)) == len(labels), f"item {n} ({text}): repeated label"


def test_no_duplicate_texts(items):
    counts = collections.Counter(it["text"] for it in items)
    assert not [t for t, c in counts.items() if c > 1], "duplicate texts"
    # Also no near-duplicates differing only in punctuation, spacing or letter case.
    norm = collections.Counter(re.sub(r"[\W_]+", "", it["text"].lower()) for it in items)
    assert not [t for t, c in norm.items() if c > 1], "texts differing only in punctuation/case"


def test_size(items):
    assert len(items) >= MIN_ITEMS


def test_every_signal_has_enough_positives(items):
    counts = collections.Counter(lab for it in items for lab in it["labels"])
    short = {sid: counts[sid] for sid in SIGNAL_IDS if counts[sid] < MIN_POSITIVES}
    assert not short, f"signals with fewer than {MIN_POSITIVES} positives: {short}"


def test_has_negatives_and_multilabel_items(items):
    empty = sum(1 for it in items if not it["labels"])
    multi = sum(1 for it in items if len(it["labels"]) >= 2)
    assert empty >= 0.08 * len(items), f"only {empty} items without any signal"
    assert multi >= 40, f"only {multi} items with several signals"


def test_traditional_share(items):
    opencc = pytest.importorskip("opencc")
    t2s = opencc.OpenCC("t2s")
    trad = sum(1 for it in items if t2s.convert(it["text"]) != it["text"])
    assert trad >= 0.2 * len(items), f"only {trad} of {len(items)} items in Traditional script"
