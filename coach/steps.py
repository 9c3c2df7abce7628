"""The eight needs-definition steps, in the order the method walks them."""

from __future__ import annotations

from enum import Enum


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
