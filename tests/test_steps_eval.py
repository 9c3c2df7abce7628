"""The labelled conversations: their format, and floors on the coach's step judgement.

The floors sit just under what the engine reaches; a change that makes the coach lose its
place in real conversations fails here. Only aggregate figures are asserted, so a failure
never shows a test conversation's text.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest
from conftest import ROOT

_spec = importlib.util.spec_from_file_location("steps_eval", ROOT / "bench" / "steps_eval.py")
assert _spec and _spec.loader
steps_eval = importlib.util.module_from_spec(_spec)
sys.modules["steps_eval"] = steps_eval
_spec.loader.exec_module(steps_eval)

#: split → (step accuracy, probe recall, wait recall) floors.
FLOORS = {
    "dev": (0.71, 0.40, 0.30),
    "test": (0.63, 0.22, 0.15),
}


@pytest.fixture(scope="module")
def reports(coach):
    out = {}
    for split in steps_eval.SPLITS:
        convs = steps_eval.load_split(split)
        out[split] = steps_eval.score(steps_eval.replay(convs, coach), convs) if convs else None
    return out


def test_every_conversation_file_is_well_formed():
    """Every file in corpus/conversations reads under the format of corpus/README.md."""
    paths = sorted((ROOT / "corpus" / "conversations").glob("*.yaml"))
    assert paths
    for p in paths:
        steps_eval.load_conversation(p)  # raises CorpusError naming the file and turn


def test_bad_files_are_refused(tmp_path):
    """A turn with an unknown step or without accept is an error naming the turn."""
    p = tmp_path / "x.yaml"
    p.write_text("source: {title: t, split: dev}\nscript: zh-Hans\nturns:\n"
                 "  - customer: 你好\n    accept: [persuade]\n", encoding="utf-8")
    with pytest.raises(steps_eval.CorpusError, match="turn 1: unknown step"):
        steps_eval.load_conversation(p)
    p.write_text("source: {title: t, split: dev}\nscript: zh-Hans\nturns:\n  - customer: 你好\n",
                 encoding="utf-8")
    with pytest.raises(steps_eval.CorpusError, match="needs 'accept'"):
        steps_eval.load_conversation(p)


@pytest.mark.parametrize("split", steps_eval.SPLITS)
def test_step_judgement_floors(reports, split):
    """Step accuracy and the probe and wait recall stay above their floors on each split."""
    report = reports[split]
    if report is None:
        pytest.skip(f"no {split} conversations yet")
    accuracy, probe, wait = FLOORS[split]
    assert report["exceptions"] == 0
    assert report["accuracy"] >= accuracy, report["accuracy"]
    assert (report["recall"]["probe"]["recall"] or 0) >= probe
    assert (report["recall"]["wait"]["recall"] or 0) >= wait


def test_errors_are_refused_on_test():
    """``--errors`` never lists test turns."""
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "steps_eval.py"), "--split", "test", "--errors"],
                          check=False, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert "dev split only" in done.stderr
