"""Republishing a module over existing data: what can follow, what cannot.

The schema a database was created with is kept in ``st_module``. When the
module changes, additive changes are applied in place: new tables, new
indexes, new reducers, new columns that have a default. Anything that
would lose or reinterpret data (a table or column removed, a type or a key
changed, a new column without a default) is refused with a message naming
each change, and the data is left untouched; ``delete_data`` wipes first.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import MigrationError
from ..module import Module
from ..schema import TableSchema
from .storage import Storage

__all__ = ["plan_migration"]

# The parts of a column that data depends on; "indexed" is not one of them.
_SHAPE = ("type", "optional", "primary_key", "unique", "auto_inc", "enum")


def plan_migration(storage: Storage, module: Module) -> None:
    """Bring the file's tables in line with ``module``, or refuse.

    A database with no stored schema gets every table created.
    """
    stored_text = storage.get_meta("schema")
    stored = json.loads(stored_text)["tables"] if stored_text else []
    old = {t["name"]: t for t in stored}
    problems: list[str] = []
    for name in old:
        if name not in module.tables:
            problems.append(f"table {name} was removed")
    added: list[tuple[str, Any]] = []
    for name, schema in module.tables.items():
        if name in old:
            problems.extend(_column_problems(schema, old[name], added))
    if problems:
        raise MigrationError(
            "cannot migrate the existing data: "
            + "; ".join(problems)
            + ". Keep the old shape, or republish with delete_data to wipe it."
        )
    _apply(storage, module, old, added)


def _column_problems(
    schema: TableSchema, old: dict[str, Any], added: list[tuple[str, Any]]
) -> list[str]:
    """What about one table's columns cannot be migrated."""
    problems = []
    old_columns = {c["name"]: c for c in old["columns"]}
    new_columns = {c.name: c for c in schema.columns}
    for name in old_columns:
        if name not in new_columns:
            problems.append(f"column {schema.name}.{name} was removed")
    for name, column in new_columns.items():
        before = old_columns.get(name)
        if before is None and not column.has_default:
            problems.append(f"column {schema.name}.{name} was added without a default")
        elif before is None:
            added.append((schema.name, column))
        elif not _compatible(before, column.describe()):
            problems.append(f"column {schema.name}.{name} changed type or key")
    return problems


def _shape(described: dict[str, Any]) -> tuple[Any, ...]:
    """The data-bearing parts of a column description."""
    return tuple(described.get(k, False) for k in _SHAPE)


def _compatible(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """Same shape; an enum column may only gain members."""
    old_variants = set(before.get("variants", []))
    new_variants = set(after.get("variants", []))
    return _shape(before) == _shape(after) and old_variants <= new_variants


def _apply(
    storage: Storage,
    module: Module,
    old: dict[str, Any],
    added: list[tuple[str, Any]],
) -> None:
    """Create the new tables and columns, and the primary-key indexes."""
    existing = storage.existing_tables()
    for name, schema in module.tables.items():
        if name not in existing:
            storage.create_table(schema)
    for table, column in added:
        storage.add_column(table, column)
    for schema in module.tables.values():
        storage.create_indexes(schema)
