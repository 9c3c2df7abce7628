"""Issue 7: `coach test --coverage` over the bundled dialogues shows no dead rule."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_rule_of_every_bundled_pack_is_exercised():
    r = subprocess.run([sys.executable, "-m", "coach", "test", "--coverage", "dialogues"],
                       cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r"rules never exercised: 0 of \d+", r.stdout), r.stdout
    # every pack shows all of its rules, and the default pack all of its signals, moves, slots
    for line in r.stdout.splitlines():
        m = re.match(r"\s+rules: (\d+)/(\d+) exercised", line)
        if m:
            assert m.group(1) == m.group(2), line
    default = r.stdout.split("覆盖率 default", 1)[1].split("覆盖率 ", 1)[0]
    assert "not exercised" not in default, default
