"""Writing a generated package into a folder, without harming what is there.

The folder's name is the package's name (``--out-dir game_bindings``
gives ``import game_bindings``), so it must be a Python identifier. A
file already in the folder is replaced only if ``stdb generate`` wrote
it (its first line says so): pointing ``--out-dir`` at a folder of your
own code is refused before anything is written. Each file is written
to a temporary name and renamed over the old one, so a file is never
half written; a file whose text is unchanged is not touched at all, so
regenerating an up-to-date package changes nothing, not even a date.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from ..errors import CodegenError
from .python import HEADER_MARK

__all__ = ["write_package"]


def write_package(out_dir: str | Path, files: Mapping[str, str]) -> list[str]:
    """Write the files into ``out_dir``; return the names that changed."""
    folder = Path(out_dir)
    _check_folder(folder, files)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return [name for name, text in files.items() if _write(folder / name, text)]
    except OSError as exc:
        raise CodegenError(f"cannot write to {folder}: {exc.strerror}") from exc


def _check_folder(folder: Path, files: Mapping[str, str]) -> None:
    """Refuse a folder that cannot be a package, or holds someone's code."""
    name = folder.resolve().name
    if not name.isidentifier():
        raise CodegenError(
            f"--out-dir {folder}: the folder's name is the package's name, so it "
            f"must be a Python name like {_suggest(name)}"
        )
    if folder.exists() and not folder.is_dir():
        raise CodegenError(f"--out-dir {folder} is a file, not a folder")
    for file_name in files:
        path = folder / file_name
        if path.exists() and not _generated(path):
            raise CodegenError(
                f"{path} exists and was not written by stdb generate; choose "
                "another --out-dir, or move that file away"
            )


def _generated(path: Path) -> bool:
    """True if the file's first line is the header ``stdb generate`` writes."""
    try:
        with path.open(encoding="utf-8") as file:
            return file.readline().startswith(HEADER_MARK)
    except (OSError, UnicodeDecodeError):
        return False


def _write(path: Path, text: str) -> bool:
    """Replace the file with ``text`` unless it holds it already."""
    data = text.encode("utf-8")
    if path.exists() and path.read_bytes() == data:
        return False
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return True


def _suggest(name: str) -> str:
    """A usable package name close to ``name``."""
    cleaned = "".join(c if c.isalnum() else "_" for c in name).strip("_")
    if not cleaned or cleaned[0].isdigit():
        cleaned = f"bindings_{cleaned}".rstrip("_")
    return cleaned
