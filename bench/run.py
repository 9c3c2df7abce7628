"""The coach benchmark suite (issue 5): the engine against the floor (jieba) and the peers.

Usage, from the repository root::

    python bench/run.py            # readable table, ≈ 2–3 minutes
    python bench/run.py --json     # one JSON object on stdout (progress on stderr)
    python bench/run.py --quick    # smoke test: 20 utterances, the 100-rule size only

What is measured, on one corpus of customer utterances (``bench/corpus.py``):

- per-turn latencies in this process, medians of repeated passes after a warm-up pass,
  timed with ``time.perf_counter_ns`` around each call: jieba's ``lcut`` alone (the floor),
  ``Session.hear`` and ``Session.say`` on the default pack, segmented by jieba and, when
  ``coach[fast]`` is installed, by jieba-rs (the ``*_fast`` fields), and on generated packs of
  100, 1,000 and 10,000 keyword rules (``bench/genpack.py``) the same ``hear`` next to
  a naive matcher that scans every rule per turn on the same tokens, RiveScript and
  python-aiml (both timed including jieba segmentation of the input);
- in fresh processes: start-up to the first suggestion of ``python -m coach assist`` on
  piped input (caches warm, then with no cache at all), the prompt of the interactive
  assistant in a pseudo-terminal, ``Coach.load()`` of the default pack and of the
  10,000-rule pack (first and second start), and resident memory;
- the size of a session's saved state after 50 turns, and turns per second with four
  threads sharing one ``Coach``.

Every turn is timed as a *new* utterance: coach memoises the normalisation of an
utterance string, which a benchmark replaying the same corpus would otherwise hit on
every turn and a live conversation never does, so that memo is cleared (untimed) before
each turn when it exists.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.util
import json
import logging
import os
import platform
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
# coach from this checkout (even when another copy is installed), then the bench modules.
sys.path[:0] = [str(REPO_ROOT), str(BENCH_DIR)]

import genpack  # noqa: E402
from genpack import GeneratedPack, KeywordRule, segment_for_peers  # noqa: E402

import corpus  # noqa: E402

#: A conversation in the timings lasts this many customer turns, then a new one starts.
TURNS_PER_SESSION = 10
#: The line piped into ``coach assist`` for the start-up timings.
FIRST_LINE = "太贵了，我们的预算根本不够。"
#: What ``coach assist`` prints on a suggestion line.
SUGGESTION_MARK = "建议："
#: The interactive assistant's prompt.
PROMPT_MARK = "客户>"
FULL_SIZES = (100, 1000, 10000)
#: A terminal's cursor-position request (prompt_toolkit sends it when it starts).
CURSOR_QUERY = b"\x1b[6n"
#: Whether coach[fast] (jieba-rs) is installed: the ``*_fast`` figures are measured then.
FAST = importlib.util.find_spec("rjieba") is not None


def load_coach(backend: str, packs: Any = None) -> Any:
    """``Coach.load(packs)`` segmenting with ``backend`` (jieba or rjieba), warmed up."""
    from coach import Coach

    before = os.environ.get("COACH_TOKENIZER")
    os.environ["COACH_TOKENIZER"] = backend
    try:
        coach = Coach.load(packs)
    finally:
        if before is None:
            del os.environ["COACH_TOKENIZER"]
        else:
            os.environ["COACH_TOKENIZER"] = before
    coach.warm_up()
    return coach


def log(message: str) -> None:
    """Progress, on stderr so that ``--json`` output stays one object."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------
# Settings and statistics


