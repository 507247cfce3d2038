"""Every ``stdb`` command and option is in the CLI reference page."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from stdblite.cli import build_parser

PAGE = Path(__file__).parents[2] / "book" / "reference" / "cli.md"


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    """The parser of each subcommand, by name."""
    parser = build_parser()
    (group,) = [a for a in parser._actions if isinstance(a.choices, dict)]
    return dict(group.choices)


def _section(name: str) -> str:
    """The text of the page's section on one command."""
    text = PAGE.read_text()
    found = re.search(rf"^## stdb {name}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert found, f"book/reference/cli.md has no section '## stdb {name}'"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_command_has_a_section(name):
    assert len(_section(name).split()) >= 8


@pytest.mark.parametrize("name", sorted(_subcommands()))
def test_every_option_is_documented(name):
    section = _section(name)
    for action in _subcommands()[name]._actions:
        flags = [f for f in action.option_strings if f not in ("-h", "--help")]
        if flags:
            shown = any(re.search(rf"{f}\b", section) for f in flags)
            assert shown, f"stdb {name}: {flags[-1]} is not documented"
