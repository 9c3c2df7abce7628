"""``coach explain`` goes the way ``hear`` goes: one rule selector, the same winner on every
customer line of the corpora, in fresh sessions and in the middle of real conversations."""

from __future__ import annotations

import yaml
from conftest import ROOT

from coach import Coach


def _corpus(folder: str) -> list[dict]:
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "corpus" / folder).glob("*.yaml"))]


def test_explain_winner_is_hears_rule_on_every_corpus_turn(coach: Coach) -> None:
    texts = [item["text"] for doc in _corpus("turns") for item in doc["items"]]
    assert len(texts) > 1000
    for text in texts:
        assert coach.explain(text).winner == coach.session().hear(text).rule, text


def test_explain_winner_is_hears_rule_through_conversations(coach: Coach) -> None:
    """Session state (step, slots, previous move, rule counts) feeds both the same way."""
    turns = 0
    for doc in _corpus("conversations"):
        session = coach.session(customer=doc.get("customer") or "")
        for turn in doc["turns"]:
            if turn.get("salesperson"):
                session.say(turn["salesperson"])
            if turn.get("customer"):
                explained = session.explain(turn["customer"])
                assert explained.winner == session.hear(turn["customer"]).rule, turn["customer"]
                assert sum(not c.lost for c in explained.candidates) == 1
                turns += 1
    assert turns > 200