@dataclass(frozen=True)
class Settings:
    """How much to measure: the full run or the ``--quick`` smoke test."""

    quick: bool
    sizes: tuple[int, ...]
    utterances: tuple[str, ...]
    lines: tuple[str, ...]
    passes: int  # timed passes over the corpus, after one warm-up pass
    peer_budget_s: float  # timed calls of one slow engine at one size stop near this
    process_runs: int  # fresh processes per start-up measurement (median taken)
    nocache_runs: int
    thread_passes: int

    @classmethod
    def make(cls, quick: bool, passes: int | None) -> Settings:
        if quick:
            return cls(True, (100,), corpus.customer_utterances(quick=True), corpus.salesperson_lines(quick=True),
                       passes or 2, 0.5, 1, 1, 1)
        return cls(False, FULL_SIZES, corpus.customer_utterances(), corpus.salesperson_lines(),
                   passes or 5, 4.0, 5, 3, 2)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) with linear interpolation; NaN for no samples."""
    if not samples:
        return float("nan")
    xs = sorted(samples)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def pass_median_us(passes_ns: Sequence[Sequence[int]], q: float) -> float:
    """The q-th percentile of each timed pass, in µs, and the median of those over the passes.

    A pass disturbed by the machine's other load moves the median little, where pooled
    samples would let it drag the tail (p99) of the whole run.
    """
    values = [percentile(p, q) / 1e3 for p in passes_ns if p]
    return statistics.median(values) if values else float("nan")


def median(values: Sequence[float]) -> float | None:
    good = [v for v in values if v is not None]
    return statistics.median(good) if good else None


def spread(items: Sequence[str], count: int) -> list[str]:
    """``count`` items evenly spaced over ``items`` (all of them if count ≥ len)."""
    if count >= len(items):
        return list(items)
    step = len(items) / count
    return [items[int(i * step)] for i in range(count)]


# ---------------------------------------------------------------------------------------
# In-process timing


@dataclass
class Job:
    """One thing to time: ``call(item)`` for each item, ``before()`` untimed ahead of each."""

    name: str
    call: Callable[[str], Any]
    items: Sequence[str]
    before: Callable[[], None] | None = None
    passes: int = 1
    warmup: Sequence[str] | None = None  # default: one pass over items
    hit: Callable[[Any], bool] | None = None  # did the call answer with a keyword rule?
    passes_ns: list[list[int]] = field(default_factory=list)  # the samples of each timed pass
    hits: int = 0

    def one(self, item: str, into: list[int]) -> Any:
        if self.before is not None:
            self.before()
        t0 = time.perf_counter_ns()
        out = self.call(item)
        into.append(time.perf_counter_ns() - t0)
        return out

    def us(self, q: float) -> float:
        """The q-th percentile in µs (median over the passes)."""
        return pass_median_us(self.passes_ns, q)

    @property
    def p50_us(self) -> float:
        return self.us(50)

    @property
    def samples(self) -> int:
        return sum(len(p) for p in self.passes_ns)

    @property
    def hit_rate(self) -> float | None:
        return self.hits / len(self.items) if self.hit is not None and self.items else None


def run_interleaved(jobs: Sequence[Job]) -> None:
    """A warm-up pass of each job, then their timed passes round-robin.

    Interleaving makes slow drift of the machine (frequency, other load) fall on every job
    alike, so the ratios between them hold even when the absolute numbers wander.
    """
    for job in jobs:
        for item in job.warmup if job.warmup is not None else job.items:
            if job.before is not None:
                job.before()
            job.call(item)
    for rnd in range(max(j.passes for j in jobs)):
        for job in jobs:
            if rnd >= job.passes:
                continue
            gc.collect()
            samples: list[int] = []
            job.passes_ns.append(samples)
            for item in job.items:
                out = job.one(item, samples)
                if rnd == 0 and job.hit is not None and job.hit(out):
                    job.hits += 1


def fit_to_budget(job: Job, budget_s: float, max_passes: int, min_items: int = 40) -> Job:
    """Shrink a slow job to about ``budget_s`` of timed calls (an even sample of its items).

    Warms the engine up on ten items first and estimates its cost per call from them.
    """
    probe = spread(job.items, 10)
    t0 = time.perf_counter()
    for item in probe:
        if job.before is not None:
            job.before()
        job.call(item)
    per_call = (time.perf_counter() - t0) / len(probe)
    calls = int(budget_s / per_call) if per_call > 0 else len(job.items) * max_passes
    if calls >= len(job.items) * max_passes:
        job.passes = max_passes
    elif calls >= len(job.items):
        job.passes = calls // len(job.items)
    else:
        job.items = spread(job.items, max(min_items, calls))
        job.passes = 1
    job.warmup = probe
    return job


def memo_clearer() -> Callable[[], None]:
    """A function that clears coach's per-utterance normalisation memo (a no-op if absent)."""
    try:
        from coach import text

        clear = text._fold.cache_clear  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return lambda: None
    return clear  # type: ignore[no-any-return]


class Conversations:
    """Customer turns through the public API, ``TURNS_PER_SESSION`` per session.

    ``before()`` is the untimed part of a turn: a new session when one is used up, and a
    cleared normalisation memo.
    """

    def __init__(self, coach: Any, fresh: Callable[[], None]) -> None:
        self.coach = coach
        self.fresh = fresh
        self.session = coach.session()
        self.turns = 0

    def before(self) -> None:
        if self.turns == TURNS_PER_SESSION:
            self.session = self.coach.session()
            self.turns = 0
        self.turns += 1
        self.fresh()

    def hear(self, text: str) -> Any:
        return self.session.hear(text)


class SalespersonTurns(Conversations):
    """Salesperson lines, each after an (untimed) customer turn, as in a live talk."""

    def __init__(self, coach: Any, fresh: Callable[[], None], customer: Sequence[str]) -> None:
        super().__init__(coach, fresh)
        self.customer = customer
        self.i = 0

    def before(self) -> None:
        super().before()
        self.session.hear(self.customer[self.i % len(self.customer)])
        self.i += 1
        self.fresh()

    def say(self, text: str) -> Any:
        return self.session.say(text)


