"""The README's promises: its quickstart code runs, and its commands are the ones CI runs."""

from __future__ import annotations

import re

from conftest import ROOT


def test_readme_quickstart_runs():
    """The library quickstart in README.md executes without error."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert blocks, "README has no python block"
    assert len(blocks[0].strip().splitlines()) <= 14
    exec(compile(blocks[0], "README.md", "exec"), {})


def test_ci_runs_the_readme_test_command():
    """.ci/run runs exactly the test command the README gives."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.*?)\n```", readme, re.S)
    test_cmd = next(c for c in commands if "pytest" in c)
    assert test_cmd in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
