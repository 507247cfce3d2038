"""The client stands apart: no engine or server inside, and a documented surface."""

from __future__ import annotations

import ast
from pathlib import Path

import stdblite.client

CLIENT = Path(stdblite.client.__file__).parent
REFERENCE = Path(__file__).parents[2] / "book" / "reference" / "client.md"
ALLOWED = {"errors", "identity", "protocol", "query", "schema"}


def imported_layers(path: Path) -> set[str]:
    """The stdblite layers a client module imports (``from ..x import``)."""
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 2:
            layers.add((node.module or "").split(".")[0])
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            if module.startswith("stdblite"):
                layers.add(module.split(".")[1])
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("stdblite"):
                    layers.add(alias.name.split(".")[1])
    return layers


def test_the_client_imports_no_engine_server_or_cli() -> None:
    for path in sorted(CLIENT.glob("*.py")):
        assert imported_layers(path) <= ALLOWED, path.name


def test_every_public_name_is_in_the_reference_page() -> None:
    page = REFERENCE.read_text(encoding="utf-8")
    for name in stdblite.client.__all__:
        assert f"`{name}" in page or f"{name}`" in page, name
    assert stdblite.client.__all__ == sorted(stdblite.client.__all__)
