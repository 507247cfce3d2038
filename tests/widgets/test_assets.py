"""The front-end files: found, served safely, inlined, and shipped in a wheel."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from stdblite.errors import StdbliteError
from stdblite.widgets import assets

ROOT = Path(__file__).parents[2]
FRONT_END = sorted(
    p.name for p in (ROOT / "widgets").iterdir() if p.suffix in (".js", ".css")
)
DATA_URL = re.compile(r'"data:text/javascript;base64,([A-Za-z0-9+/=]+)"')


def test_the_wheel_lists_every_front_end_file() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    shipped = config["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert sorted(Path(source).name for source in shipped) == FRONT_END
    for source, target in shipped.items():
        assert target == f"stdblite/widgets/static/{Path(source).name}"


def test_a_checkout_reads_the_widgets_folder() -> None:
    assert assets.front_end_dir() == ROOT / "widgets"


@pytest.mark.parametrize(
    "name", ["../pyproject.toml", "package.json", "tsconfig.json", "nope.js", ""]
)
def test_only_front_end_files_are_served(name: str) -> None:
    assert assets.front_end_file(name) is None


def test_a_module_is_served_as_javascript() -> None:
    found = assets.front_end_file("world.js")
    assert found is not None
    body, content_type = found
    assert body == (ROOT / "widgets" / "world.js").read_bytes()
    assert content_type == "text/javascript; charset=utf-8"


def test_relative_imports_become_data_urls_all_the_way_down() -> None:
    source = assets.widget_module("player_map.js")
    assert not re.search(r"""^import[^;]*["']\./""", source, re.M)
    inlined = [base64.b64decode(m).decode() for m in DATA_URL.findall(source)]
    assert any(text.startswith("// Drawing the world") for text in inlined)
    for text in inlined:
        assert not re.search(r"""^import[^;]*["']\./""", text, re.M)
    # JSDoc type imports are comments, and stay as they are.
    assert 'import("./world.js").World' in source


def test_an_import_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.js").write_text('import { b } from "./b.js";\n')
    (tmp_path / "b.js").write_text('import { a } from "./a.js";\n')
    with pytest.raises(StdbliteError, match=r"a.js -> b.js -> a.js"):
        assets._inline(tmp_path, "a.js", ())


def test_a_wheel_carries_the_files_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", tmp_path],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    static = sorted(n for n in names if n.startswith("stdblite/widgets/static/"))
    assert static == [f"stdblite/widgets/static/{name}" for name in FRONT_END]
    assert not any("node_modules" in n or n.endswith("package.json") for n in names)
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from stdblite.widgets import assets\n"
            "print(assets.front_end_dir())\n"
            "print(len(assets.widget_module('online_list.js')))",
        ],
        env={"PYTHONPATH": str(tmp_path / "site")},
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    folder, size = found.stdout.split()
    assert Path(folder) == tmp_path / "site" / "stdblite" / "widgets" / "static"
    assert int(size) > 1000
