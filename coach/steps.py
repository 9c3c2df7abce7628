"""The step machine: the eight needs-definition steps, what a conversation has reached, and
the one table of the moves between steps that the engine, lint, scoring and the simulated
customer all read.

The table (``TRANSITIONS``, printed by ``coach steps``) says, for each step, where the talk
may go next and on what condition. The conditions are few and named in the method's words:
a need is confirmed only once a probe of it was answered yes; something is shown once the
need is confirmed or the customer asks to see it; terms are talked only once something was
shown or the need confirmed. Reflecting the customer's words (``repeat``) is always allowed.
Which move a turn actually makes is the rule packs' business; the table only refuses the
moves the method forbids, and says why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any


class Step(str, Enum):
    """A step of the needs-definition method. ``Step("probe") is Step.PROBE``."""

    INVESTIGATE = "investigate"
    ANALYSE = "analyse"
    COMMUNICATE = "communicate"
    PROBE = "probe"
    REPEAT = "repeat"
    CONFIRM = "confirm"
    DEMO = "demo"
    WAIT = "wait"

    def __str__(self) -> str:
        return self.value

    @property
    def label(self) -> str:
        """The step's Chinese name, as the method names it."""
        return _LABELS[self]

    @property
    def position(self) -> int:
        """Position in the method, 0 for investigate … 7 for wait (``index`` is str's)."""
        return _ORDER.index(self)


_LABELS = {
    Step.INVESTIGATE: "调查",
    Step.ANALYSE: "分析",
    Step.COMMUNICATE: "沟通",
    Step.PROBE: "试探",
    Step.REPEAT: "重复",
    Step.CONFIRM: "确定",
    Step.DEMO: "展示",
    Step.WAIT: "等待",
}
_ORDER = list(Step)

#: The steps in which the need is still being found: talk flows freely among them.
DEFINING = frozenset({Step.INVESTIGATE, Step.ANALYSE, Step.COMMUNICATE})


class Answer(str, Enum):
    """How the customer has answered the latest probe."""

    NONE = "none"  # no probe made yet
    PENDING = "pending"  # probed, no answer yet
    YES = "yes"
    NO = "no"  # denied or corrected: the definition must be probed again
    UNCLEAR = "unclear"  # answered, neither yes nor no


@dataclass(frozen=True)
class Progress:
    """What the definition of the need has reached, beyond the current step.

    Text fields hold the need in the words used at the time ("" when not reached).
    """

    probed: str = ""  # the need as the latest probe stated it
    answer: Answer = Answer.NONE  # the customer's answer to that probe
    corrected: str = ""  # the customer's latest correction of a probe or a reflection
    confirmed: str = ""  # the need as confirmed
    shown: bool = False  # something was shown: a sample, a plan, a trial, a test drive
    requested: bool = False  # the customer asked to see something (a sample, a demo, a plan)

    @property
    def tested(self) -> bool:
        """A probe was made and the customer answered it."""
        return self.answer in (Answer.YES, Answer.NO, Answer.UNCLEAR)

    def to_dict(self) -> dict[str, Any]:
        return {"probed": self.probed, "answer": self.answer.value, "corrected": self.corrected,
                "confirmed": self.confirmed, "shown": self.shown, "requested": self.requested}

    @classmethod
    def from_dict(cls, raw: Any) -> Progress:
        """The inverse of ``to_dict``; raises ValueError naming the bad key."""
        if not isinstance(raw, dict) or sorted(raw) != ["answer", "confirmed", "corrected", "probed",
                                                        "requested", "shown"]:
            raise ValueError("progress must hold probed, answer, corrected, confirmed, shown and requested")
        for key in ("probed", "corrected", "confirmed"):
            if not isinstance(raw[key], str):
                raise ValueError(f"progress '{key}' must be text")
        for key in ("shown", "requested"):
            if not isinstance(raw[key], bool):
                raise ValueError(f"progress '{key}' must be true or false")
        try:
            answer = Answer(raw["answer"])
        except ValueError:
            raise ValueError(f"progress 'answer' must be one of {', '.join(a.value for a in Answer)}") from None
        return cls(raw["probed"][:200], answer, raw["corrected"][:200], raw["confirmed"][:200], raw["shown"],
                   raw["requested"])


