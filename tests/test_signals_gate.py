"""The hearing gate: signal detection on the corpus of customer turns may not get worse.

Floors sit just under what the default pack reaches on each split of ``corpus/turns``
(``python bench/signals_eval.py --split dev|test``). Raise them when hearing improves;
never lower them to let a change through. Only aggregate figures are asserted, so a
failure on the test split names no test item.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: split → (macro-F1 floor, silence ceiling, per-signal F1 floor)
FLOORS: dict[str, tuple[float, float, float]] = {
    "dev": (0.80, 0.21, 0.60),
    "test": (0.32, 0.51, 0.0),
}


def _eval_module():
    spec = importlib.util.spec_from_file_location("signals_eval_gate", ROOT / "bench" / "signals_eval.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["signals_eval_gate"] = mod
    spec.loader.exec_module(mod)
    return mod


ev = _eval_module()


@pytest.fixture(scope="module")
def reports(coach) -> dict[str, dict[str, Any]]:
    sources = ev.load_corpus()
    out = {}
    for split in ev.SPLITS:
        results = ev.predict(ev.select(sources, split), coach)
        out[split] = ev.score(results) | {"by_script": ev.score_by_script(results)}
    return out


@pytest.mark.parametrize("split", ev.SPLITS)
def test_macro_f1_and_silence_floors(reports, split):
    r = reports[split]
    if not r["items"]:
        pytest.skip(f"no {split} items in corpus/turns yet")
    macro, silence, _ = FLOORS[split]
    assert r["exceptions"] == 0
    assert r["macro_f1"] >= macro, f"{split} macro-F1 {r['macro_f1']:.3f} fell under {macro}"
    assert r["silence"] <= silence, f"{split} silence {r['silence']:.1%} rose over {silence:.0%}"


@pytest.mark.parametrize("split", ev.SPLITS)
def test_every_signal_floor(reports, split):
    r = reports[split]
    if not r["items"]:
        pytest.skip(f"no {split} items in corpus/turns yet")
    floor = FLOORS[split][2]
    low = {sid: round(v["f1"], 3) for sid, v in r["signals"].items() if v["support"] and v["f1"] < floor}
    assert not low, f"{split}: signals under F1 {floor}: {low}"
