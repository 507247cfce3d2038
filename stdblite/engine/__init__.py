"""The engine: DuckDB storage, serial reducer transactions, row deltas.

It imports nothing of the server, the client, the CLI or the widgets: the
server is built on :class:`Database`, and so is a learner's unit test.
"""

from .database import Database
from .history import Snapshot
from .logs import LogLine
from .records import TableDelta, Transaction
from .sql import SqlResult

__all__ = ["Database", "LogLine", "Snapshot", "SqlResult", "TableDelta", "Transaction"]
