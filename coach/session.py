"""Sessions: one conversation's state, and what each turn returns (Suggestion, Feedback)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import StateError
from .limits import MAX_STATE_FIRED, MAX_STATE_PREV, MAX_STATE_TEXT, MAX_WHOLE, clean_text, customer_name
from .steps import Answer, Progress, Step
from .text import Script

if TYPE_CHECKING:
    from .engine import Coach, Explanation

#: Version of the dict ``Session.to_dict()`` returns; ``Coach.restore()`` checks it.
STATE_VERSION = 3
# Version 2 added "advice": the last suggested line (step, text, why, rule), so feedback on
# the salesperson's next line after a restore still knows what the coach had advised.
# A version-1 state is migrated by setting it to None.
# Version 3 added "progress" (what was probed, how the probe was answered, what was
# corrected and confirmed, whether something was shown) and "heard" (the step and progress
# after the customer's last line, before the coach's advice was taken as said). An older
# state's progress is read off the steps it reached and its previous move.
#: A multi-valued slot keeps at most this many values (the newest).
MAX_SLOT_VALUES = 6
#: A slot value longer than this is cut: slots feed templates, not transcripts.
MAX_SLOT_CHARS = 60


@dataclass(frozen=True)
class Suggestion:
    """What to say next after a customer's utterance, and why."""

    step: Step  # the step the suggested line belongs to: where the talk is after this turn
    text: str  # the line to say next; never empty
    why: str  # the step and principle behind it; never empty
    signals: tuple[str, ...]  # signal ids detected in the customer's utterance
    rule: str  # id of the rule that produced the suggestion
    slots: Mapping[str, str] = field(default_factory=dict)  # facts known so far, joined by 、
    trimmed: bool = False  # the utterance was longer than MAX_TURN_CHARS and was cut

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Feedback:
    """How a salesperson's line fits the method, and a better line when it missed."""

    question_type: str  # "open", "closed" or "none"
    moves: tuple[str, ...]  # move ids seen in the line
    step: Step  # the step the conversation is in after the line
    fits_step: bool  # the line does what the current step calls for
    red_lines: tuple[str, ...]  # notes on red-line moves (illegal or unethical promises)
    commanding: bool  # tells the customer what to do instead of suggesting
    reflected: bool  # repeats the customer's own words back
    length: int  # characters
    notes: tuple[str, ...]  # what was good or bad, each naming the principle
    better: str  # a better line from the packs when the line missed, else ""

    @property
    def ok(self) -> bool:
        return self.fits_step and not self.red_lines and not self.commanding


