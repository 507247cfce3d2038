"""stdblite: a small reactive database for learning multiplayer backends.

Declare tables in code, write reducers that run as atomic transactions,
and let clients subscribe to row changes; storage is DuckDB.
"""

from .engine import Database, SqlResult, TableDelta, Transaction
from .errors import (
    ArgumentError,
    CommitError,
    InternalReducerError,
    MigrationError,
    ModuleLoadError,
    NoSuchReducer,
    PermissionDenied,
    QueryError,
    ReducerError,
    StdbliteError,
    UniqueConstraintViolation,
)
from .identity import ConnectionId, Identity, Timestamp
from .module import ReducerContext, reducer
from .schema import AutoInc, Index, PrimaryKey, ScheduleAt, Unique, table

__version__ = "0.1.0"

__all__ = [
    "ArgumentError",
    "AutoInc",
    "CommitError",
    "ConnectionId",
    "Database",
    "Identity",
    "Index",
    "InternalReducerError",
    "MigrationError",
    "ModuleLoadError",
    "NoSuchReducer",
    "PermissionDenied",
    "PrimaryKey",
    "QueryError",
    "ReducerContext",
    "ReducerError",
    "ScheduleAt",
    "SqlResult",
    "StdbliteError",
    "TableDelta",
    "Timestamp",
    "Transaction",
    "Unique",
    "UniqueConstraintViolation",
    "__version__",
    "reducer",
    "table",
]
