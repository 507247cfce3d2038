"""The databases a server hosts, and the data directory that keeps them.

Layout of a data directory::

    DATA_DIR/
      signing.key, issuer      the token authority (made once)
      databases/NAME.duckdb    one DuckDB file per database
      databases/NAME.duckdb.log

On start every file in ``databases/`` is reopened with the module source
it keeps. Publishing loads the new source first, so a module that fails
to load is refused while the old one keeps running; a republish that the
data cannot follow (see the engine's migrations) reopens the old module.
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

from ..engine import Database
from ..errors import MigrationError, StdbliteError
from ..identity import Identity
from ..module import Module, load_module
from .hosted import HostedDatabase

__all__ = ["Catalog", "check_name"]

log = logging.getLogger("stdblite.server")

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def check_name(name: str) -> str:
    """Refuse a database name that is not lowercase letters, digits, - and _."""
    if not _NAME.match(name):
        raise StdbliteError(
            f"invalid database name {name[:40]!r}: use 1-63 lowercase letters, "
            "digits, - and _, starting with a letter or digit"
        )
    return name


class Catalog:
    """Name -> hosted database, backed by files or kept in memory."""

    def __init__(self, data_dir: Path | None, loop: asyncio.AbstractEventLoop) -> None:
        self.folder = None if data_dir is None else data_dir / "databases"
        self.loop = loop
        self.databases: dict[str, HostedDatabase] = {}

    def path_of(self, name: str) -> str:
        """Where a database's DuckDB file lives (":memory:" in memory)."""
        if self.folder is None:
            return ":memory:"
        return str(self.folder / f"{name}.duckdb")

    def open_existing(self) -> None:
        """Reopen every database file in the data directory."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.folder.glob("*.duckdb")):
            try:
                db = Database.reopen(path, name=path.stem)
            except StdbliteError as exc:
                log.error("cannot reopen %s: %s", path, exc)
                continue
            self.databases[path.stem] = HostedDatabase(db, self.loop)
            log.info("database %s reopened from %s", path.stem, path)

    def get(self, name: str) -> HostedDatabase | None:
        """The hosted database of that name, if any."""
        return self.databases.get(name)

    def load(self, name: str, source: str) -> Module:
        """Load module source for database ``name``, or raise why it cannot.

        Publishing loads first, so a module that fails to load is refused
        while the old one keeps running and its clients stay connected.
        """
        return load_module(Path(f"{check_name(name)}.py"), source=source)

    def publish(
        self, name: str, module: Module, owner: Identity, delete_data: bool
    ) -> tuple[HostedDatabase, bool]:
        """Create or replace a database; returns it and whether it is new.

        Runs on a worker thread: opening runs ``init`` and may migrate.
        """
        old = self.databases.pop(name, None)
        if old is not None:
            old.close()
        try:
            db = Database.open(
                module,
                self.path_of(name),
                owner=owner,
                name=name,
                delete_data=delete_data,
            )
        except MigrationError:
            if old is not None:
                self._restore(name, old.db.module)
            raise
        hosted = HostedDatabase(db, self.loop)
        self.databases[name] = hosted
        return hosted, old is None

    def _restore(self, name: str, module: Module) -> None:
        """Reopen the old module after a refused republish."""
        db = Database.open(module, self.path_of(name), name=name)
        self.databases[name] = HostedDatabase(db, self.loop)

    def delete(self, name: str) -> None:
        """Close a database and delete its files."""
        hosted = self.databases.pop(name)
        hosted.close()
        if self.folder is not None:
            for suffix in (".duckdb", ".duckdb.wal", ".duckdb.log"):
                (self.folder / f"{name}{suffix}").unlink(missing_ok=True)

    def close_all(self) -> None:
        """Close every database (each runs client_disconnected as it goes)."""
        for name in list(self.databases):
            self.databases.pop(name).close()
