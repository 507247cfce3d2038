"""``stdb generate``: typed Python bindings from a module's schema.

Usage::

    from stdblite.codegen import generate, module_schema

    generate(module_schema("server/module.py"), "game_bindings")

The schema is the JSON document a server serves at
``GET /v1/database/NAME/schema`` (:meth:`stdblite.module.Module.describe`);
:func:`module_schema` makes the same document from a module file, by
loading it here, so a module and the database published from it give
byte-identical bindings. The bindings are a package of row dataclasses,
typed table handles, typed reducer methods and a ``DbConnection`` over
them (:mod:`stdblite.client.bindings` is what they stand on); see the
"Typed bindings" section of the client's reference page.

The steps are separate, and each can be used alone: :func:`plan` works
out names and refuses clashes, :func:`render` makes the text,
:func:`write_package` writes it into a folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CodegenError
from .model import Bindings, plan
from .python import render
from .writer import write_package

__all__ = [
    "LANGUAGES",
    "Bindings",
    "check_language",
    "generate",
    "module_schema",
    "plan",
    "render",
    "write_package",
]

LANGUAGES = ("python",)


def module_schema(path: str | Path) -> dict[str, Any]:
    """The schema JSON of a module file, as a server would serve it.

    Loading runs the module's code in this process, as ``Database.open``
    does; a module that cannot load raises :class:`ModuleLoadError`.
    """
    from ..module import load_module

    return load_module(path).describe()


def check_language(lang: str) -> None:
    """Refuse a language the generator cannot write, before any work."""
    if lang not in LANGUAGES:
        raise CodegenError(
            f"unknown --lang {lang!r}: stdb generate writes "
            f"{', '.join(LANGUAGES)} bindings only"
        )


def generate(
    description: Mapping[str, Any], out_dir: str | Path, lang: str = "python"
) -> list[str]:
    """Write the bindings of a schema into ``out_dir``; return changed files."""
    check_language(lang)
    return write_package(out_dir, render(plan(description)))
