"""What each ``stdb`` command does; :mod:`stdblite.cli` only parses.

Each function takes the parsed arguments and returns the exit code. It
raises :class:`StdbliteError` for anything the user should read; the
entry point prints that as one line.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import urllib.parse
from pathlib import Path
from typing import Any

from .. import __version__
from ..engine import SqlResult
from ..errors import StdbliteError
from ..identity import Identity
from ..protocol import (
    CallReducer,
    DeleteDatabase,
    Describe,
    InitialConnection,
    LogLines,
    Logs,
    Publish,
    ReducerResult,
    Subscribe,
    SubscribeApplied,
    SubscriptionError,
    TransactionUpdate,
    decode_server,
    encode,
    encode_admin,
)
from ..tokens import identity_for
from .config import Config, home
from .remote import admin, get_json, open_socket

__all__ = [
    "call",
    "delete",
    "describe",
    "list_databases",
    "login",
    "logout",
    "logs",
    "publish",
    "sql",
    "start",
    "subscribe",
    "version",
]


# -- tokens ------------------------------------------------------------------


def _token(config: Config, server: str, anonymous: bool = False) -> str | None:
    """The saved token for a server (None: let the server mint one)."""
    return None if anonymous else config.tokens.get(server)


def _ensure_token(config: Config, server: str) -> str:
    """The saved token, or a new one minted by the server and saved."""
    token = config.tokens.get(server)
    if token is None:
        token = str(get_json(server, "/v1/identity")["token"])
        config.tokens[server] = token
        config.save()
    return token


def _identity_of(token: str, given: bool = False) -> Identity:
    """The identity a token stands for, read from its claims (not checked).

    ``given`` says the token was typed on this command line, so the message
    blames it rather than the saved one.
    """
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * -len(payload)))
        return identity_for(str(claims["iss"]), str(claims["sub"]))
    except (IndexError, ValueError, KeyError, TypeError) as exc:
        if given:
            shown = "`stdb login show --token` prints"
            raise StdbliteError(
                f"that token is malformed; give one as {shown}"
            ) from exc
        raise StdbliteError("the saved token is malformed; run `stdb logout`") from exc


# -- the server --------------------------------------------------------------


def listen_address(text: str) -> tuple[str, int]:
    """``HOST:PORT`` from ``--listen-addr``; IPv6 hosts may be bracketed."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise StdbliteError(f"--listen-addr takes HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def log_to_stderr() -> None:
    """A foreground server logs INFO and up to stderr, one line a record.

    The ``websockets`` library's own lines (one per connection opened and
    closed) are kept to warnings: the server says who connected itself,
    and a hundred clients would bury everything else.
    """
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("stdblite.server.websockets").setLevel(logging.WARNING)


def start(args: argparse.Namespace) -> int:
    """``stdb start``: run a server in the foreground until Ctrl-C."""
    from ..server import Server
    from ..server.pages import demo_pages

    host, port = listen_address(args.listen_addr)
    log_to_stderr()
    data_dir = Path(args.data_dir) if args.data_dir else home() / "data"
    key = args.publish_key or os.environ.get("STDB_PUBLISH_KEY")
    server = Server(
        None if args.in_memory else data_dir,
        host=host,
        port=port,
        in_memory=args.in_memory,
        publish_key=key,
    )
    server.pages.append(demo_pages(server))
    server.serve_forever()
    return 0


def publish(args: argparse.Namespace) -> int:
    """``stdb publish``: send a module's source to create or update NAME."""
    config = Config.load()
    server = config.server(args.server)
    path = Path(args.module_path)
    if path.is_dir():
        path = path / "module.py"
    try:
        source = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StdbliteError(f"cannot read module {path}: {exc.strerror}") from exc
    token = _ensure_token(config, server)
    key = os.environ.get("STDB_PUBLISH_KEY")
    request = Publish(1, args.name, source, args.delete_data)
    result = admin(server, token, request, key)
    verb = "Created new" if result.get("created") else "Updated"
    print(f"{verb} database {args.name} (identity {result.get('identity')})")
    return 0


