"""The ``stdb`` command: a thin skin over the library, shaped like ``spacetime``.

Every command turns library errors into one clear line on stderr and a
non-zero exit code; ``--help`` on each shows an example.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..errors import StdbliteError
from . import commands
from .config import DEFAULT_SERVER
from .demo import demo as run_demo
from .generate import generate as run_generate

__all__ = ["build_parser", "main"]

Command = Callable[[argparse.Namespace], int]


def _add(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    command: Command,
    summary: str,
    example: str,
) -> argparse.ArgumentParser:
    """One subcommand with its summary and an example in its help."""
    parser = subparsers.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example:\n  {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.set_defaults(command=command)
    return parser


def _server_option(parser: argparse.ArgumentParser) -> None:
    """``-s SERVER``, shared by every command that talks to a server."""
    parser.add_argument(
        "-s", "--server", help=f"server URL (default: the saved one, {DEFAULT_SERVER})"
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command."""
    parser = argparse.ArgumentParser(
        prog="stdb", description="stdblite: a database that is also the game server."
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    _server_commands(sub)
    _database_commands(sub)
    _client_commands(sub)
    _identity_commands(sub)
    _generate_command(sub)
    return parser


def _server_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """start, demo, version."""
    start = _add(
        sub,
        "start",
        commands.start,
        "run a server in the foreground",
        "stdb start --listen-addr 127.0.0.1:3000",
    )
    start.add_argument(
        "--listen-addr",
        default="127.0.0.1:3000",
        help="HOST:PORT to listen on (default 127.0.0.1:3000)",
    )
    start.add_argument("--data-dir", help="where databases live (default ~/.stdb/data)")
    start.add_argument(
        "--in-memory",
        action="store_true",
        help="keep everything in memory; nothing is saved",
    )
    start.add_argument("--publish-key", help="let other machines publish with this key")
    demo = _add(
        sub,
        "demo",
        run_demo,
        "serve the tutorial world with wandering players, to open in a browser",
        "stdb demo",
    )
    demo.add_argument(
        "--listen-addr",
        default="127.0.0.1:3000",
        help="HOST:PORT to listen on (default 127.0.0.1:3000)",
    )
    demo.add_argument(
        "--wanderers", type=int, default=6, help="computer-driven players (default 6)"
    )
    _add(sub, "version", commands.version, "print the version", "stdb version")


def _database_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """publish, delete, list, describe, logs."""
    publish = _add(
        sub,
        "publish",
        commands.publish,
        "create or update a database from a module",
        "stdb publish -p server/ bevy-game",
    )
    _server_option(publish)
    publish.add_argument(
        "-p",
        "--module-path",
        default=".",
        help="a module file, or a folder holding module.py",
    )
    publish.add_argument(
        "--delete-data",
        action="store_true",
        help="wipe the data first (allows any schema change)",
    )
    publish.add_argument("name", help="the database name")
    delete = _add(
        sub,
        "delete",
        commands.delete,
        "delete a database and its data",
        "stdb delete bevy-game",
    )
    _server_option(delete)
    delete.add_argument("name")
    listing = _add(
        sub,
        "list",
        commands.list_databases,
        "list the databases on a server",
        "stdb list",
    )
    _server_option(listing)
    describe = _add(
        sub,
        "describe",
        commands.describe,
        "show a database's tables and reducers",
        "stdb describe bevy-game",
    )
    _server_option(describe)
    describe.add_argument("--json", action="store_true", help="print the schema JSON")
    describe.add_argument("name")
    logs = _add(
        sub,
        "logs",
        commands.logs,
        "print a database's log",
        "stdb logs -f -n 50 bevy-game",
    )
    _server_option(logs)
    logs.add_argument("-f", "--follow", action="store_true", help="keep printing")
    logs.add_argument(
        "-n", "--num-lines", type=int, default=20, help="how many lines (default 20)"
    )
    logs.add_argument("name")


def _client_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """call, sql, subscribe."""
    call = _add(
        sub,
        "call",
        commands.call,
        "call a reducer (connects as a client, then leaves)",
        "stdb call bevy-game register_player '\"TestPlayer\"'",
    )
    _server_option(call)
    call.add_argument(
        "--anonymous",
        action="store_true",
        help="use a fresh identity, not the saved one",
    )
    call.add_argument("name")
    call.add_argument("reducer")
    call.add_argument("args", nargs="*", help="arguments, each written as JSON")
    sql = _add(
        sub,
        "sql",
        commands.sql,
        "run a read-only SQL query",
        'stdb sql bevy-game "SELECT * FROM player"',
    )
    _server_option(sql)
    sql.add_argument(
        "--anonymous",
        action="store_true",
        help="query as nobody in particular (public tables only)",
    )
    sql.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="a psql-style table (default), or JSON: one object per row",
    )
    sql.add_argument("name")
    sql.add_argument("query")
    subscribe = _add(
        sub,
        "subscribe",
        commands.subscribe,
        "print rows and live updates until Ctrl-C",
        'stdb subscribe bevy-game "SELECT * FROM player"',
    )
    _server_option(subscribe)
    subscribe.add_argument("--anonymous", action="store_true")
    subscribe.add_argument(
        "-n", "--num-updates", type=int, help="stop after this many updates"
    )
    subscribe.add_argument("name")
    subscribe.add_argument("queries", nargs="+")


def _generate_command(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """The generate command: typed bindings."""
    generate = _add(
        sub,
        "generate",
        run_generate,
        "write typed Python bindings for a module's tables and reducers",
        "stdb generate --lang python --out-dir game_bindings -p server/",
    )
    generate.add_argument(
        "--lang", default="python", help="the language to write (python, the default)"
    )
    generate.add_argument(
        "--out-dir",
        metavar="DIR",
        required=True,
        help="the package folder to write; its name is the package's name",
    )
    generate.add_argument(
        "-p",
        "--module-path",
        help="a module file, or a folder holding module.py (default: .)",
    )
    _server_option(generate)
    generate.add_argument(
        "name",
        metavar="NAME",
        nargs="?",
        help="a published database to read the schema from",
    )


def _identity_commands(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    """login, logout."""
    login = _add(
        sub,
        "login",
        commands.login,
        "get, set or show your identity",
        "stdb login --server-issued-login http://127.0.0.1:3000",
    )
    login.add_argument(
        "action", nargs="?", choices=("show",), help="'show' prints the saved identity"
    )
    login.add_argument(
        "--server-issued-login",
        metavar="SERVER",
        help="ask SERVER for a new identity and save its token",
    )
    login.add_argument(
        "--token",
        nargs="?",
        const=True,
        default=None,
        help="save TOKEN; with 'show', also print the token",
    )
    _server_option(login)
    _add(sub, "logout", commands.logout, "forget the saved tokens", "stdb logout")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors are one line on stderr and exit code 1."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        code: int = args.command(args)
        return code
    except StdbliteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