class Guard(str, Enum):
    """A condition on a move between steps, named for the table."""

    ALWAYS = "always"
    PROBE_AGREED = "probe_agreed"  # the latest probe was answered yes, and not corrected since
    NEED_SETTLED = "need_settled"  # the need is confirmed, or the customer asks to see something
    TERMS_OPEN = "terms_open"  # something was shown, or the need confirmed

    @property
    def label(self) -> str:
        return _GUARD_LABELS[self]


_GUARD_LABELS = {
    Guard.ALWAYS: "随时",
    Guard.PROBE_AGREED: "试探得到客户认同之后",
    Guard.NEED_SETTLED: "需求确定之后，或客户主动要看",
    Guard.TERMS_OPEN: "展示过方案或需求确定之后",
}

#: Why a guarded move is refused, in the method's words (shown by explain and feedback).
REFUSALS = {
    Guard.PROBE_AGREED: "还没有经过试探并得到客户认同，需求不能算确定（先试探，再重复，客户认同后才确定）",
    Guard.NEED_SETTLED: "需求还没确定，客户也没要看，现在展示或发方案为时过早",
    Guard.TERMS_OPEN: "还没展示、需求也没确定，现在谈成交条件为时过早",
}

_A, _P, _N, _T = Guard.ALWAYS, Guard.PROBE_AGREED, Guard.NEED_SETTLED, Guard.TERMS_OPEN

#: The one table of the method: from each step, the steps the talk may move to, and on what
#: condition. Staying in a step is always allowed; so is reflecting (repeat) from anywhere.
TRANSITIONS: dict[Step, dict[Step, Guard]] = {
    Step.INVESTIGATE: {Step.ANALYSE: _A, Step.COMMUNICATE: _A, Step.PROBE: _A, Step.REPEAT: _A,
                       Step.CONFIRM: _P, Step.DEMO: _N, Step.WAIT: _T},
    Step.ANALYSE: {Step.INVESTIGATE: _A, Step.COMMUNICATE: _A, Step.PROBE: _A, Step.REPEAT: _A,
                   Step.CONFIRM: _P, Step.DEMO: _N, Step.WAIT: _T},
    Step.COMMUNICATE: {Step.INVESTIGATE: _A, Step.ANALYSE: _A, Step.PROBE: _A, Step.REPEAT: _A,
                       Step.CONFIRM: _P, Step.DEMO: _N, Step.WAIT: _T},
    Step.PROBE: {Step.REPEAT: _A, Step.COMMUNICATE: _A, Step.ANALYSE: _A, Step.CONFIRM: _P, Step.DEMO: _N,
                 Step.WAIT: _T},
    Step.REPEAT: {Step.COMMUNICATE: _A, Step.ANALYSE: _A, Step.PROBE: _A, Step.CONFIRM: _P, Step.DEMO: _N,
                  Step.WAIT: _T},
    Step.CONFIRM: {Step.COMMUNICATE: _A, Step.PROBE: _A, Step.REPEAT: _A, Step.DEMO: _N, Step.WAIT: _T},
    Step.DEMO: {Step.COMMUNICATE: _A, Step.PROBE: _A, Step.REPEAT: _A, Step.CONFIRM: _P, Step.WAIT: _T},
    Step.WAIT: {Step.COMMUNICATE: _A, Step.PROBE: _A, Step.REPEAT: _A, Step.CONFIRM: _P, Step.DEMO: _N},
}


def guard(source: Step, dest: Step) -> Guard | None:
    """The condition on moving from ``source`` to ``dest``; None when the table forbids it."""
    if dest == source:
        return Guard.ALWAYS
    return TRANSITIONS[source].get(dest)


