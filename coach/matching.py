"""Matching: tokens, keyword occurrences, negation, signals, moves and slots of one utterance."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .extract import EXTRACTOR_PATTERNS, extract_dates, extract_numbers, extract_people
from .literals import Prefilter
from .nearest import Example, ExampleIndex, NearestSettings, Neighbour
from .packs import QUESTION_MARK, Matcher, PackSet
from .safepattern import PATTERN_INPUT_CHARS
from .segment import Segmenter
from .text import Normalised

# A keyword made only of these characters can be a jieba token; anything else (emoji,
# symbols) is looked for as a plain substring.
_WORDLIKE = re.compile(r"^[\u4e00-\u9fffa-z0-9+#&._%\-]+$")
#: Words in a conjunction must all fall within this many characters.
CONJUNCTION_WINDOW = 16
#: How many tokens before a keyword are checked for a negator.
NEGATION_LOOKBACK = 2
#: What separates clauses in an utterance (the same marks text.normalise turns into spaces),
#: kept here to find which clauses the customer ended with a question mark.
_CLAUSE_MARKS = re.compile(r"[\s,，。.!！?？;；:：、…~～\"'“”‘’「」『』()（）\[\]【】<>《》/\\|]+")
# Three or more of the same character in a row is a stammer or a transcript's echo
# (我我我, 行行行行): one is kept. Two (看看, 谢谢, 对对) are words.
_STAMMER = re.compile(r"([\u4e00-\u9fff])\1{2,}")
_VOCAB_WORD = re.compile(r"^\{([a-z][a-z0-9_]*)\}$")


class Occ(NamedTuple):
    """One place a keyword occurs in the normalised text.

    A NamedTuple, not a dataclass: a turn creates dozens and a frozen dataclass costs
    several times more to build.
    """

    start: int
    end: int
    negated: bool
    negator: str = ""  # the word that negates it ("" when not negated)


def _key_part(alt: tuple[frozenset[str], ...]) -> frozenset[str]:
    """The part of a conjunction to index it by: every part must occur, so any one will
    do; the one least likely to occur by chance (fewest, longest words) wastes fewest tries."""
    return min(alt, key=lambda group: sum(16.0 ** -len(w) for w in group))


@dataclass(frozen=True)
class _CompiledMatcher:
    any: tuple[tuple[frozenset[str], ...], ...]
    all: tuple[frozenset[str], ...]
    none: tuple[tuple[frozenset[str], ...], ...]
    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    negatable: bool
    filled: tuple[str, ...]
    # The words of each ``any`` alternative together: a negator among them is part of
    # what the alternative says (没+时间), so it negates nothing inside it.
    any_words: tuple[frozenset[str], ...] = ()
    all_words: frozenset[str] = frozenset()
    # Every ``any`` word in declaration order, repeats kept: the order the negation
    # report lists them in.
    any_order: tuple[str, ...] = ()
    any_set: frozenset[str] = frozenset()
    pattern_src: tuple[str, ...] = ()  # see Matcher.pattern_src


class _Table:
    """The per-turn index of one matcher table (signals or moves).

    Each ``any`` and ``none`` alternative is filed under the words of one of its parts, so
    a turn tries only the alternatives one of whose required words is present instead of
    all of them; the same lookup yields the candidate matchers (``index``, ``always``).
    """

    def __init__(self, table: dict[str, _CompiledMatcher], index: dict[str, set[str]], always: list[str]) -> None:
        alts: dict[str, list[tuple[str, int]]] = {}
        nones: dict[str, list[tuple[str, int]]] = {}
        for mid, cm in table.items():
            for by_word, source in ((alts, cm.any), (nones, cm.none)):
                for i, alt in enumerate(source):
                    if alt:
                        for w in _key_part(alt):
                            by_word.setdefault(w, []).append((mid, i))
        # One lookup per present word: (matchers it makes candidates, its alternatives,
        # its none: alternatives).
        self.by_word: dict[str, tuple[frozenset[str], tuple[tuple[str, int], ...], tuple[tuple[str, int], ...]]] = {
            w: (frozenset(index.get(w, ())), tuple(alts.get(w, ())), tuple(nones.get(w, ())))
            for w in {*index, *alts, *nones}}
        self.always = frozenset(always)

    def scan(self, occ: dict[str, list[Occ]]) -> tuple[set[str], dict[str, list[int]], dict[str, list[int]]]:
        """The candidate matchers of a turn, and per matcher the indexes (ascending) of its
        ``any`` and ``none`` alternatives worth trying."""
        candidates = set(self.always)
        alt_hits: dict[str, set[int]] = {}
        none_hits: dict[str, set[int]] = {}
        by_word = self.by_word
        for w in occ:
            entry = by_word.get(w)
            if entry is None:
                continue
            mids, alts, nones = entry
            if mids:
                candidates |= mids
            for mid, i in alts:
                alt_hits.setdefault(mid, set()).add(i)
            for mid, i in nones:
                none_hits.setdefault(mid, set()).add(i)
        return (candidates, {mid: sorted(ids) for mid, ids in alt_hits.items()},
                {mid: sorted(ids) for mid, ids in none_hits.items()})


class _Turn(NamedTuple):
    """What every matcher of one turn reads: computed once per turn, not per matcher."""

    occ: dict[str, list[Occ]]
    text: str
    clauses: list[str]
    live: dict[str, list[int]]  # matcher → its patterns whose required text is present
    alt_hits: dict[str, list[int]]  # matcher → any-alternatives one of whose words occurs
    none_hits: dict[str, list[int]]  # matcher → none-alternatives likewise
    negated: set[str]  # words all of whose occurrences are negated
    phrases: frozenset[str]  # the matchers' phrases that occur in the text
    pattern_clauses: list[str]  # the clauses patterns read: an asked clause also with "?" at its end


@dataclass
class Analysis:
    """Everything the engine read from one utterance. ``explain`` shows it."""

    norm: Normalised
    tokens: list[tuple[str, int, int]]
    occurrences: dict[str, list[Occ]]
    signals: dict[str, list[str]] = field(default_factory=dict)  # id → keywords that fired
    vetoed: dict[str, list[str]] = field(default_factory=dict)  # id → words that vetoed or negated
    slots: dict[str, list[str]] = field(default_factory=dict)  # id → values found
    heard: str = ""  # the text the signals read: norm.text without fillers and stammers
    # the labelled examples the nearest-example fallback compared the turn with (when the
    # keyword rules heard nothing), most similar first
    nearest: list[Neighbour] = field(default_factory=list)


class Matching:
    """The compiled, read-only matching tables of one PackSet; shared by all sessions."""

    def __init__(self, packset: PackSet, segmenter: Segmenter) -> None:
        self.segmenter = segmenter
        syn: dict[str, set[str]] = {}
        for head, others in packset.synonyms:
            group = {head, *others}
            for w in group:
                syn.setdefault(w, set()).update(group)
        self._syn = syn
        self.negators = frozenset(packset.negators)
        # Vocabularies: {money} in a keyword stands for every word of the list; the group of
        # words remembers its name, so explain can say {money}=预算.
        self.vocab: dict[str, frozenset[str]] = {name: frozenset(words) for name, words in packset.vocab}
        self._vocab_names: dict[frozenset[str], str] = {}
        anywhere, leading = packset.fillers
        self._fillers_anywhere = re.compile("|".join(map(re.escape, sorted(anywhere, key=len, reverse=True)))) \
            if anywhere else None
        self._fillers_leading = re.compile(
            "^(?:" + "|".join(map(re.escape, sorted(leading, key=len, reverse=True))) + ")+") if leading else None
        # Every character of every negator: a text with none of them negates nothing.
        self._negator_chars = frozenset("".join(self.negators))
        self.signals = {sid: self._compile(s.match) for sid, s in packset.signals.items()}
        self.moves = {mid: self._compile(m.match) for mid, m in packset.moves.items()}
        self.slots = packset.slots
        # Every pattern of every signal, move and slot in one prefilter, run once a turn;
        # _owners[i] says whose pattern i is: (kind, id, index in its owner's patterns).
        self._owners: list[tuple[str, str, int]] = []
        patterns: list[re.Pattern[str]] = []
        for kind, owners in (("signal", {k: v.match.patterns for k, v in packset.signals.items()}),
                             ("move", {k: v.match.patterns for k, v in packset.moves.items()}),
                             ("slot", {k: v.patterns for k, v in packset.slots.items()}),
                             ("extract", {name: pats for name, pats in EXTRACTOR_PATTERNS.items()
                                          if any(name in slot.extract for slot in packset.slots.values())})):
            for oid, pats in owners.items():
                for j, pat in enumerate(pats):
                    self._owners.append((kind, oid, j))
                    patterns.append(pat)
        self._prefilter = Prefilter(patterns)
        # keyword → the signals / moves whose matchers name it: the index that keeps the
        # cost of a turn independent of how many signals a pack set has.
        self.kw_signals: dict[str, set[str]] = {}
        self.kw_moves: dict[str, set[str]] = {}
        self.always_signals: list[str] = []  # those with phrases or patterns
        self.always_moves: list[str] = []
        for table, index, always in ((self.signals, self.kw_signals, self.always_signals),
                                     (self.moves, self.kw_moves, self.always_moves)):
            for sid, cm in table.items():
                for alt in cm.any:
                    for k in alt[0]:  # the first word of an alternative is enough to index it
                        index.setdefault(k, set()).add(sid)
                if not cm.any and cm.all:
                    for k in cm.all[0]:
                        index.setdefault(k, set()).add(sid)
                if cm.phrases or cm.patterns:
                    always.append(sid)
        self.filled_signals = [sid for sid, cm in self.signals.items() if cm.filled]
        self._signal_table = _Table(self.signals, self.kw_signals, self.always_signals)
        self._move_table = _Table(self.moves, self.kw_moves, self.always_moves)
        # Matchers that need a look even with no alternative hit: those made of all: only,
        # and, per phrase, those that name it.
        self._all_only_signals = {sid for sid, cm in self.signals.items()
                                  if cm.all and not (cm.any or cm.phrases or cm.patterns)}
        self._all_only_moves = {mid for mid, cm in self.moves.items()
                                if cm.all and not (cm.any or cm.phrases or cm.patterns)}
        self.phrase_owners: dict[str, set[str]] = {}
        for table in (self.signals, self.moves):
            for mid, cm in table.items():
                for p in cm.phrases:
                    self.phrase_owners.setdefault(p, set()).add(mid)
        # The first character of every phrase: a text with none of them holds no phrase
        # (most turns: the phrases are English words and emoji).
        self._phrase_heads = frozenset(p[0] for p in self.phrase_owners if p)
        self.slot_keywords: dict[str, list[tuple[str, str]]] = {}
        for slot in packset.slots.values():
            for kw, value in slot.keywords:
                for k in self._expand(kw):
                    self.slot_keywords.setdefault(k, []).append((slot.id, value))
        words = set(self.kw_signals) | set(self.kw_moves) | set(self.slot_keywords)
        for table in (self.signals, self.moves):
            for cm in table.values():
                for words_of in [*(g for alt in cm.any for g in alt), *cm.all, *(g for alt in cm.none for g in alt)]:
                    words |= words_of
        self.phrase_words = {w for w in words if not _WORDLIKE.match(w)}
        self.token_words = words - self.phrase_words
        self.max_len = max((len(w) for w in self.token_words), default=1)
        # Every proper prefix of a token word: a run of tokens that is not one cannot grow
        # into a word, so the scan of runs stops at once for most tokens.
        self._prefixes = frozenset(w[:k] for w in self.token_words for k in range(1, len(w)))
        self._examples = packset.examples
        self._nearest_settings = NearestSettings(*packset.nearest) if packset.nearest else NearestSettings()
        self._example_index: ExampleIndex | None = None

    @property
    def examples(self) -> ExampleIndex | None:
        """The index of the packs' labelled examples, built on first use; None without any."""
        if self._example_index is None and self._examples:
            def heard(text: str) -> str:
                from .text import normalise

                return " ".join(self.hearing_clauses(normalise(text))[0])

            self._example_index = ExampleIndex(
                ((Example(text, sigs, source), heard(text)) for source, text, sigs in self._examples
                 if all(sig in self.signals for sig in sigs)),
                self._nearest_settings)
        return self._example_index

    def without_examples_of(self, sources: Iterable[str]) -> Matching:
        """A copy that never answers from the examples of these sources (the rest is shared)."""
        import copy

        clone = copy.copy(self)
        index = self.examples
        clone._example_index = index.excluding(sources) if index is not None else None
        return clone

    def _expand(self, word: str) -> frozenset[str]:
        m = _VOCAB_WORD.match(word)
        if m and m.group(1) in self.vocab:
            group = frozenset(w2 for w in self.vocab[m.group(1)] for w2 in self._syn.get(w, {w}) | {w})
            self._vocab_names.setdefault(group, m.group(1))
            return group
        return frozenset(self._syn.get(word, {word}) | {word})

    def _word(self, group: frozenset[str], word: str) -> str:
        """How explain shows a keyword hit: the word, and its vocabulary when it came from one."""
        name = self._vocab_names.get(group)
        return f"{{{name}}}={word}" if name else word

    def _pattern_hit(self, hit: str, src: str) -> str:
        """How explain shows a pattern hit that names vocabularies or comes from a construction:
        the text matched, then the construction and the vocabulary words in it."""
        head = ""
        if ":" in src and src.split(":", 1)[0].isidentifier():
            head, src = src.split(":", 1)
        parts = [head] if head else []
        for name in dict.fromkeys(re.findall(r"\{([a-z][a-z0-9_]*)\}", src)):
            found = [w for w in sorted(self.vocab.get(name, ()), key=len, reverse=True) if w in hit]
            if found:
                parts.append(f"{{{name}}}={found[0]}")
        return f"{hit}〔{' '.join(parts)}〕" if parts else hit

    def hearing_clauses(self, norm: Normalised) -> tuple[list[str], list[bool]]:
        """A customer's clauses as the signals read them: fillers (嗯, 呃, a leading 那个) and
        stammers (我我我) dropped, with whether the customer ended each with a question mark."""
        raw = norm.text.split(" ") if norm.text else []
        asked = [False] * len(raw)
        if "?" in norm.original or "？" in norm.original:
            marks = _CLAUSE_MARKS.findall(norm.original.strip())
            parts = _CLAUSE_MARKS.split(norm.original.strip())
            if parts and not parts[0]:
                parts, marks = parts[1:], marks[1:]
            flags = [("?" in mk or "？" in mk) for mk in marks] + [False]
            flags = [f for part, f in zip(parts, flags) if part]
            # Only when the clauses line up one to one (a decimal point can join two).
            if len(flags) == len(raw):
                asked = flags
        clauses: list[str] = []
        flags_out: list[bool] = []
        for clause, q in zip(raw, asked):
            c = clause
            if self._fillers_anywhere is not None:
                c = self._fillers_anywhere.sub("", c)
            if self._fillers_leading is not None:
                c = self._fillers_leading.sub("", c)
            c = _STAMMER.sub(r"\1", c)
            if c:
                clauses.append(c)
                flags_out.append(q)
        if not clauses and raw:
            # A turn that is nothing but fillers (嗯, 喂?) is read as it was said.
            return [c for c in raw if c], [q for c, q in zip(raw, asked) if c]
        return clauses, flags_out

    def _compile(self, m: Matcher) -> _CompiledMatcher:
        any_ = tuple(tuple(self._expand(k) for k in alt) for alt in m.any)
        all_ = tuple(self._expand(k) for k in m.all)
        order = tuple(k for alt in any_ for g in alt for k in g)
        return _CompiledMatcher(
            any=any_,
            all=all_,
            none=tuple(tuple(self._expand(k) for k in alt) for alt in m.none),
            phrases=m.phrases,
            patterns=m.patterns,
            negatable=m.negatable,
            filled=m.filled,
            any_words=tuple(frozenset().union(*alt) for alt in any_),
            all_words=frozenset().union(*all_),
            any_order=order,
            any_set=frozenset(order),
            pattern_src=m.pattern_src,
        )

    # -- reading one utterance ---------------------------------------------------------

    def tokenize(self, text: str) -> list[tuple[str, int, int]]:
        """(word, start, end) for each word of the segmenter, spaces included."""
        return self.segmenter.tokenize(text) if text else []

    def analyse(self, norm: Normalised, *, moves: bool = False) -> Analysis:
        """Read one utterance: keyword occurrences, then signals (or moves) and slots."""
        if moves:
            text = norm.text
            clause_list = text.split(" ") if text else []
            pattern_clauses = clause_list
        else:
            # A customer's turn is read without its fillers and stammers; a clause asked with
            # a question mark carries it for the signal patterns.
            clause_list, asked = self.hearing_clauses(norm)
            text = " ".join(clause_list)
            # Both forms of an asked clause: patterns that look for the mark see it, and those
            # anchored at the clause's end ($) still match the words alone.
            pattern_clauses = [form for c, q in zip(clause_list, asked)
                               for form in ((c + QUESTION_MARK, c) if q else (c,))]
        tokens = self.tokenize(text)
        occ = self._occurrences(text, tokens)
        a = Analysis(norm, tokens, occ)
        a.heard = text
        table = self.moves if moves else self.signals
        candidates, alt_hits, none_hits = (self._move_table if moves else self._signal_table).scan(occ)
        live = self._live(" ".join(pattern_clauses) if pattern_clauses is not clause_list else text)
        if not moves:
            a.slots = self._slots(text, clause_list, occ, norm, live.get("slot", {}), live.get("extract", {}))
        # Words all of whose occurrences are negated (none without a negator character).
        negated = set() if self._negator_chars.isdisjoint(text) else {
            k for k, os in occ.items() if all(o.negated for o in os)}
        phrases = frozenset() if self._phrase_heads.isdisjoint(text) else frozenset(
            p for p in self.phrase_owners if p in text)
        turn = _Turn(occ, text, clause_list, live.get("move" if moves else "signal", {}), alt_hits, none_hits,
                     negated, phrases, pattern_clauses)
        # A matcher with no alternative worth trying, no live pattern, no phrase and no
        # negated word of its own can neither fire nor report: skip it.
        active = set(turn.alt_hits) | set(turn.live) | (self._all_only_moves if moves else self._all_only_signals)
        if turn.negated:
            active.update(sid for sid in candidates if not table[sid].any_set.isdisjoint(turn.negated))
        for p in phrases:
            active |= self.phrase_owners[p]
        for sid in sorted(candidates & active):
            fired = self._evaluate(table[sid], turn, a, sid)
            if fired:
                a.signals[sid] = fired
        self._fill_from_slots(a, table, turn, moves)
        if not moves and not a.signals and self._examples:
            self._fallback(a, text)
        return a

    def _fallback(self, a: Analysis, text: str) -> None:
        """Nothing heard by the rules: the signals the nearest labelled examples agree on."""
        index = self.examples
        if index is None or not text:
            return
        a.nearest = index.nearest(text)
        for sig in index.vote(a.nearest):
            if sig in self.signals:
                a.signals[sig] = [f"≈{n.example.text}〔{n.example.source} {n.similarity:.2f}〕"
                                  for n in a.nearest if sig in n.example.signals][:2]

    def _fill_from_slots(self, a: Analysis, table: dict[str, _CompiledMatcher], turn: _Turn, moves: bool) -> None:
        for sid in self.filled_signals if not moves else ():
            if sid not in a.signals and sid not in a.vetoed:
                cm = table[sid]
                got = [f"{k}={a.slots[k][0]}" for k in cm.filled if a.slots.get(k)]
                if got:
                    # A none: veto holds against filled slots too.
                    veto = self._veto(cm, turn, sid) if cm.none else None
                    if veto is None:
                        a.signals[sid] = got
                    else:
                        a.vetoed[sid] = veto

    def _live(self, text: str) -> dict[str, dict[str, list[int]]]:
        """kind → owner → indexes (ascending) of its patterns that can match ``text``."""
        out: dict[str, dict[str, list[int]]] = {}
        if not text or not self._owners:
            return out
        owners = self._owners
        for i in sorted(self._prefilter.live(text)):
            kind, oid, j = owners[i]
            out.setdefault(kind, {}).setdefault(oid, []).append(j)
        return out

    def occurrences(self, text: str) -> dict[str, list[Occ]]:
        """Where each keyword of the packs occurs in ``text`` (normalised), and whether negated."""
        return self._occurrences(text, self.tokenize(text))

    def find_words(self, text: str, words: set[str]) -> set[str]:
        """Which of ``words`` occur in ``text`` on token edges (the keyword rules, any word set)."""
        norm_text = text
        tokens = self.tokenize(norm_text)
        return set(self._occurrences(norm_text, tokens, words, max(map(len, words), default=1)))

    def _occurrences(self, text: str, tokens: list[tuple[str, int, int]], words: set[str] | None = None,
                     max_len: int | None = None) -> dict[str, list[Occ]]:
        phrases = self.phrase_words if words is None else set()
        prefixes = self._prefixes if words is None else None
        words = self.token_words if words is None else words
        found: dict[str, list[tuple[int, int]]] = {}
        is_word = self.segmenter.is_word
        n = len(tokens)
        max_len = max_len or self.max_len
        for i in range(n):
            w, s, e = tokens[i]
            if w == " ":
                continue
            # Whole tokens and runs of tokens (不+需要 → 不需要), never crossing a clause.
            j, cat = i, w
            while True:
                if cat in words:
                    found.setdefault(cat, []).append((s, tokens[j][2]))
                j += 1
                if j >= n or tokens[j][0] == " ":
                    break
                if prefixes is not None and cat not in prefixes:
                    break
                cat += tokens[j][0]
                if len(cat) > max_len:
                    break
            # Words jieba merged into a longer token (考虑 in 考虑一下, 售后 in 售后服务),
            # found the way its search mode finds them: dictionary words inside the token.
            if len(w) > 2:
                for size in (2, 3):
                    for k in range(len(w) - size + 1):
                        sub = w[k:k + size]
                        if sub in words and is_word(sub):
                            found.setdefault(sub, []).append((s + k, s + k + size))
        for p in phrases:
            start = text.find(p)
            while start != -1:
                found.setdefault(p, []).append((start, start + len(p)))
                start = text.find(p, start + 1)
        out: dict[str, list[Occ]] = {}
        # tuple.__new__ straight: Occ(...) goes through a Python-level __new__, twice the cost.
        new = tuple.__new__
        if self._negator_chars.isdisjoint(text):
            for word, spans in found.items():
                out[word] = [new(Occ, (s, e, False, "")) for s, e in
                             (spans if len(spans) == 1 else dict.fromkeys(spans))]
            return out
        starts = [t[1] for t in tokens]
        negator = self._negator
        for word, spans in found.items():
            occs = []
            for s, e in (spans if len(spans) == 1 else dict.fromkeys(spans)):
                neg = negator(s, tokens, starts)
                occs.append(new(Occ, (s, e, bool(neg), neg)))
            out[word] = occs
        return out

    def _negator(self, start: int, tokens: list[tuple[str, int, int]], starts: list[int]) -> str:
        """The negator that negates a word starting at ``start``, or ""."""
        # The tokens ending at or before `start`, back to the clause boundary.
        i = bisect.bisect_right(starts, start) - 1
        if i >= 0 and tokens[i][1] < start:
            # The keyword starts inside token i (a merged word): look at its own head too.
            head = tokens[i][0][: start - tokens[i][1]]
            if head in self.negators:
                return head
            if head[-1:] in self.negators:
                return head[-1:]
        i = i - 1 if i >= 0 and tokens[i][1] == start else i
        for _ in range(NEGATION_LOOKBACK):
            if i < 0:
                return ""
            w = tokens[i][0]
            if w == " ":
                return ""
            if w in self.negators:
                return w
            i -= 1
        return ""

    @staticmethod
    def _present(group: frozenset[str], occ: dict[str, list[Occ]], negatable: bool,
                 own: frozenset[str] = frozenset()) -> list[tuple[str, Occ]]:
        """Occurrences of the group's words that count: not negated, unless by one of ``own``."""
        out = []
        for k in group:
            for o in occ.get(k, ()):
                if not (negatable and o.negated and o.negator not in own):
                    out.append((k, o))
        return out

    def _conj(self, alt: tuple[frozenset[str], ...], occ: dict[str, list[Occ]], negatable: bool,
              own: frozenset[str] = frozenset()) -> list[str] | None:
        """The words of a conjunction if every part occurs, all within the window.

        ``own``: the conjunction's own words; one of them in front of another is part of
        the phrase the conjunction describes (没 in 没+时间), not a negation of it.
        """
        parts = [self._present(g, occ, negatable, own) for g in alt]
        if not all(parts):
            return None
        if len(parts) == 1:
            return [self._word(alt[0], parts[0][0][0])]
        # Try each occurrence of the first part as an anchor; the window must hold them all.
        for k0, o0 in parts[0]:
            chosen = [self._word(alt[0], k0)]
            lo, hi = o0.start, o0.end
            ok = True
            for g, p in zip(alt[1:], parts[1:]):
                best = min(p, key=lambda kv: abs(kv[1].start - o0.start))
                lo, hi = min(lo, best[1].start), max(hi, best[1].end)
                chosen.append(self._word(g, best[0]))
            if hi - lo <= CONJUNCTION_WINDOW and ok:
                return chosen
        return None

    def _veto(self, cm: _CompiledMatcher, turn: _Turn, sid: str) -> list[str] | None:
        """The words of the first ``none:`` alternative that occurs, else None."""
        for i in turn.none_hits.get(sid, ()):
            got = self._conj(cm.none[i], turn.occ, False)
            if got:
                return ["+".join(got)]
        return None

    def _evaluate(self, cm: _CompiledMatcher, turn: _Turn, a: Analysis, sid: str) -> list[str]:
        # The veto is decided first and holds whatever else occurs: a vetoed matcher
        # neither fires nor (see analyse) is filled by slots. What follows still runs under
        # a veto only so that explain reports as before: the vetoing words when the matcher
        # would have fired, the negated words when not. Vetoes are rare; a turn without
        # one pays a dict lookup for this.
        veto = self._veto(cm, turn, sid) if cm.none else None
        occ = turn.occ
        fired: list[str] = []
        negatable = cm.negatable
        for i in turn.alt_hits.get(sid, ()):
            alt = cm.any[i]
            if len(alt) == 1:
                # One part (most keywords): _conj's answer is its first word, in the group's
                # order, with an occurrence that counts; found here without building lists.
                own = cm.any_words[i]
                for k in alt[0]:
                    if any(not (negatable and o.negated and o.negator not in own) for o in occ.get(k, ())):
                        fired.append(self._word(alt[0], k))
                        break
                continue
            got = self._conj(alt, occ, negatable, cm.any_words[i])
            if got:
                fired.append("+".join(got))
        for p in cm.phrases:
            if p in turn.phrases:
                fired.append(p)
        # Only the patterns whose required text is present: the others cannot match.
        for j in turn.live.get(sid, ()):
            pat = cm.patterns[j]
            for clause in turn.pattern_clauses:
                m = pat.search(clause[:PATTERN_INPUT_CHARS])
                if m:
                    src = cm.pattern_src[j] if cm.pattern_src else ""
                    fired.append(self._pattern_hit(m.group(0), src) if src else m.group(0))
                    break
        if not fired and cm.any and not cm.any_set.isdisjoint(turn.negated):
            # Say why a signal whose keyword was there did not fire: negation.
            a.vetoed[sid] = [f"{k}(否定)" for k in cm.any_order if k in turn.negated]
        if (cm.any or cm.phrases or cm.patterns) and not fired:
            return []
        for group in cm.all:
            present = self._present(group, occ, cm.negatable, cm.all_words)
            if not present:
                return []
            if not (cm.any or cm.phrases or cm.patterns):
                fired.append(present[0][0])
        if veto is not None:
            a.vetoed[sid] = veto
            return []
        return fired

    def _slots(self, text: str, clause_list: list[str], occ: dict[str, list[Occ]],
               norm: Normalised, live: dict[str, list[int]] | None = None,
               extractors: dict[str, list[int]] | None = None) -> dict[str, list[str]]:
        """Slot values in the utterance. ``live``: slot → the patterns worth running;
        ``extractors``: the built-in extractors worth running (each: all when None)."""
        out: dict[str, list[str]] = {}

        def add(sid: str, value: str) -> None:
            value = value.strip()
            if value and value not in out.setdefault(sid, []):
                out[sid].append(value)

        for slot in self.slots.values():
            runs = range(len(slot.patterns)) if live is None else live.get(slot.id, ())
            for j in runs:
                pat = slot.patterns[j]
                for clause in clause_list:
                    for m in pat.finditer(clause[:PATTERN_INPUT_CHARS]):
                        add(slot.id, tidy_value(_group_value(m)))
            for name in slot.extract:
                if extractors is not None and name not in extractors:
                    continue  # none of its regexes can match: it would find nothing
                if name == "person":
                    for v in extract_people(norm.text):
                        add(slot.id, v)
                elif name == "number":
                    for v in extract_numbers(norm.text):
                        add(slot.id, v)
                elif name == "date":
                    for v in extract_dates(norm.text):
                        add(slot.id, v)
        hits = []
        for k, occs in occ.items():
            for sid, value in self.slot_keywords.get(k, ()):
                counted = [o for o in occs if not o.negated]
                # A keyword inside a value a pattern already captured adds nothing.
                if counted and not any(k in v for v in out.get(sid, ())):
                    hits.append((counted[0].start, sid, value))
        for _, sid, value in sorted(hits):
            add(sid, value)
        return {k: v for k, v in out.items() if v}


