"""The tutorial as a learner meets it: every chapter run in JupyterLab.

A copy of ``notebooks/`` is opened in a real JupyterLab, and each chapter,
in order, is run with Run > Run All Cells, as a person would, without
editing a cell. The test waits until every code cell has run, saves the
notebook from the page, and reads what was saved: every code cell ran, and
the only errors are in cells tagged ``raises-exception``, which JupyterLab
runs past. nbval checks the outputs themselves; this checks that the
chapters work where learners run them.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from playwright.sync_api import Browser, Page, expect

from .lab import TOKEN, running_lab

NOTEBOOKS = Path(__file__).parents[2] / "notebooks"
CHAPTERS = sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))

# True once every code cell's prompt shows an execution count.
ALL_RAN = """(expected) => {
  const prompts = document.querySelectorAll(
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt");
  const ran = [...prompts].filter((p) => /\\[\\d+\\]/.test(p.textContent || ""));
  return prompts.length === expected && ran.length === expected;
}"""


class Lab(NamedTuple):
    """A running JupyterLab: its address and the copy of the chapters."""

    address: str
    notebooks: Path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """JupyterLab over a copy of the chapters, so the run changes no file."""
    folder = tmp_path_factory.mktemp("lab")
    shutil.copytree(NOTEBOOKS, folder / "notebooks")
    with running_lab(folder) as address:
        yield Lab(address, folder / "notebooks")


@pytest.mark.timeout(180)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_runs_in_jupyterlab(browser: Browser, lab: Lab, chapter: str) -> None:
    saved = lab.notebooks / chapter
    code_cells = count_code_cells(saved)
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    try:
        page.goto(f"{lab.address}/lab/tree/notebooks/{chapter}?reset&token={TOKEN}")
        expect(page.get_by_text("Python 3 (ipykernel) | Idle")).to_be_visible()
        before = saved.stat().st_mtime_ns
        run_all(page)
        page.wait_for_function(ALL_RAN, arg=code_cells, timeout=150_000)
        save(page, saved, before)
    finally:
        context.close()
        shut_down_kernels(lab.address)
    assert problems(json.loads(saved.read_text())) == []


def run_all(page: Page) -> None:
    """Run > Run All Cells, from the menu bar."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu [data-command='runmenu:run-all']:visible").click()


def save(page: Page, saved: Path, before: int) -> None:
    """Save from the page, and wait for the file to change on disk."""
    page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while saved.stat().st_mtime_ns == before:
        assert time.monotonic() < deadline, "the notebook was never saved"
        time.sleep(0.1)
    time.sleep(0.5)


def problems(notebook: dict[str, Any]) -> list[str]:
    """Code cells that never ran, or failed without being meant to."""
    found = []
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "code":
            continue
        meant = "raises-exception" in cell["metadata"].get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        if cell["execution_count"] is None:
            found.append(f"cell {index} never ran")
        elif errors and not meant:
            found.append(f"cell {index}: {errors[0]['ename']}: {errors[0]['evalue']}")
        elif meant and not errors:
            found.append(f"cell {index} is tagged raises-exception but did not raise")
    return found


def shut_down_kernels(address: str) -> None:
    """Stop every kernel, so one chapter's kernel never outlives its test."""
    headers = {"Authorization": f"token {TOKEN}"}
    listing = urllib.request.Request(f"{address}/api/kernels", headers=headers)
    with urllib.request.urlopen(listing, timeout=10) as answer:
        kernels = json.load(answer)
    for kernel in kernels:
        url = f"{address}/api/kernels/{kernel['id']}"
        stop = urllib.request.Request(url, headers=headers, method="DELETE")
        urllib.request.urlopen(stop, timeout=30).close()


def count_code_cells(path: Path) -> int:
    """How many code cells a notebook file holds."""
    cells = json.loads(path.read_text())["cells"]
    return sum(cell["cell_type"] == "code" for cell in cells)