class Session:
    """One conversation with one customer. Not shared between threads; cheap to create."""

    __slots__ = (
        "_coach",
        "customer",
        "fired",
        "heard",
        "last",
        "last_suggestion",
        "prev",
        "progress",
        "reached",
        "script",
        "slots",
        "step",
        "turn",
    )

    def __init__(self, coach: Coach, customer: str = "") -> None:
        self._coach = coach
        self.customer = customer
        self.step: Step = Step.INVESTIGATE
        self.turn = 0
        self.slots: dict[str, list[str]] = {}
        self.prev: tuple[str, ...] = ()
        self.fired: dict[str, int] = {}
        self.last = ""
        self.script: Script = "hans"
        self.reached: list[Step] = [Step.INVESTIGATE]
        self.last_suggestion: Suggestion | None = None
        # What the need's definition has reached, with the coach's last advice taken as said.
        self.progress = Progress()
        # The step and progress right after the customer's last line, before the advice: a
        # salesperson's line (say) starts from here, so a line that does not follow the
        # advice is judged, and moves the talk, from where it really stood. None once the
        # salesperson has spoken.
        self.heard: tuple[Step, Progress] | None = None

    @property
    def coach(self) -> Coach:
        return self._coach

    def hear(self, text: str) -> Suggestion:
        """Take what the CUSTOMER said; return the suggested next line."""
        return self._coach._hear(self, text)

    def say(self, text: str) -> Feedback:
        """Take what the SALESPERSON said; return feedback on it."""
        return self._coach._say(self, text)

    def explain(self, text: str) -> Explanation:
        """What ``hear(text)`` would do and why, without changing the session."""
        return self._coach.explain(text, session=self)

    def slot_values(self) -> dict[str, str]:
        """Slots as template values: several values joined with 、."""
        return {k: "、".join(v) for k, v in self.slots.items() if v}

    def to_dict(self) -> dict[str, Any]:
        """The whole state as plain JSON-serialisable data."""
        return {
            "version": STATE_VERSION,
            "packs": self._coach.fingerprint,
            "customer": self.customer,
            "step": self.step.value,
            "turn": self.turn,
            "slots": {k: list(v) for k, v in self.slots.items()},
            "prev": list(self.prev),
            "fired": dict(self.fired),
            "last": self.last,
            "script": self.script,
            "reached": [s.value for s in self.reached],
            "advice": _advice_dict(self.last_suggestion),
            "progress": self.progress.to_dict(),
            "heard": None if self.heard is None else {"step": self.heard[0].value,
                                                      "progress": self.heard[1].to_dict()},
        }

    @classmethod
    def from_dict(cls, coach: Coach, state: Any) -> Session:
        """Rebuild a session from ``to_dict()`` output; raise StateError on anything odd."""
        if not isinstance(state, dict):
            raise StateError(f"state must be a dict, not {type(state).__name__}")
        version = state.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise StateError("state has no integer 'version'")
        if version > STATE_VERSION:
            raise StateError(f"state version {version} is newer than this coach understands "
                             f"({STATE_VERSION}); upgrade coach")
        if version < 1:
            raise StateError(f"state version {version} is not supported")
        if version == 1:
            state = {**state, "version": 2, "advice": None}
        if state.get("version") == 2:
            state = {**state, "version": 3, "progress": None, "heard": None}
        expected: dict[str, type | tuple[type, ...]] = {"version": int, "packs": str, "customer": str, "step": str, "turn": int,
                    "slots": dict, "prev": list, "fired": dict, "last": str, "script": str,
                    "reached": list, "advice": (dict, type(None)), "progress": (dict, type(None)),
                    "heard": (dict, type(None))}
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing:
            raise StateError(f"state lacks key(s): {', '.join(missing)}")
        if extra:
            raise StateError(f"state has unknown key(s): {', '.join(extra)}")
        for key, typ in expected.items():
            if not isinstance(state[key], typ) or isinstance(state[key], bool):
                name = typ.__name__ if isinstance(typ, type) else f"{typ[0].__name__} or null"
                raise StateError(f"state key '{key}' must be {name}")
        if state["packs"] != coach.fingerprint:
            raise StateError("state was saved under other rule packs "
                             f"({state['packs']}, these are {coach.fingerprint})")
        check_state_sizes(state, coach)
        s = cls(coach, customer_name(state["customer"]))
        s.step = _step(state["step"])
        s.reached = [_step(x) for x in state["reached"]]
        if state["turn"] < 0:
            raise StateError("state key 'turn' must not be negative")
        s.turn = state["turn"]
        known_slots = coach.packset.slots
        for k, v in state["slots"].items():
            if k not in known_slots:
                raise StateError(f"state names unknown slot '{k}'")
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise StateError(f"slot '{k}' must be a list of text")
            s.slots[k] = [clean_text(x[:MAX_SLOT_CHARS]) for x in v[-MAX_SLOT_VALUES:]]
        if not all(isinstance(x, str) for x in state["prev"]):
            raise StateError("state key 'prev' must list text")
        s.prev = tuple(state["prev"])
        known_rules = coach._rule_by_id
        for k, v in state["fired"].items():
            if not isinstance(v, int) or isinstance(v, bool) or v < 0 or v > MAX_WHOLE:
                raise StateError(f"fired count of '{k}' must be a whole number")
            if k not in known_rules:
                raise StateError(f"state names unknown rule {k!r} in 'fired'")
        s.fired = dict(state["fired"])
        s.last = clean_text(state["last"])
        if state["script"] not in ("hans", "hant"):
            raise StateError("state key 'script' must be 'hans' or 'hant'")
        s.script = state["script"]
        s.last_suggestion = _advice(state["advice"], coach)
        try:
            if state["progress"] is None:
                s.progress = _inferred_progress(s)
            else:
                s.progress = Progress.from_dict(state["progress"])
            heard = state["heard"]
            if heard is not None:
                if not isinstance(heard, dict) or sorted(heard) != ["progress", "step"]:
                    raise ValueError("heard must hold step and progress")
                s.heard = (_step(heard["step"]), Progress.from_dict(heard["progress"]))
        except ValueError as exc:
            raise StateError(f"state key {exc!s}") from None
        return s


