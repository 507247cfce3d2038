"""Each database's log: the module's ``logging`` records, kept per database.

A reducer logs with the standard library (``logging.getLogger(__name__)``
or any logger at all). While a database runs module code on its writer
thread, every record emitted on that thread is captured into that
database's log: an in-memory ring of recent lines and, for a file
database, a ``.log`` file beside it. ``stdb logs`` reads these.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DatabaseLog", "LogLine"]

_active = threading.local()
_install_lock = threading.Lock()
_installed = False


@dataclass(frozen=True)
class LogLine:
    """One captured record."""

    timestamp: dt.datetime
    level: str
    logger: str
    message: str

    def __str__(self) -> str:
        moment = self.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        return f"{moment} {self.level:<7} {self.logger}: {self.message}"


class _Dispatcher(logging.Handler):
    """A root handler that hands records to the database active on a thread."""

    def emit(self, record: logging.LogRecord) -> None:
        target: DatabaseLog | None = getattr(_active, "log", None)
        if target is not None:
            target.add(record)


def _install() -> None:
    """Attach the dispatcher to the root logger once per process."""
    global _installed
    with _install_lock:
        if not _installed:
            logging.getLogger().addHandler(_Dispatcher(logging.DEBUG))
            _installed = True


class DatabaseLog:
    """The recent log lines of one database, and its log file if any.

    Usage::

        with db_log.capturing():
            run_module_code()
        db_log.tail(20)
    """

    def __init__(self, path: Path | None, keep: int = 10_000) -> None:
        _install()
        self.lines: collections.deque[LogLine] = collections.deque(maxlen=keep)
        self.path = path
        self._lock = threading.Lock()
        self._followers: list[collections.deque[LogLine]] = []
        self._formatter = logging.Formatter()

    def add(self, record: logging.LogRecord) -> None:
        """Capture one record: message and, if any, its traceback."""
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + self._formatter.formatException(record.exc_info)
        moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
        line = LogLine(moment, record.levelname, record.name, message)
        with self._lock:
            self.lines.append(line)
            for queue in self._followers:
                queue.append(line)
            if self.path is not None:
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(str(line) + "\n")

    def capturing(self) -> _Capture:
        """A context manager: records on this thread go to this log."""
        return _Capture(self)

    def tail(self, count: int | None = None) -> list[LogLine]:
        """The last ``count`` lines (all kept lines if None)."""
        with self._lock:
            lines = list(self.lines)
        return lines if count is None else lines[-count:] if count > 0 else []

    @contextlib.contextmanager
    def follow(self) -> Iterator[collections.deque[LogLine]]:
        """Register a queue that receives every new line (for ``logs -f``)."""
        queue: collections.deque[LogLine] = collections.deque(maxlen=10_000)
        with self._lock:
            self._followers.append(queue)
        try:
            yield queue
        finally:
            with self._lock:
                self._followers.remove(queue)


class _Capture:
    """Route this thread's records to one database log while inside."""

    def __init__(self, target: DatabaseLog) -> None:
        self.target = target
        self.previous: DatabaseLog | None = None

    def __enter__(self) -> DatabaseLog:
        self.previous = getattr(_active, "log", None)
        _active.log = self.target
        return self.target

    def __exit__(self, *exc: object) -> None:
        _active.log = self.previous
