"""The docs keep up with the CLI: every command has help text and appears in README.md."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from crawler.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(main.commands)


def test_there_are_commands() -> None:
    assert {"archive", "extract", "serve", "demo"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help_with_an_example(name: str) -> None:
    command = main.commands[name]
    assert isinstance(command, click.Command)
    assert command.help and len(command.help.strip()) > 40
    result = CliRunner().invoke(main, [name, "--help"])
    assert result.exit_code == 0
    assert f"newsarchive {name}" in result.output  # the example


@pytest.mark.parametrize("name", COMMANDS)
def test_command_appears_in_readme(name: str) -> None:
    assert re.search(rf"newsarchive {name}\b", README), f"README.md does not show `newsarchive {name}`"


def test_readme_test_command_is_what_ci_runs() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    [command] = re.findall(r"(python -m pytest.*?)\s*$", README, flags=re.M)
    assert command in ci
