"""A cache of validated pack sets, so a large pack is parsed once, not at every start.

After a pack set loads without errors, its composed data (what parsing and validation
produce, before any tokenizer is involved) is written as plain data, with ``marshal``, to
``cache_dir()/packs/`` (the same folder the tokenizer cache uses: ``$COACH_CACHE_DIR``,
else the user cache dir). Later loads of the same files read it instead of the YAML.

The key hashes, for each file named by the caller, its path and the SHA-1 of its bytes,
plus coach's version, this cache's format, the Python, PyYAML and OpenCC versions and the
source of the coach modules that read packs (a change to validation or normalisation must
not reuse an old result). Packs pulled in by ``requires`` are recorded with their own hashes and checked
on every read. Nothing in the file is ever executed: it holds only text, numbers, tuples,
lists, dicts and frozensets (never pickle, never code), is checked by a SHA-1 of its
payload before it is decoded, and is rebuilt into the same frozen objects a parse builds.
Any fault — a missing, truncated, corrupt or unreadable file, a read-only or missing
folder — means the packs are parsed as if there were no cache. Only pack sets without
errors are stored, so every error is reported from the YAML itself with its line and
column. The folder is safe to delete at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import re
import sys
import threading
from pathlib import Path
from typing import Any

from .errors import Problem
from .steps import Step
from .template import Template
from .dirs import cache_dir, prune_cache_folder, write_cache_file

#: Bump when the layout written by ``_encode`` changes.
FORMAT = 3
_MAGIC = b"coach-packset-cache"
#: The cache keeps at most this many pack sets; the least recently used go first.
MAX_ENTRIES = 64
#: Set ``COACH_PACK_CACHE=0`` to neither read nor write the cache.
ENV_SWITCH = "COACH_PACK_CACHE"

#: What happened, for tests and diagnostics: counts of hits, misses and writes.
stats = {"hits": 0, "misses": 0, "writes": 0, "errors": 0}
_code_lock = threading.Lock()
_code_digest: str | None = None


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def folder() -> Path:

    return cache_dir() / "packs"


def _code_fingerprint() -> str:
    """A hash of the coach modules that read packs and the libraries that shape their data."""
    global _code_digest
    with _code_lock:
        if _code_digest is None:
            h = hashlib.sha1()
            h.update(f"{FORMAT}|{sys.version}".encode())
            try:
                from . import __version__

                h.update(__version__.encode())
            except ImportError:  # pragma: no cover - during package import
                pass
            import opencc  # normalises keywords
            import yaml

            for mod in (yaml, opencc):
                h.update(f"|{mod.__name__}={getattr(mod, '__version__', '?')}".encode())
            for name, source in sorted(_pack_sources().items()):
                h.update(name.encode() + b"\0" + source)
            _code_digest = h.hexdigest()
        return _code_digest


_RELATIVE_IMPORT = re.compile(rb"^[ \t]*from \.(\w*) import \(?([\w, ]+)", re.M)


def _pack_sources() -> dict[str, bytes]:
    """The source of pack.py and of every coach module it imports, directly or not.

    Found by following ``from .x import`` lines, so a module added to the load path later is
    covered without a list to maintain; modules that only run turns (matching, session …)
    are left out, so editing them does not throw the cache away.
    """
    here = Path(__file__).resolve().parent
    found: dict[str, bytes] = {}
    todo = ["pack"]
    while todo:
        name = todo.pop()
        if name in found:
            continue
        try:
            found[name] = source = (here / f"{name}.py").read_bytes()
        except OSError:
            found[name] = b"?"
            continue
        for mod, names in _RELATIVE_IMPORT.findall(source):
            for m in [mod] if mod else [n.strip() for n in names.split(b",")]:
                if m and (here / f"{m.decode()}.py").is_file():
                    todo.append(m.decode())
    return found


def key_for(files: list[tuple[str, str]]) -> str:
    """The cache key of a list of (path as given, SHA-1 of the file's bytes)."""
    h = hashlib.sha1(_code_fingerprint().encode())
    for path, digest in files:
        h.update(b"\0" + path.encode("utf-8", "surrogatepass") + b"\0" + digest.encode())
    return h.hexdigest()


def file_digest(path: str | Path) -> str | None:
    try:
        return hashlib.sha1(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def _entry_path(key: str) -> Path:
    return folder() / f"packset-{key[:32]}.marshal"


# ---------------------------------------------------------------------------------------
# Reading and writing


def read(key: str) -> tuple[Any, list[Problem]] | None:
    """The PackSet and warnings stored under ``key``, or None (never raises)."""
    if not enabled():
        return None
    entry = _entry_path(key)
    try:
        blob = entry.read_bytes()
    except OSError:
        stats["misses"] += 1
        return None
    try:
        head, digest, payload = blob.split(b"\n", 2)
        if head != _MAGIC + b" " + str(FORMAT).encode():
            raise ValueError("not a pack cache of this format")
        if hashlib.sha1(payload).hexdigest().encode() != digest:
            raise ValueError("checksum mismatch")
        data = marshal.loads(payload)  # only after the checksum matched
        if not isinstance(data, dict) or data.get("key") != key:
            raise ValueError("wrong key")
        for path, digest_ in data["requires"]:
            if file_digest(path) != digest_:
                raise ValueError("a required pack changed")
        packset, warnings = _decode(data)
    except Exception:  # any fault at all: parse the packs instead
        stats["errors"] += 1
        return None
    stats["hits"] += 1
    with contextlib.suppress(OSError):
        os.utime(entry)  # recently used: pruning removes the least recently used first
    return packset, warnings


def write(key: str, packset: Any, warnings: list[Problem], requires: list[tuple[str, str]]) -> None:
    """Store a composed pack set atomically; silently does nothing when it cannot."""
    if not enabled():
        return
    try:
        data = _encode(packset, warnings)
        data["key"] = key
        data["requires"] = tuple(tuple(x) for x in requires)
        payload = marshal.dumps(data)
        blob = b"%s %d\n%s\n" % (_MAGIC, FORMAT, hashlib.sha1(payload).hexdigest().encode()) + payload
        target = _entry_path(key)
        # Atomic (another process may be loading the same packs right now); pruning
        # removes the least recently used first.
        if write_cache_file(target, blob):
            stats["writes"] += 1
            prune_cache_folder(target.parent, "packset-*.marshal", MAX_ENTRIES)
    except Exception:  # read-only, full or missing folder, odd data: the next load parses
        pass


def clear() -> int:
    """Delete every cached pack set; returns how many files were removed."""
    n = 0
    try:
        entries = list(folder().glob("packset-*.marshal"))
    except OSError:
        return 0
    for p in entries:
        try:
            p.unlink()
            n += 1
        except OSError:
            pass
    return n


# ---------------------------------------------------------------------------------------
# Plain data ↔ PackSet
#
# Only str, int, bool, None, tuple, list, dict and frozenset go into the file, so marshal
# writes and reads it without any code of ours or of a pack's running.

_STEPS = {s.value: s for s in Step}
_EMPTY: frozenset[Any] = frozenset()


def _enc_matcher(m: Any) -> tuple[Any, ...]:
    return (m.any, m.all, m.none, m.phrases, tuple((p.pattern, p.flags) for p in m.patterns),
            m.negatable, m.filled, m.pattern_src, m.constructions)


def _encode(ps: Any, warnings: list[Problem]) -> dict[str, Any]:
    paths: dict[str, int] = {}

    def where(w: Any) -> tuple[int, int, int]:
        return (paths.setdefault(w.path, len(paths)), w.line, w.col)

    def step(s: Step | None) -> str | None:
        return None if s is None else s.value

    out: dict[str, Any] = {
        "packs": tuple((p.id, p.title, p.path, p.version) for p in ps.packs),
        "dictionary": tuple(ps.dictionary),
        "synonyms": tuple(ps.synonyms),
        "negators": tuple(ps.negators),
        "signals": tuple((s.id, s.title, _enc_matcher(s.match), where(s.where))
                         for s in ps.signals.values()),
        "moves": tuple((m.id, m.title, _enc_matcher(m.match), step(m.step), m.note, m.red_line,
                        where(m.where)) for m in ps.moves.values()),
        "slots": tuple((s.id, s.title, s.type, s.multi, s.keywords,
                        tuple((p.pattern, p.flags) for p in s.patterns), s.extract, where(s.where))
                       for s in ps.slots.values()),
        "rules": tuple((r.id, None if r.steps is None else frozenset(x.value for x in r.steps),
                        r.signals, r.any_signals, r.not_signals, r.slots, r.no_slots, r.after,
                        r.not_after, tuple(t.text for t in r.say), r.why.text, step(r.next),
                        r.priority, r.tags, r.set_slots, r.clear_slots, r.pack_index, r.position,
                        where(r.where)) for r in ps.rules),
        "flow": tuple((k.value, frozenset(x.value for x in v)) for k, v in ps.flow.items()),
        "fingerprint": ps.fingerprint,
        "dictionary_where": tuple((w, where(x)) for w, x in ps.dictionary_where.items()),
        "warnings": tuple((p.path, p.line, p.col, p.code, p.message, p.hint) for p in warnings),
        "vocab": tuple(ps.vocab),
        "fillers": tuple(ps.fillers),
        "examples": tuple(ps.examples),
        "nearest": ps.nearest,
    }
    out["paths"] = tuple(p for p, _ in sorted(paths.items(), key=lambda kv: kv[1]))
    return out


def _decode(d: dict[str, Any]) -> tuple[Any, list[Problem]]:
    from .pack import Matcher, MoveDef, PackInfo, PackSet, Rule, SignalDef, SlotDef, Where

    paths: tuple[str, ...] = d["paths"]
    patterns: dict[tuple[str, int], re.Pattern[str]] = {}
    steps = _STEPS

    def pattern(spec: tuple[str, int]) -> re.Pattern[str]:
        p = patterns.get(spec)
        if p is None:
            p = patterns[spec] = re.compile(spec[0], spec[1])
        return p

    def where(w: tuple[int, int, int]) -> Where:
        return Where(paths[w[0]], w[1], w[2])

    def matcher(m: tuple[Any, ...]) -> Matcher:
        any_, all_, none, phrases, pats, negatable, filled, src, cons = m
        return Matcher(any_, all_, none, phrases, tuple(pattern(p) for p in pats) if pats else (),
                       negatable, filled, src, cons)

    signals = {}
    for sid, title, m, w in d["signals"]:
        signals[sid] = SignalDef(sid, title, matcher(m), where(w))
    moves = {}
    for mid, title, m, st, note, red, w in d["moves"]:
        moves[mid] = MoveDef(mid, title, matcher(m), None if st is None else steps[st], note, red,
                             where(w))
    slots = {}
    for sid, title, typ, multi, kws, pats, extract, w in d["slots"]:
        slots[sid] = SlotDef(sid, title, typ, multi, kws, tuple(pattern(p) for p in pats),
                             extract, where(w))
    templates: dict[str, Template] = {}
    parse = Template.parse

    def tpl(text: str) -> Template:
        t = templates.get(text)
        if t is None:
            t = templates[text] = parse(text)
        return t

    rules = []
    for (rid, on, sig, anys, nots, sl, nosl, after, nafter, say, why, nxt, prio, tags,
         sets, clears, pack_index, position, w) in d["rules"]:
        rules.append(Rule(
            rid, None if on is None else frozenset(steps[s] for s in on), sig, anys, nots, sl,
            nosl, after, nafter, tuple(tpl(t) for t in say), tpl(why),
            None if nxt is None else steps[nxt], prio, tags, sets, clears, pack_index, position,
            where(w)))
    ps = PackSet(
        packs=tuple(PackInfo(*p) for p in d["packs"]),
        dictionary=d["dictionary"],
        synonyms=d["synonyms"],
        negators=d["negators"],
        signals=signals,
        moves=moves,
        slots=slots,
        rules=tuple(rules),
        flow={steps[k]: frozenset(steps[x] for x in v) for k, v in d["flow"]},
        fingerprint=d["fingerprint"],
        dictionary_where={w: where(x) for w, x in d["dictionary_where"]},
        vocab=d["vocab"],
        fillers=d["fillers"],
        examples=d["examples"],
        nearest=d["nearest"],
    )
    warnings = [Problem(*p) for p in d["warnings"]]
    if any(p.is_error for p in warnings):
        raise ValueError("a cached pack set never holds errors")
    return ps, warnings
