"""``stdb generate``: typed bindings from a module file or a published database.

The schema comes from one of two places, and both give the same document
(so the same bindings, byte for byte):

- ``-p MODULE_PATH`` loads the module here, as ``stdb publish`` would
  read it, and describes it;
- a database ``NAME`` (on ``-s SERVER`` or the default server) asks the
  server for ``GET /v1/database/NAME/schema``.

Everything that can go wrong (an unknown language, a module that does
not load, an unknown database, a folder that holds someone's code) is
found before a file is written, and said in one line.
"""

from __future__ import annotations

import argparse
import urllib.parse
from typing import Any

from ..codegen import check_language, module_schema
from ..codegen import generate as generate_bindings
from ..errors import StdbliteError
from .config import Config
from .remote import get_json

__all__ = ["generate"]


def generate(args: argparse.Namespace) -> int:
    """``stdb generate``: write typed bindings into ``--out-dir``."""
    check_language(args.lang)
    description, source = _schema(args)
    changed = generate_bindings(description, args.out_dir, args.lang)
    what = f"{len(changed)} file(s) written" if changed else "already up to date"
    print(f"Generated {args.lang} bindings in {args.out_dir} from {source}: {what}")
    return 0


def _schema(args: argparse.Namespace) -> tuple[Any, str]:
    """The schema JSON, and where it came from, in words."""
    if args.name is not None and args.module_path is not None:
        raise StdbliteError("give either -p MODULE_PATH or a database NAME, not both")
    if args.name is None:
        if args.server is not None:
            raise StdbliteError(f"-s {args.server} needs the database's NAME too")
        path = args.module_path or "."
        return module_schema(path), f"module {path}"
    server = Config.load().server(args.server)
    quoted = urllib.parse.quote(args.name)
    description = get_json(server, f"/v1/database/{quoted}/schema")
    return description, f"database {args.name} on {server}"
