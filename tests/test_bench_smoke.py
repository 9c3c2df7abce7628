"""The benchmark suite runs and reports every field issue 5 asks for (no timing is checked)."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT

#: The fields ``python bench/run.py --json`` must print, and whether each may be null:
#: the peers (RiveScript, python-aiml) are bench-only dependencies that ``.[test]`` does
#: not install, ``--quick`` skips the 10,000-rule pack, and the ``*_fast`` figures need
#: coach[fast] (jieba-rs) installed.
FIELDS: dict[str, bool] = {
    "hear_p50_us": False,
    "hear_p99_us": False,
    "say_p50_us": False,
    "jieba_lcut_p50_us": False,
    "hear_p50_us_by_rules": False,
    "naive_p50_us_by_rules": False,
    "rivescript_p50_us_by_rules": True,
    "aiml_p50_us_by_rules": True,
    "cold_start_s": False,
    "cold_start_nocache_s": False,
    "load_default_ms": False,
    "load_10000_rules_s": True,
    "rss_mb": False,
    "state_bytes_50_turns": False,
    "threads_turns_per_s": False,
    "hear_p50_us_fast": True,
    "hear_p99_us_fast": True,
    "say_p50_us_fast": True,
    "hear_p50_us_by_rules_fast": True,
    "cold_start_fast_s": True,
    "rss_mb_fast": True,
}
BY_RULES = ("hear_p50_us_by_rules", "hear_p50_us_by_rules_fast", "naive_p50_us_by_rules", "rivescript_p50_us_by_rules", "aiml_p50_us_by_rules")


def test_quick_bench_prints_every_field():
    """``bench/run.py --quick --json`` prints one JSON object holding all the issue's fields."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    for name, nullable in FIELDS.items():
        assert name in result, f"missing field {name}"
        value = result[name]
        if name in BY_RULES:
            assert isinstance(value, dict) and "100" in value, f"{name} has no entry for 100 rules: {value!r}"
            value = value["100"]
        if value is None:
            assert nullable, f"{name} is null"
        else:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"{name} = {value!r}"
            assert value >= 0, f"{name} = {value!r}"
    assert result["env"]["quick"] is True
    # Each target states its value against its limit (null where --quick does not measure it).
    assert result["targets"] and all({"name", "value", "limit", "met"} <= set(t) for t in result["targets"])