def delete(args: argparse.Namespace) -> int:
    """``stdb delete``: stop a database and delete its data."""
    config = Config.load()
    server = config.server(args.server)
    admin(server, _token(config, server), DeleteDatabase(1, args.name))
    print(f"Deleted database {args.name}")
    return 0


def list_databases(args: argparse.Namespace) -> int:
    """``stdb list``: the databases a server hosts."""
    server = Config.load().server(args.server)
    for name in get_json(server, "/v1/databases")["databases"]:
        print(name)
    return 0


def describe(args: argparse.Namespace) -> int:
    """``stdb describe``: a database's tables and reducers."""
    config = Config.load()
    server = config.server(args.server)
    result = admin(server, _token(config, server), Describe(1, args.name))
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"database {result['database']}")
    print(f"  identity {result['identity']}\n  owner    {result['owner']}")
    for table in result["tables"]:
        print(f"table {table['name']} ({'public' if table['public'] else 'private'})")
        for column in table["columns"]:
            print(f"  {column['name']}: {_type_text(column)}")
    for reducer in result["reducers"]:
        params = ", ".join(f"{p['name']}: {_type_text(p)}" for p in reducer["params"])
        kind = "" if reducer["kind"] == "reducer" else f"  [{reducer['kind']}]"
        print(f"reducer {reducer['name']}({params}){kind}")
    return 0


_TYPE_NAMES = {
    "identity": "Identity",
    "connection_id": "ConnectionId",
    "timestamp": "Timestamp",
    "schedule_at": "ScheduleAt",
}


def _type_text(column: dict[str, Any]) -> str:
    """``str | None [unique]``: a described column as a reader wants it."""
    kind = str(column["type"])
    base = column.get("enum") or column.get("table") or _TYPE_NAMES.get(kind, kind)
    text = f"{base} | None" if column.get("optional") else str(base)
    flags = [
        f.replace("_", " ")
        for f in ("primary_key", "unique", "auto_inc", "indexed")
        if column.get(f)
    ]
    return text + (f" [{', '.join(flags)}]" if flags else "")


def logs(args: argparse.Namespace) -> int:
    """``stdb logs``: the last lines of a database's log; ``-f`` follows."""
    config = Config.load()
    server = config.server(args.server)
    token = _token(config, server)
    if not args.follow:
        result = admin(server, token, Logs(1, args.name, args.num_lines, False))
        print("\n".join(result["lines"]))
        return 0
    with open_socket(server, "/v1/admin", token) as socket:
        socket.send(encode_admin(Logs(1, args.name, args.num_lines, True)))
        while True:
            reply = decode_server(socket.recv())
            for line in _log_lines(reply):
                print(line, flush=True)


def _log_lines(reply: Any) -> list[str]:
    """The lines an AdminResult or LogLines reply carries; errors raise."""
    if isinstance(reply, LogLines):
        return reply.lines
    if getattr(reply, "error", None):
        raise StdbliteError(reply.error)
    return list((getattr(reply, "result", None) or {}).get("lines", []))


# -- as a client -------------------------------------------------------------


def call(args: argparse.Namespace) -> int:
    """``stdb call``: connect, call one reducer, disconnect."""
    config = Config.load()
    server = config.server(args.server)
    values = [_json_argument(i, text) for i, text in enumerate(args.args, 1)]
    path = f"/v1/database/{urllib.parse.quote(args.name)}/subscribe"
    with open_socket(server, path, _token(config, server, args.anonymous)) as socket:
        _remember(config, server, socket.recv(), args.anonymous)
        socket.send(encode(CallReducer(1, args.reducer, values)))
        while True:
            reply = decode_server(socket.recv(timeout=60))
            if isinstance(reply, ReducerResult) and reply.request_id == 1:
                break
    if reply.outcome != "committed":
        raise StdbliteError(f"{args.reducer}: {reply.error}")
    return 0


def _json_argument(position: int, text: str) -> Any:
    """One reducer argument, written as JSON on the command line."""
    try:
        return json.loads(text)
    except ValueError:
        raise StdbliteError(
            f"argument {position} is not JSON: {text[:40]!r}; a string needs "
            f"quotes inside the shell's, like '\"{text[:20]}\"'"
        ) from None


