"""The tutorial notebooks are fit to be compared by nbval and read as a book.

`make notebooks` executes every chapter and compares its outputs with the
stored ones. These checks keep that comparison honest without running a
kernel: outputs are stored and none is ignored without an assertion, cells
meant to fail say so, widget state is stripped, cells fit on a screen, the
sanitize file parses, and chapter 4's module is still the tutorial module.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns

from stdblite.module import load_module

ROOT = Path(__file__).parents[1]
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
GAME = ROOT / "stdblite" / "examples" / "game.py"
IGNORING = {"nbval-ignore-output", "nbval-skip"}
MAX_LINES, MAX_WIDTH = 30, 88


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [c for c in read(path).cells if c.cell_type == "code"]


def tags(cell: nbformat.NotebookNode) -> set[str]:
    return set(cell.metadata.get("tags", []))


def test_chapters_are_numbered_in_order() -> None:
    numbers = [int(p.name[:2]) for p in CHAPTERS]
    assert numbers == list(range(1, len(CHAPTERS) + 1))
    assert len(CHAPTERS) >= 4


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_opens_with_its_numbered_title(path: Path) -> None:
    first = read(path).cells[0]
    assert first.cell_type == "markdown"
    assert first.source.startswith(f"# {int(path.name[:2])}. ")


def test_every_chapter_is_in_the_book() -> None:
    toc = ROOT / "book" / "_toc.yml"
    if not toc.exists():
        pytest.skip("the book has no table of contents yet")
    listed = toc.read_text(encoding="utf-8")
    missing = [p.stem for p in CHAPTERS if p.stem not in listed]
    assert not missing, f"chapters missing from {toc.name}: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_every_code_cell_ran_in_order(path: Path) -> None:
    counts = [c.execution_count for c in code_cells(path)]
    assert counts == list(range(1, len(counts) + 1)), "re-run top to bottom"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_errors_only_where_tagged(path: Path) -> None:
    for cell in code_cells(path):
        errors = [o for o in cell.outputs if o.output_type == "error"]
        expected = "raises-exception" in tags(cell)
        assert bool(errors) == expected, cell.source
        for error in errors:
            # %xmode Minimal: the learner reads one line, not the machinery.
            assert len(error.traceback) == 1, cell.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_output_ignored_without_an_assertion(path: Path) -> None:
    for cell in code_cells(path):
        markers = {
            m.lower().replace("_", "-") for m in re.findall(r"NBVAL_\w+", cell.source)
        }
        ignored = (tags(cell) | markers) & IGNORING
        if ignored:
            assert "assert " in cell.source, f"{ignored} without assert: {cell.source}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_widget_state_is_stored(path: Path) -> None:
    notebook = read(path)
    assert "widgets" not in notebook.metadata
    for cell in code_cells(path):
        for output in cell.outputs:
            data = output.get("data", {})
            assert "application/vnd.jupyter.widget-state+json" not in data


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_code_cells_fit_on_a_screen(path: Path) -> None:
    for cell in code_cells(path):
        lines = cell.source.splitlines()
        assert len(lines) <= MAX_LINES, cell.source
        assert all(len(line) <= MAX_WIDTH for line in lines), cell.source


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_servers_and_folders_are_cleaned_up(path: Path) -> None:
    source = "\n".join(c.source for c in code_cells(path))
    if "Server(" in source:
        assert ".stop()" in source
    if "mkdtemp(" in source:
        assert "shutil.rmtree(" in source and "os.chdir(chapter_home)" in source
    assert "port=3000" not in source and "~/.stdb" not in source


def test_sanitize_file_parses_every_rule() -> None:
    text = (NOTEBOOKS / "sanitize.cfg").read_text(encoding="utf-8")
    rules = get_sanitize_patterns(text)
    # A rule whose "replace: " lost its trailing space is silently dropped.
    assert len(rules) == text.count("\nregex: ")
    for regex, _ in rules:
        re.compile(regex)


def test_sanitize_hides_what_changes_and_keeps_the_rest() -> None:
    rules = get_sanitize_patterns((NOTEBOOKS / "sanitize.cfg").read_text())

    def clean(text: str) -> str:
        for regex, replacement in rules:
            text = re.sub(regex, replacement, text)
        return text

    run1 = "tx 2 join('John') by 0xa484b3b3...\n 2026-01-01 10:00:00.123 brave-otter"
    run2 = "tx 2 join('John') by 0x019fa7c0...\n 2027-05-05 11:11:11.999 calm-heron"
    assert clean(run1) == clean(run2)
    assert clean("tx 2 join('John')") != clean("tx 2 join('Sara')")
    assert clean("http://127.0.0.1:41234") == clean("http://127.0.0.1:3000")


def test_chapter_4_writes_the_tutorial_module(tmp_path: Path) -> None:
    cells = code_cells(NOTEBOOKS / "04-server-and-cli.ipynb")
    parts = [c.source for c in cells if c.source.startswith("%%writefile")]
    assert parts, "chapter 4 writes its module with %%writefile"
    source = "\n".join(part.split("\n", 1)[1] for part in parts)
    written = load_module(tmp_path / "module.py", source=source).describe()
    tutorial = load_module(GAME).describe()
    assert written["tables"] == [t for t in tutorial["tables"] if t["name"] == "player"]
    names = {r["name"] for r in written["reducers"]}
    assert names == {
        "identity_connected",
        "identity_disconnected",
        "register_player",
        "move_player",
    }
    assert all(r in tutorial["reducers"] for r in written["reducers"])