def check_state_sizes(state: dict[str, Any], coach: Coach) -> None:
    """StateError when a state's lists or texts are longer than any session makes them
    (coach/limits.py): a crafted state of millions of entries must not slow every turn."""
    if len(state["prev"]) > MAX_STATE_PREV:
        raise StateError(f"state key 'prev' lists more than {MAX_STATE_PREV} entries")
    reached = state["reached"]
    if len(reached) > len(Step) or len(set(map(repr, reached))) != len(reached):
        raise StateError(f"state key 'reached' must list each step at most once ({len(Step)} at most)")
    if len(state["fired"]) > min(MAX_STATE_FIRED, len(coach.packset.rules)):
        raise StateError("state key 'fired' counts more rules than the packs have")
    if len(state["slots"]) > len(coach.packset.slots):
        raise StateError("state key 'slots' holds more slots than the packs define")
    for key in ("last", "customer"):
        if len(state[key]) > MAX_STATE_TEXT:
            raise StateError(f"state key '{key}' is longer than {MAX_STATE_TEXT} characters")


def _inferred_progress(s: Session) -> Progress:
    """The progress of a state saved before version 3, read off the steps it reached."""
    reached = set(s.reached)
    need = "、".join(s.slots.get("pain", [])) or "（需求）"
    shown = Step.DEMO in reached
    if Step.CONFIRM in reached and s.step not in (Step.PROBE, Step.REPEAT):
        return Progress(probed=need, answer=Answer.YES, confirmed=need, shown=shown)
    if Step.PROBE not in reached:
        return Progress(shown=shown)
    if s.step is Step.PROBE:
        answer = Answer.PENDING
    elif "agreed" in s.prev:
        answer = Answer.YES
    elif "denied" in s.prev:
        answer = Answer.NO
    else:
        answer = Answer.UNCLEAR
    return Progress(probed=need, answer=answer, shown=shown)


def _advice_dict(s: Suggestion | None) -> dict[str, str] | None:
    if s is None:
        return None
    return {"step": s.step.value, "text": s.text, "why": s.why, "rule": s.rule}


def _advice(raw: dict[str, Any] | None, coach: Coach) -> Suggestion | None:
    if raw is None:
        return None
    if not all(isinstance(k, str) for k in raw) or sorted(raw) != ["rule", "step", "text", "why"] or not all(isinstance(v, str) for v in raw.values()):
        raise StateError("state key 'advice' must hold text under step, text, why and rule")
    if not any(r.id == raw["rule"] for r in coach.packset.rules):
        raise StateError(f"state names unknown rule {raw['rule']!r}")
    return Suggestion(step=_step(raw["step"]), text=clean_text(raw["text"][:2000]), why=clean_text(raw["why"][:2000]),
                      signals=(), rule=raw["rule"])


def _step(value: Any) -> Step:
    try:
        return Step(value)
    except ValueError:
        raise StateError(f"state names unknown step {value!r}") from None


_CJK = re.compile(r"[\u4e00-\u9fff]")


def overlap(line: str, source: str) -> float:
    """Share of the source's character bigrams that the line repeats (0..1)."""
    def grams(t: str) -> set[str]:
        t = "".join(_CJK.findall(t))
        return {t[i:i + 2] for i in range(len(t) - 1)}

    src = grams(source)
    if not src:
        return 0.0
    return len(src & grams(line)) / len(src)