def _remember(config: Config, server: str, frame: Any, anonymous: bool) -> None:
    """Read InitialConnection, and save a newly minted token for next time."""
    first = decode_server(frame)
    if not isinstance(first, InitialConnection):
        raise StdbliteError(f"unexpected first message {type(first).__name__}")
    if not anonymous and server not in config.tokens:
        config.tokens[server] = first.token
        config.save()


def sql(args: argparse.Namespace) -> int:
    """``stdb sql``: one read-only query (not a client connection)."""
    config = Config.load()
    server = config.server(args.server)
    token = _token(config, server, args.anonymous)
    query = urllib.parse.urlencode({"query": args.query})
    path = f"/v1/database/{urllib.parse.quote(args.name)}/sql?{query}"
    result = get_json(server, path, token)
    if args.format == "json":
        rows = [
            dict(zip(result["columns"], row, strict=True)) for row in result["rows"]
        ]
        print(json.dumps(rows, indent=2))
    else:
        print(SqlResult(result["columns"], [tuple(r) for r in result["rows"]]))
    return 0


def subscribe(args: argparse.Namespace) -> int:
    """``stdb subscribe``: print rows, then each update, until Ctrl-C."""
    config = Config.load()
    server = config.server(args.server)
    path = f"/v1/database/{urllib.parse.quote(args.name)}/subscribe"
    with open_socket(server, path, _token(config, server, args.anonymous)) as socket:
        _remember(config, server, socket.recv(), args.anonymous)
        socket.send(encode(Subscribe(1, 1, list(args.queries))))
        seen = 0
        while args.num_updates is None or seen < args.num_updates:
            reply = decode_server(socket.recv())
            seen += _print_update(reply)
    return 0


def _print_update(reply: Any) -> int:
    """Print one subscription message; 1 if it was an update, else 0."""
    if isinstance(reply, SubscriptionError):
        raise StdbliteError(f"subscription refused: {reply.error}")
    if isinstance(reply, SubscribeApplied):
        for table in reply.tables:
            for row in table.rows:
                print(f"  {table.table} {json.dumps(row)}")
        print("subscribed; waiting for updates (Ctrl-C to stop)", flush=True)
        return 0
    if isinstance(reply, TransactionUpdate):
        print(f"tx {reply.tx_id} {reply.reducer}")
        for update in reply.tables:
            for row in update.deletes:
                print(f"- {update.table} {json.dumps(row)}")
            for row in update.inserts:
                print(f"+ {update.table} {json.dumps(row)}")
        sys.stdout.flush()
        return 1
    return 0


# -- identity ----------------------------------------------------------------


def login(args: argparse.Namespace) -> int:
    """``stdb login``: get, set or show the saved identity."""
    config = Config.load()
    if args.action == "show":
        server = config.server(args.server)
        token = config.tokens.get(server)
        if token is None:
            print(f"You are not logged in to {server}.")
            return 0
        print(f"You are logged in to {server} as {_identity_of(token)}")
        if args.token:
            print(f"Your token is {token}")
        return 0
    if args.server_issued_login:
        server = config.server(args.server_issued_login)
        token = str(get_json(server, "/v1/identity")["token"])
    elif isinstance(args.token, str):
        server, token = config.server(args.server), args.token
        _identity_of(token, given=True)
    else:
        raise StdbliteError("give --server-issued-login SERVER or --token TOKEN")
    config.tokens[server] = token
    config.default_server = server
    config.save()
    print(f"Logged in to {server} as {_identity_of(token)}")
    return 0


def logout(args: argparse.Namespace) -> int:
    """``stdb logout``: forget every saved token."""
    config = Config.load()
    config.tokens.clear()
    config.save()
    print("Logged out: saved tokens removed.")
    return 0


def version(args: argparse.Namespace) -> int:
    """``stdb version``: the installed version."""
    print(f"stdb (stdblite) {__version__}")
    return 0
