"""The nearest-example fallback: a turn the keyword rules hear nothing in is compared with the
labelled customer turns kept in the packs (``examples:``), and takes the signals its nearest
examples agree on.

Deterministic and local: turns and examples are compared as bags of characters and character
pairs, weighted by how rare each is among the examples (TF-IDF), by cosine similarity. No
model, no download, no network. ``coach explain`` shows the examples that decided, with their
sources.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

#: A feature found in more than this share of the examples says nothing about any of them
#: (的, 我, 了 …) and is not indexed: it would only make every lookup slow.
COMMON_SHARE = 0.08


@dataclass(frozen=True)
class Example:
    text: str  # as written in the pack
    signals: tuple[str, ...]
    source: str  # the corpus source it was taken from


@dataclass(frozen=True)
class Neighbour:
    example: Example
    similarity: float


@dataclass(frozen=True)
class NearestSettings:
    """How the fallback decides (the pack's ``nearest:`` block)."""

    k: int = 5  # how many nearest examples vote
    threshold: float = 0.5  # the nearest must be at least this similar, or nothing is heard
    agreement: float = 0.5  # a signal needs this share of the (similarity-weighted) vote


def features(text: str) -> dict[str, float]:
    """Characters and character pairs of a clause-split text (pairs do not cross clauses)."""
    out: dict[str, float] = {}
    for clause in text.split(" "):
        for i, ch in enumerate(clause):
            out[ch] = out.get(ch, 0.0) + 1.0
            if i + 1 < len(clause):
                pair = clause[i:i + 2]
                out[pair] = out.get(pair, 0.0) + 1.0
    return out


class ExampleIndex:
    """An inverted index over the examples' features; read-only once built."""

    def __init__(self, examples: Iterable[tuple[Example, str]], settings: NearestSettings,
                 skip_sources: frozenset[str] = frozenset()) -> None:
        """``examples``: each example with its text as the signals read it (normalised)."""
        self.settings = settings
        self.skip_sources = skip_sources
        items = list(examples)
        self.examples = [e for e, _ in items]
        feats = [features(t) for _, t in items]
        n = len(items)
        df: dict[str, int] = {}
        for f in feats:
            for key in f:
                df[key] = df.get(key, 0) + 1
        limit = max(2, int(COMMON_SHARE * n))
        self.idf = {key: math.log((n + 1) / (d + 1)) + 1.0 for key, d in df.items() if d <= limit}
        self.postings: dict[str, list[tuple[int, float]]] = {}
        self.norms: list[float] = []
        for i, f in enumerate(feats):
            weights = {key: (1.0 + math.log(c)) * self.idf[key] for key, c in f.items() if key in self.idf}
            norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
            self.norms.append(norm)
            for key, w in weights.items():
                self.postings.setdefault(key, []).append((i, w / norm))

    def excluding(self, sources: Iterable[str]) -> ExampleIndex:
        """The same index that never answers with an example of these sources (to score a
        source whose own turns are among the examples)."""
        clone = object.__new__(ExampleIndex)
        clone.__dict__.update(self.__dict__)
        clone.skip_sources = self.skip_sources | frozenset(sources)
        return clone

    def __len__(self) -> int:
        return len(self.examples)

    def nearest(self, text: str) -> list[Neighbour]:
        """The k examples most like ``text`` (normalised), most similar first."""
        f = features(text)
        weights = {key: (1.0 + math.log(c)) * self.idf[key] for key, c in f.items() if key in self.idf}
        norm = math.sqrt(sum(w * w for w in weights.values()))
        if not norm:
            return []
        scores: dict[int, float] = {}
        for key, w in weights.items():
            q = w / norm
            for i, v in self.postings.get(key, ()):
                scores[i] = scores.get(i, 0.0) + q * v
        skip = self.skip_sources
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
        out: list[Neighbour] = []
        for i, sim in ranked:
            e = self.examples[i]
            if skip and e.source in skip:
                continue
            out.append(Neighbour(e, sim))
            if len(out) == self.settings.k:
                break
        return out

    def vote(self, neighbours: list[Neighbour]) -> list[str]:
        """The signals the neighbours agree on; none unless the nearest is close enough."""
        s = self.settings
        if not neighbours or neighbours[0].similarity < s.threshold:
            return []
        total = sum(n.similarity for n in neighbours)
        tally: dict[str, float] = {}
        for n in neighbours:
            for sig in n.example.signals:
                tally[sig] = tally.get(sig, 0.0) + n.similarity
        return sorted(sig for sig, w in tally.items() if w / total >= s.agreement)