class NaiveMatcher:
    """The baseline: every rule tested against the turn's tokens, on every turn.

    Same normalisation and the same tokens as the engine (its own tokenizer); a rule hits
    when one of its keywords is one of the tokens. The scan is as cheap as Python makes it
    (a C-level ``isdisjoint`` per rule), so it is a fair floor for an index to beat.
    """

    def __init__(self, coach: Any, rules: Sequence[KeywordRule]) -> None:
        from coach.text import normalise

        self._normalise = normalise
        self._tokenize = coach.matching.tokenize
        self._rules = [(r.rule_id, frozenset(r.keywords)) for r in rules]

    def match(self, text: str) -> str:
        tokens = {w for w, _, _ in self._tokenize(self._normalise(text).text)}
        hits = [rid for rid, words in self._rules if not words.isdisjoint(tokens)]
        return hits[0] if hits else "fallback"


class RiveScriptPeer:
    """The generated rules in RiveScript (utf8 mode), on jieba-segmented input."""

    def __init__(self, pack: GeneratedPack, segment: Callable[[str], list[str]]) -> None:
        from rivescript import RiveScript

        self._segment = segment
        self.bot = RiveScript(utf8=True)
        self.bot.load_file(str(pack.rive_path))
        self.bot.sort_replies()

    def reply(self, text: str) -> str:
        return str(self.bot.reply("bench", segment_for_peers(text, self._segment)))


class AimlPeer:
    """The generated rules in python-aiml, on jieba-segmented input."""

    def __init__(self, pack: GeneratedPack, segment: Callable[[str], list[str]]) -> None:
        import aiml

        self._segment = segment
        self.kernel = aiml.Kernel()
        self.kernel.verbose(False)
        self.kernel.learn(str(pack.aiml_path))

    def reply(self, text: str) -> str:
        return str(self.kernel.respond(segment_for_peers(text, self._segment)))


def _is_keyword_reply(reply: Any) -> bool:
    return isinstance(reply, str) and reply.startswith("kw.")


