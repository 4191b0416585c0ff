"""The README's commands are the ones CI and users run."""

from __future__ import annotations

import re

from .conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quickstart")[1].split("## Example")[0]
    return [
        ln.strip()
        for ln in re.findall(r"```bash\n(.*?)```", quick, flags=re.S)
        for ln in ln.splitlines()
        if ln.strip() and not ln.startswith("#")
    ]


def test_quickstart_is_two_commands_and_ci_runs_the_test_one():
    cmds = readme_commands()
    assert len(cmds) == 2
    install_serve, test = cmds
    assert "assistant index build" in install_serve and "assistant serve" in install_serve
    assert ".venv" in install_serve and "pytest" in test
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci


def test_torch_is_pinned_exactly():
    assert '"torch==2.13.0"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")
