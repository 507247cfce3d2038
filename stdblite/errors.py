"""The exceptions stdblite raises, all under one root.

Catch :class:`StdbliteError` to catch anything the library means to tell
you; anything else escaping stdblite is a bug in stdblite. The tree::

    StdbliteError
    ├── SchemaError                 a table or column declaration is wrong
    ├── ModuleLoadError             a module file cannot be loaded
    ├── MigrationError              a republished module changes data shape
    ├── ReducerCallError            a call was refused before it ran
    │   ├── NoSuchReducer
    │   └── ArgumentError
    ├── ReducerError                the reducer refused (rolled back)
    ├── InternalReducerError        the reducer crashed (rolled back)
    ├── ConstraintViolation
    │   └── UniqueConstraintViolation
    ├── CommitError                 DuckDB refused a group commit
    ├── QueryError                  SQL was refused or failed
    │   ├── PermissionDenied        SQL touched what it may not see
    │   └── UnsupportedQuery        outside the subscription SQL subset
    ├── ProtocolError               a wire message cannot be read
    ├── TokenError                  a token is forged, altered or expired
    ├── DatabaseClosed
    ├── ClientError                 a client connection cannot do that
    │   ├── NotConnected            no connection yet, or not any more
    │   └── CredentialsError        a saved token file cannot be read
    └── CodegenError                typed bindings cannot be generated

DuckDB's own exceptions never reach a learner: they are translated where
they enter, and chained (``raise ... from``) so the original stays readable
in a traceback.
"""

from __future__ import annotations

__all__ = [
    "ArgumentError",
    "ClientError",
    "CodegenError",
    "CommitError",
    "ConstraintViolation",
    "CredentialsError",
    "DatabaseClosed",
    "InternalReducerError",
    "MigrationError",
    "ModuleLoadError",
    "NoSuchReducer",
    "NotConnected",
    "PermissionDenied",
    "ProtocolError",
    "QueryError",
    "ReducerCallError",
    "ReducerError",
    "SchemaError",
    "StdbliteError",
    "TokenError",
    "UniqueConstraintViolation",
    "UnsupportedQuery",
]


class StdbliteError(Exception):
    """The root of every error stdblite raises on purpose."""


class SchemaError(StdbliteError):
    """A table, column or reducer declaration cannot be used."""


class ModuleLoadError(StdbliteError):
    """A module file failed to load: syntax, import or declaration error."""


class MigrationError(StdbliteError):
    """A republished module changes the schema in a way data cannot follow."""


class ReducerCallError(StdbliteError):
    """A reducer call was refused before the reducer body ran."""


class NoSuchReducer(ReducerCallError):
    """The module has no reducer of that name (or it is a lifecycle one)."""


class ArgumentError(ReducerCallError):
    """The arguments do not match the reducer's signature."""


class ReducerError(StdbliteError):
    """Raised by a reducer to refuse a call; its transaction rolls back.

    Usage::

        if not username:
            raise ReducerError("Username must not be empty")

    The message is what the caller sees.
    """


class InternalReducerError(StdbliteError):
    """A reducer raised something other than ReducerError; it rolled back.

    The caller sees only this summary; the traceback is in the database's
    log.
    """


class ConstraintViolation(StdbliteError):
    """A write would break a table constraint."""


class UniqueConstraintViolation(ConstraintViolation):
    """An insert or update would duplicate a unique or primary-key value.

    Raised inside the reducer before anything reaches DuckDB, so a reducer
    may catch it and carry on with its transaction.
    """


class CommitError(StdbliteError):
    """DuckDB refused to commit a group; every transaction in it failed."""


class QueryError(StdbliteError):
    """A SQL query was refused or failed."""


class PermissionDenied(QueryError):
    """A query reached a table, function or setting it may not use."""


class UnsupportedQuery(QueryError):
    """A subscription query is not ``SELECT * FROM <table> [WHERE ...]``.

    Also raised for an unknown table or column and for a comparison whose
    two sides cannot be compared; the message says what was found and what
    is supported.
    """


class ProtocolError(StdbliteError):
    """A wire message cannot be read: bad JSON, unknown type, bad field.

    ``request_id`` is the message's request id when it could be read, so a
    server can answer the request it belongs to; otherwise None.
    """

    def __init__(self, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class TokenError(StdbliteError):
    """A token is malformed, forged, altered, expired or from elsewhere."""


class DatabaseClosed(StdbliteError):
    """The database was closed; it takes no more calls."""


class ClientError(StdbliteError):
    """A client connection cannot do what was asked.

    Raised by the client SDK for arguments that cannot work (a malformed
    address, a missing database name), and passed to ``on_connect_error``
    and ``on_disconnect`` for a server that cannot be reached or that
    closed the connection.
    """


class NotConnected(ClientError):
    """The client has no open connection: not yet, or not any more."""


class CredentialsError(ClientError):
    """A saved token file exists but cannot be read or holds no token."""


class CodegenError(StdbliteError):
    """``stdb generate`` cannot write bindings: a name clash, a bad folder."""