# 最近 before 最: alternatives are tried in order, and 最 alone would leave 近 glued on.
_FILLER = re.compile(
    r"^(?:主要|其实|就是|还是|总之|反正|我觉得|感觉|应该|可能|大概|那个|这个|最近|近来|近期|这段时间|最|比较|目前|现在)*"
    r"(?:(?:头疼|麻烦|困难|问题|难处|担心|烦)的?(?:地方)?)?(?:是|在于|有)?")


def _group_value(m: re.Match[str]) -> str:
    """A pattern's value: group ``value`` (plus ``value_2``, ``value_3`` …) or the match."""
    groups = m.groupdict()
    if "value" not in groups:
        return m.group(0)
    parts = [groups.get("value") or ""]
    i = 2
    while f"value_{i}" in groups:
        parts.append(groups[f"value_{i}"] or "")
        i += 1
    return "".join(parts)


def tidy_value(value: str) -> str:
    """A captured phrase made fit for a reply: fillers off the front, pronouns turned round."""
    from .reflect import reflect

    value = _FILLER.sub("", value)
    return reflect(value, strip_lead=False) if value else ""


def detect_words(m: Matching, words: Iterable[str]) -> dict[str, list[str]]:
    """How the tokenizer splits each word: used by lint to find keywords it would split."""
    return {w: [t for t in m.segmenter.lcut(w) if t.strip()] for w in words}