def holds(g: Guard, progress: Progress) -> bool:
    """Whether the guard holds for this progress."""
    if g is Guard.ALWAYS:
        return True
    if g is Guard.PROBE_AGREED:
        return progress.answer is Answer.YES or bool(progress.confirmed)
    if g is Guard.NEED_SETTLED:
        return bool(progress.confirmed) or progress.shown or progress.requested
    return progress.shown or bool(progress.confirmed)


def refusal(source: Step, dest: Step, progress: Progress, extra: Mapping[Step, Iterable[Step]] | None = None) -> str:
    """"" when the move is allowed now, else why not (in Chinese).

    ``extra``: moves a pack's ``flow:`` adds to the table, allowed unconditionally.
    """
    g = guard(source, dest)
    if g is None:
        if extra and dest in extra.get(source, ()):
            return ""
        return f"步骤表不允许从{source.label}直接到{dest.label}"
    if holds(g, progress):
        return ""
    return REFUSALS[g]


# -- how each turn changes the progress ------------------------------------------------


#: Signals that answer a probe or a reflection with a yes, and with a no.
YES_SIGNALS = frozenset({"agree", "ready_to_buy", "interest"})
NO_SIGNALS = frozenset({"deny", "no_need"})


def answer_of(signals: Iterable[str]) -> Answer:
    """How an utterance answers a probe or a reflection."""
    got = set(signals)
    if got & NO_SIGNALS:
        return Answer.NO
    if got & YES_SIGNALS:
        return Answer.YES
    return Answer.UNCLEAR


def heard(progress: Progress, step: Step, signals: Iterable[str], words: str, after_reflect: bool) -> Progress:
    """The progress after the customer spoke in ``step`` (before the coach answers).

    ``after_reflect``: the salesperson's last line reflected the customer's words back.
    """
    got = set(signals)
    ans = answer_of(got)
    if "request_demo" in got and not progress.requested:
        progress = replace(progress, requested=True)
    if step is Step.PROBE and progress.answer in (Answer.PENDING, Answer.NONE):
        if ans is Answer.NO:
            return replace(progress, answer=Answer.NO, corrected=words)
        return replace(progress, answer=ans)
    if step is Step.REPEAT or after_reflect:
        # A reflection corrected: the definition must be probed again. A reflection agreed
        # to changes nothing: it confirms only what a probe already tested.
        if ans is Answer.NO and progress.answer is not Answer.NONE:
            return replace(progress, answer=Answer.NO, corrected=words, confirmed="")
        if ans is Answer.NO:
            return replace(progress, corrected=words)
        if ans is Answer.YES and progress.answer is Answer.UNCLEAR:
            return replace(progress, answer=Answer.YES)
        return progress
    if step is Step.CONFIRM and got & (NO_SIGNALS | {"no_money", "stall"}) and not got & YES_SIGNALS:
        # The stated need was not accepted: it stands unconfirmed until probed again.
        return replace(progress, confirmed="", answer=Answer.NO if ans is Answer.NO else progress.answer,
                       corrected=words if ans is Answer.NO else progress.corrected)
    return progress


def entered(progress: Progress, before: Step, after: Step, need: str) -> Progress:
    """The progress once the talk moves from ``before`` into ``after``, stating ``need``."""
    if after is Step.PROBE and before is not Step.PROBE:
        return replace(progress, probed=need, answer=Answer.PENDING)
    if after is Step.CONFIRM and not progress.confirmed:
        return replace(progress, confirmed=need or progress.probed or "（需求）")
    if after is Step.DEMO:
        return replace(progress, shown=True)
    return progress


def describe() -> str:
    """The transition table as text, one step a line (``coach steps`` prints it)."""
    lines = []
    for source, dests in TRANSITIONS.items():
        moves = "；".join(
            f"{d.label} {d.value}" + ("" if g is Guard.ALWAYS else f"（{g.label}）")
            for d, g in sorted(dests.items(), key=lambda kv: kv[0].position))
        lines.append(f"{source.label} {source.value} → {moves}")
    return "\n".join(lines)