def measure_default(s: Settings, segment: Callable[[str], list[str]]) -> dict[str, Any]:
    """jieba's lcut (the floor), hear and say on the default pack, interleaved; with
    coach[fast] installed, hear and say segmented by jieba-rs too, in the same passes."""
    fresh = memo_clearer()
    lines = list(s.lines) * max(1, len(s.utterances) // len(s.lines))
    jobs = [Job("jieba", segment, s.utterances, fresh, s.passes)]
    for backend, suffix in (("jieba", ""), ("rjieba", "_fast")) if FAST else (("jieba", ""),):
        coach = load_coach(backend)
        talk = Conversations(coach, fresh)
        sales = SalespersonTurns(coach, fresh, s.utterances)
        jobs += [Job("hear" + suffix, talk.hear, s.utterances, talk.before, s.passes),
                 Job("say" + suffix, sales.say, lines, sales.before, s.passes)]
    run_interleaved(jobs)
    by = {job.name: job for job in jobs}
    out: dict[str, Any] = {"jieba_lcut_p50_us": by["jieba"].p50_us,
                           "samples": {job.name: job.samples for job in jobs}}
    for suffix in ("", "_fast"):
        hear, say = by.get("hear" + suffix), by.get("say" + suffix)
        out["hear_p50_us" + suffix] = hear.p50_us if hear else None
        out["hear_p99_us" + suffix] = hear.us(99) if hear else None
        out["say_p50_us" + suffix] = say.p50_us if say else None
    return out


def measure_size(s: Settings, pack: GeneratedPack, segment: Callable[[str], list[str]]) -> dict[str, Any]:
    """One generated size: coach (jieba, and jieba-rs with coach[fast]), the naive scan,
    RiveScript and python-aiml, interleaved."""
    fresh = memo_clearer()
    out: dict[str, Any] = {"load_s": {}}
    t0 = time.perf_counter()
    coach = load_coach("jieba", str(pack.yaml_path))
    out["load_s"]["coach"] = time.perf_counter() - t0
    talk = Conversations(coach, fresh)
    naive = NaiveMatcher(coach, pack.rules)
    jobs = [
        Job("coach", talk.hear, s.utterances, talk.before, s.passes,
            hit=lambda sug: _is_keyword_reply(sug.rule)),
        Job("naive", naive.match, s.utterances, fresh, s.passes, hit=_is_keyword_reply),
    ]
    if FAST:
        talk_fast = Conversations(load_coach("rjieba", str(pack.yaml_path)), fresh)
        jobs.append(Job("coach_fast", talk_fast.hear, s.utterances, talk_fast.before, s.passes,
                        hit=lambda sug: _is_keyword_reply(sug.rule)))
    for name, peer_cls in (("rivescript", RiveScriptPeer), ("aiml", AimlPeer)):
        try:
            t0 = time.perf_counter()
            peer = peer_cls(pack, segment)
            out["load_s"][name] = time.perf_counter() - t0
        except ImportError as exc:
            log(f"{name} is not installed ({exc}); pip install -r bench/requirements.txt")
            continue
        job = Job(name, peer.reply, s.utterances, None, s.passes, hit=_is_keyword_reply)
        jobs.append(fit_to_budget(job, s.peer_budget_s, s.passes))
    run_interleaved(jobs)
    for job in jobs:
        out[job.name] = {"p50_us": job.p50_us, "hit_rate": job.hit_rate, "samples": job.samples}
    return out


def state_bytes(s: Settings, turns: int = 50) -> dict[str, int]:
    """A session's saved state after ``turns`` customer turns, each answered by the salesperson."""
    from coach import Coach

    coach = Coach.load()
    session = coach.session(customer="李总")
    customer = spread(corpus.CUSTOMER_UTTERANCES, turns) if not s.quick else list(s.utterances)
    for i in range(turns):
        session.hear(customer[i % len(customer)])
        session.say(s.lines[i % len(s.lines)])
    state = session.to_dict()
    return {
        "json_chars": len(json.dumps(state)),  # the measure: json.dumps defaults
        "utf8_bytes": len(json.dumps(state, ensure_ascii=False).encode("utf-8")),
    }


def throughput(s: Settings, coach: Any, threads: int) -> float:
    """Customer turns per second, ``threads`` threads sharing ``coach`` (a session each)."""
    fresh = memo_clearer()
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def worker() -> None:
        talk = Conversations(coach, fresh)
        barrier.wait()
        try:
            for _ in range(s.thread_passes):
                for text in s.utterances:
                    talk.before()
                    talk.hear(text)
        except BaseException as exc:  # reported below
            errors.append(exc)

    pool = [threading.Thread(target=worker, name=f"bench-{i}") for i in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} thread(s) failed: {errors[0]!r}")
    return threads * s.thread_passes * len(s.utterances) / elapsed


# ---------------------------------------------------------------------------------------
# Fresh processes


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: this checkout first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONSTARTUP", None)
    env.update(extra)
    return env


def seconds_to_line(cmd: Sequence[str], env: dict[str, str], cwd: Path, marker: str,
                    stdin: str = "", timeout: float = 120) -> float:
    """Seconds from spawning ``cmd`` to the first stdout line containing ``marker``."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                env=env, cwd=cwd)
        assert proc.stdin is not None and proc.stdout is not None
        if stdin:
            proc.stdin.write(stdin.encode("utf-8"))
        proc.stdin.close()
        found: float | None = None
        for raw in proc.stdout:
            if found is None and marker in raw.decode("utf-8", "replace"):
                found = time.perf_counter() - t0
        proc.wait(timeout=timeout)
        if found is None:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd)}: no line with {marker!r} (exit {proc.returncode}): "
                               f"{err.read().decode('utf-8', 'replace')[-2000:]}")
        return found


def probe(args: Sequence[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run ``bench/probe.py`` in a fresh process and return its JSON."""
    done = subprocess.run([sys.executable, str(BENCH_DIR / "probe.py"), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"probe {' '.join(args)} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def assist_cmd() -> list[str]:
    return [sys.executable, "-m", "coach", "assist"]


def cold_start(env: dict[str, str], cwd: Path) -> float:
    return seconds_to_line(assist_cmd(), env, cwd, SUGGESTION_MARK, stdin=FIRST_LINE + "\n")


def nocache_env(root: Path) -> dict[str, str]:
    """An empty COACH_CACHE_DIR, and an empty TMPDIR where jieba looks for its own cache."""
    cache, tmp = Path(tempfile.mkdtemp(dir=root)), Path(tempfile.mkdtemp(dir=root))
    return child_env(COACH_CACHE_DIR=str(cache), TMPDIR=str(tmp))


def interactive_start(env: dict[str, str], cwd: Path, timeout: float = 30) -> tuple[float, float] | None:
    """In a pseudo-terminal: seconds to the prompt, and to the first suggestion when a line is
    typed as soon as the prompt shows. None where there are no pseudo-terminals."""
    try:
        import pty
    except ImportError:
        return None
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: become the assistant
        try:
            os.chdir(cwd)
            os.execve(sys.executable, assist_cmd(), env)
        finally:
            os._exit(127)
    buf = b""
    prompt: float | None = None
    first: float | None = None
    try:
        while time.perf_counter() - t0 < timeout and first is None:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if CURSOR_QUERY in chunk:
                # Answer the cursor-position request as a terminal does; prompt_toolkit
                # otherwise waits about a second for it before it handles the typed line.
                os.write(fd, b"\x1b[1;1R")
            if prompt is None and PROMPT_MARK.encode() in buf:
                prompt = time.perf_counter() - t0
                buf = b""
                os.write(fd, (FIRST_LINE + "\r").encode("utf-8"))
            elif prompt is not None and SUGGESTION_MARK.encode() in buf:
                first = time.perf_counter() - t0
        if prompt is not None:
            os.write(fd, b"\x04")  # Ctrl-D: leave the assistant
    finally:
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        os.close(fd)
    if prompt is None or first is None:
        return None
    return prompt, first


def measure_processes(s: Settings, work: Path, big_pack: GeneratedPack | None) -> dict[str, Any]:
    """Everything that needs a fresh process: start-up, loading, memory."""
    out: dict[str, Any] = {}
    cache = work / "cache"
    env = child_env(COACH_CACHE_DIR=str(cache), COACH_TOKENIZER="jieba")
    fast_env = child_env(COACH_CACHE_DIR=str(cache), COACH_TOKENIZER="rjieba") if FAST else None
    runs = s.process_runs

    log("python start-up and jieba's first cut")
    py = [sys.executable, "-c", "print('ready')"]
    out["python_start_s"] = median([seconds_to_line(py, env, work, "ready") for _ in range(runs)])
    jieba_cut = [sys.executable, "-c", "import jieba, logging; jieba.setLogLevel(logging.WARNING); "
                                       f"print('cut', jieba.lcut({FIRST_LINE!r}))"]
    seconds_to_line(jieba_cut, env, work, "cut")  # jieba writes its own cache if it has none
    out["jieba_first_cut_s"] = median([seconds_to_line(jieba_cut, env, work, "cut") for _ in range(runs)])

    log("cold start of coach assist, caches warm")
    cold_start(env, work)  # fills the tokenizer cache (and Python's bytecode caches)
    out["cold_start_s"] = median([cold_start(env, work) for _ in range(runs)])
    log("cold start of coach assist, no cache")
    out["cold_start_nocache_s"] = median([cold_start(nocache_env(work), work) for _ in range(s.nocache_runs)])
    out["cold_start_fast_s"] = out["rss_mb_fast"] = out["rss_peak_fast_mb"] = out["tokenizer_start_fast_ms"] = None
    if fast_env is not None:
        log("cold start of coach assist with coach[fast]")
        cold_start(fast_env, work)
        out["cold_start_fast_s"] = median([cold_start(fast_env, work) for _ in range(runs)])

    log("interactive assistant in a pseudo-terminal")
    got = [interactive_start(env, work) for _ in range(min(runs, 3))]
    ok = [g for g in got if g is not None]
    out["interactive_prompt_s"] = median([g[0] for g in ok]) if ok else None
    out["interactive_first_suggestion_s"] = median([g[1] for g in ok]) if ok else None

    log("loading the default pack")
    loads = [probe(["load-default"], env, work) for _ in range(runs)]
    out["load_default_ms"] = median([x["load_first_ms"] for x in loads])
    out["load_default_warm_ms"] = median([x["load_warm_ms"] for x in loads])
    out["tokenizer_start_ms"] = median([x["tokenizer_start_ms"] for x in loads])
    if fast_env is not None:
        fast_loads = [probe(["load-default"], fast_env, work) for _ in range(runs)]
        out["tokenizer_start_fast_ms"] = median([x["tokenizer_start_ms"] for x in fast_loads])

    log("memory")
    held = [probe(["hold"], env, work) for _ in range(min(runs, 3))]
    out["rss_mb"] = median([x["rss_mb"] for x in held])
    out["rss_peak_mb"] = median([x["hwm_mb"] for x in held])
    out["rss_mb_jieba_only"] = probe(["hold", "--jieba-only"], env, work)["rss_mb"]
    if fast_env is not None:
        held = [probe(["hold"], fast_env, work) for _ in range(min(runs, 3))]
        out["rss_mb_fast"] = median([x["rss_mb"] for x in held])
        out["rss_peak_fast_mb"] = median([x["hwm_mb"] for x in held])

    if big_pack is not None:
        log(f"loading the {big_pack.size}-rule pack in fresh processes (first and second start)")
        first = probe(["hold", "--pack", str(big_pack.yaml_path)], env, work)
        second = probe(["hold", "--pack", str(big_pack.yaml_path)], env, work)
        out["load_10000_rules_first_s"] = first["load_s"]
        out["load_10000_rules_s"] = second["load_s"]
        out["rss_mb_10000_rules"] = second["rss_mb"]
        out["first_turn_ms_10000_rules"] = second["first_turn_ms"]
    else:
        out["load_10000_rules_first_s"] = out["load_10000_rules_s"] = None
        out["rss_mb_10000_rules"] = out["first_turn_ms_10000_rules"] = None
    return out


# ---------------------------------------------------------------------------------------
# Targets and output


@dataclass(frozen=True)
class Target:
    """A target of the issue: a measured value (often a ratio) against a limit."""

    name: str
    value: float | None
    limit: float
    op: str  # "<=" or ">="
    note: str = ""

    @property
    def met(self) -> bool | None:
        if self.value is None:
            return None
        return self.value <= self.limit if self.op == "<=" else self.value >= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "limit": self.limit, "op": self.op,
                "met": self.met, "note": self.note}


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def targets(r: dict[str, Any]) -> list[Target]:
    """The issue's targets, as ratios measured in this run (``*_fast``: with coach[fast])."""
    hear, fast = r["hear_p50_us_by_rules"], r["hear_p50_us_by_rules_fast"]
    rs, aiml, naive = r["rivescript_p50_us_by_rules"], r["aiml_p50_us_by_rules"], r["naive_p50_us_by_rules"]
    out = [
        Target("hear_p50 / jieba_lcut_p50", _ratio(r["hear_p50_us"], r["jieba_lcut_p50_us"]), 2.5, "<="),
        Target("hear_p50_fast / jieba_lcut_p50", _ratio(r["hear_p50_us_fast"], r["jieba_lcut_p50_us"]), 1.25, "<="),
        Target("flat: hear_p50[10000] / hear_p50[100]", _ratio(hear.get("10000"), hear.get("100")), 1.2, "<="),
        Target("flat, fast: hear_p50_fast[10000] / hear_p50_fast[100]",
               _ratio(fast.get("10000"), fast.get("100")), 1.2, "<="),
        Target("RiveScript_p50[1000] / hear_p50[1000]", _ratio(rs.get("1000"), hear.get("1000")), 25, ">="),
    ]
    for n in hear:
        out.append(Target(f"hear_p50[{n}] / aiml+jieba_p50[{n}]", _ratio(hear[n], aiml.get(n)), 1.0, "<="))
    out += [
        Target("cold_start_fast_s", r["cold_start_fast_s"], 0.4, "<="),
        Target("rss_mb", r["rss_mb"], 110, "<="),
        Target("rss_mb_fast", r["rss_mb_fast"], 80, "<="),
        Target("state_bytes_50_turns", r["state_bytes_50_turns"], 8192, "<="),
        Target("index vs scan: hear_p50[10000] / naive_p50[10000]", _ratio(hear.get("10000"), naive.get("10000")),
               1.0, "<=", "the baseline the index must beat"),
    ]
    return out


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def table(r: dict[str, Any]) -> str:
    """The readable report."""
    e, x = r["env"], r["extra"]
    lines = [
        f"coach benchmark — {e['utterances']} utterances of {e['utterance_chars']} characters, "
        f"{e['passes']} timed passes after a warm-up; Python {e['python']}, jieba {e['jieba']}, "
        f"{e['cpus']} CPUs; commit {e['commit']}{' (QUICK)' if e['quick'] else ''}",
        "",
        "Per turn, default pack (µs)            p50       p99",
        f"  jieba lcut alone (the floor)  {_fmt(r['jieba_lcut_p50_us']):>10}",
        f"  Session.hear                  {_fmt(r['hear_p50_us']):>10} {_fmt(r['hear_p99_us']):>9}",
        f"  Session.say                   {_fmt(r['say_p50_us']):>10}",
        f"  Session.hear, coach[fast]     {_fmt(r['hear_p50_us_fast']):>10} {_fmt(r['hear_p99_us_fast']):>9}",
        f"  Session.say, coach[fast]      {_fmt(r['say_p50_us_fast']):>10}",
        "",
    ]
    sizes = list(r["hear_p50_us_by_rules"])
    w = 18
    lines.append(f"{'Generated keyword rules, p50 µs':<32}" + "".join(f"{n:>{w}}" for n in sizes))
    for label, key in (("coach hear", "hear_p50_us_by_rules"), ("coach hear, coach[fast]", "hear_p50_us_by_rules_fast"),
                       ("naive scan (same tokens)", "naive_p50_us_by_rules"),
                       ("RiveScript + jieba", "rivescript_p50_us_by_rules"),
                       ("python-aiml + jieba", "aiml_p50_us_by_rules")):
        lines.append(f"  {label:<30}" + "".join(f"{_fmt(r[key].get(n)):>{w}}" for n in sizes))
    hits = x["hit_rate_by_rules"]
    lines.append(f"  {'% hit: coach/fast/naive/RS/AIML':<30}" + "".join(
        f"{'/'.join(_fmt(None if v is None else round(v * 100)) for v in hits[n].values()):>{w}}" for n in sizes))
    loads = x["peer_load_s_by_rules"]
    lines.append(f"  {'load s: coach/RS/AIML':<30}" + "".join(
        f"{'/'.join(_fmt(v, 2) for v in loads[n].values()):>{w}}" for n in sizes))
    def row(label: str, value: Any, digits: int, unit: str, note: str = "") -> str:
        return f"  {label:<36}{_fmt(value, digits):>10} {unit:<4}{note}".rstrip()

    lines += [
        "",
        "Start-up, memory, state, threads",
        row("python start-up alone", x["python_start_s"], 3, "s"),
        row("jieba's first cut (its cache warm)", x["jieba_first_cut_s"], 3, "s"),
        row("cold start, caches warm", r["cold_start_s"], 3, "s", "(to the first suggestion, piped)"),
        row("cold start, no cache", r["cold_start_nocache_s"], 3, "s"),
        row("cold start, coach[fast]", r["cold_start_fast_s"], 3, "s",
            f"(segmenter start {_fmt(x['tokenizer_start_fast_ms'])} ms)"),
        row("interactive: prompt shown", x["interactive_prompt_s"], 3, "s", "(pseudo-terminal)"),
        row("interactive: first suggestion", x["interactive_first_suggestion_s"], 3, "s",
            "(line typed as soon as the prompt shows)"),
        row("load default pack", r["load_default_ms"], 1, "ms",
            f"(first in a process; repeated {_fmt(x['load_default_warm_ms'])} ms;"
            f" tokenizer start {_fmt(x['tokenizer_start_ms'])} ms)"),
        row("load 10000-rule pack, second start", r["load_10000_rules_s"], 2, "s",
            f"(first start {_fmt(x['load_10000_rules_first_s'], 2)} s)"),
        row("RSS, default Coach + one session", r["rss_mb"], 1, "MB",
            f"(peak {_fmt(x['rss_peak_mb'])}; jieba alone {_fmt(x['rss_mb_jieba_only'])};"
            f" 10000 rules {_fmt(x['rss_mb_10000_rules'])})"),
        row("RSS, the same with coach[fast]", r["rss_mb_fast"], 1, "MB", f"(peak {_fmt(x['rss_peak_fast_mb'])})"),
        row("state after 50 turns", r["state_bytes_50_turns"], 0, "B",
            f"(len(json.dumps); {_fmt(x['state_utf8_bytes_50_turns'])} B as UTF-8)"),
        row("turns/s, 4 threads, one Coach", r["threads_turns_per_s"], 0, "",
            f"(1 thread: {_fmt(x['single_thread_turns_per_s'], 0)})"),
        "",
        "Targets (ratios measured in this run)",
    ]
    for t in r["targets"]:
        verdict = {True: "met", False: "NOT MET", None: "not measured"}[t["met"]]
        lines.append(f"  {t['name']:<52} {_fmt(t['value'], 2):>9} {t['op']} {t['limit']:<6g} {verdict}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Main


def git_commit() -> str | None:
    """The checkout's commit, with "+dirty" when coach/ or rules/ differ from it; None outside git."""
    try:
        head = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--", "coach", "rules"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def environment(s: Settings) -> dict[str, Any]:
    import jieba
    import yaml

    def version(name: str) -> str | None:
        try:
            from importlib.metadata import version as v

            return v(name)
        except Exception:  # not installed
            return None

    lengths = [len(u) for u in s.utterances]
    return {
        "commit": git_commit(),
        "quick": s.quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "jieba": jieba.__version__,
        "rjieba": version("rjieba"),
        "pyyaml_libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "rivescript": version("rivescript"),
        "python_aiml": version("python-aiml"),
        "utterances": len(s.utterances),
        "utterance_chars": f"{min(lengths)}–{max(lengths)}",
        "salesperson_lines": len(s.lines),
        "passes": s.passes,
        "turns_per_session": TURNS_PER_SESSION,
        "normalisation_memo_cleared": memo_clearer().__name__ != "<lambda>",
    }


def rounded(value: Any, digits: int = 3) -> Any:
    """``value`` with every float rounded, for a readable JSON object."""
    if isinstance(value, float):
        return round(value, digits)
    if isinstance(value, dict):
        return {k: rounded(v, digits) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v, digits) for v in value]
    return value


@contextlib.contextmanager
def workdir(path: Path | None) -> Iterator[Path]:
    """The folder for generated packs and caches: the one given (kept), else a temporary one."""
    if path is not None:
        path.mkdir(parents=True, exist_ok=True)
        yield path
        return
    tmp = Path(tempfile.mkdtemp(prefix="coach-bench-"))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(s: Settings, work: Path) -> dict[str, Any]:
    """Every measurement; the result holds the issue's fields, ``targets``, ``extra``, ``env``."""
    t_start = time.perf_counter()
    segment = genpack.jieba_segmenter()
    log(f"generating packs of {', '.join(map(str, s.sizes))} rules in {work}")
    packs = {n: genpack.generate(n, work / "packs", segment=segment) for n in s.sizes}

    log("per-turn timings on the default pack")
    r: dict[str, Any] = {}
    default = measure_default(s, segment)
    r.update({k: default[k] for k in ("jieba_lcut_p50_us", "hear_p50_us", "hear_p99_us", "say_p50_us",
                                      "hear_p50_us_fast", "hear_p99_us_fast", "say_p50_us_fast")})

    by: dict[str, dict[str, float | None]] = {k: {} for k in ("coach", "coach_fast", "naive", "rivescript", "aiml")}
    hits: dict[str, dict[str, float | None]] = {}
    loads: dict[str, dict[str, float]] = {}
    counts: dict[str, dict[str, int | None]] = {}
    for n, pack in packs.items():
        log(f"{n} rules: coach, naive scan, RiveScript, python-aiml")
        size = measure_size(s, pack, segment)
        key = str(n)
        for engine in by:
            by[engine][key] = size[engine]["p50_us"] if engine in size else None
        hits[key] = {e: size[e]["hit_rate"] if e in size else None for e in by}
        loads[key] = size["load_s"]
        counts[key] = {e: size[e]["samples"] if e in size else None for e in by}
        gc.collect()
    r["hear_p50_us_by_rules"] = by["coach"]
    r["hear_p50_us_by_rules_fast"] = by["coach_fast"]
    r["naive_p50_us_by_rules"] = by["naive"]
    r["rivescript_p50_us_by_rules"] = by["rivescript"]
    r["aiml_p50_us_by_rules"] = by["aiml"]

    log("state size and threads")
    state = state_bytes(s)
    r["state_bytes_50_turns"] = state["json_chars"]
    # Alternate the two, three rounds each, and keep the medians: the machine's other load
    # then weighs on both alike.
    shared = load_coach("jieba")
    four, single_runs = [], []
    for _ in range(1 if s.quick else 3):
        four.append(throughput(s, shared, 4))
        single_runs.append(throughput(s, shared, 1))
    del shared
    r["threads_turns_per_s"] = median(four)
    single = median(single_runs)

    procs = measure_processes(s, work, packs.get(10000))
    for k in ("cold_start_s", "cold_start_nocache_s", "load_default_ms", "load_10000_rules_s", "rss_mb",
              "cold_start_fast_s", "rss_mb_fast"):
        r[k] = procs.pop(k)
    r["extra"] = {
        **procs,
        "hit_rate_by_rules": hits,
        "peer_load_s_by_rules": loads,
        "state_utf8_bytes_50_turns": state["utf8_bytes"],
        "single_thread_turns_per_s": single,
        "samples": default["samples"],
        "samples_by_rules": counts,
        "generated_pack_bytes": {str(n): p.yaml_path.stat().st_size for n, p in packs.items()},
        "live_rules": genpack.LIVE_RULES,
        "seconds": time.perf_counter() - t_start,
    }
    r["env"] = environment(s)
    r["targets"] = [t.as_dict() for t in targets(r)]
    return r


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="coach benchmark suite (issue 5)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    ap.add_argument("--quick", action="store_true", help="smoke test: tiny corpus, 100 rules only")
    ap.add_argument("--passes", type=int, default=None, help="timed passes over the corpus (default 5, quick 2)")
    ap.add_argument("--save", type=Path, default=None, metavar="FILE",
                    help="also write the JSON object to FILE (so one run gives both the table and the JSON)")
    ap.add_argument("--workdir", type=Path, default=None,
                    help="keep generated packs and caches here (default: a temporary folder, removed)")
    args = ap.parse_args(argv)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    bad = corpus.problems()
    if bad:
        raise SystemExit("corpus: " + "; ".join(bad))
    settings = Settings.make(args.quick, args.passes)
    real_stdout = sys.stdout
    with workdir(args.workdir) as work, contextlib.redirect_stdout(sys.stderr):
        # Peers may print while loading; stdout is kept for the report alone.
        result = run(settings, work)
    text = json.dumps(rounded(result), ensure_ascii=False, indent=2)
    if args.save is not None:
        args.save.write_text(text + "\n", encoding="utf-8")
    if args.json:
        print(text, file=real_stdout)
    else:
        print(table(result), file=real_stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
