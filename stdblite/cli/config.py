"""Where the ``stdb`` command keeps its settings and saved tokens.

The config directory is ``~/.stdb`` unless ``STDB_HOME`` names another
(tests point it at a temporary folder). It holds ``config.json``::

    {"default_server": "http://127.0.0.1:3000",
     "tokens": {"http://127.0.0.1:3000": "eyJ..."}}

A token is kept per server, because each server signs its own.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import StdbliteError

__all__ = ["DEFAULT_SERVER", "Config", "home", "normalise_server"]

DEFAULT_SERVER = "http://127.0.0.1:3000"


def home() -> Path:
    """The config directory: ``$STDB_HOME`` or ``~/.stdb``."""
    override = os.environ.get("STDB_HOME")
    return Path(override) if override else Path.home() / ".stdb"


def normalise_server(server: str) -> str:
    """``127.0.0.1:3000`` or ``ws://...`` becomes ``http://127.0.0.1:3000``."""
    server = server.strip().rstrip("/")
    for scheme, replacement in (("ws://", "http://"), ("wss://", "https://")):
        if server.startswith(scheme):
            server = replacement + server[len(scheme) :]
    if not server.startswith(("http://", "https://")):
        server = "http://" + server
    return server


@dataclass
class Config:
    """The saved default server and tokens; ``save()`` writes them back."""

    path: Path
    default_server: str = DEFAULT_SERVER
    tokens: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Config:
        """Read the config file, or start empty if there is none."""
        path = home() / "config.json"
        if not path.exists():
            return cls(path)
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StdbliteError(f"cannot read {path}: {exc}") from exc
        tokens = data.get("tokens", {})
        server = data.get("default_server", DEFAULT_SERVER)
        return cls(path, str(server), {str(k): str(v) for k, v in tokens.items()})

    def save(self) -> None:
        """Write the config file, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"default_server": self.default_server, "tokens": self.tokens}
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
        temporary.replace(self.path)

    def server(self, given: str | None) -> str:
        """The server a command talks to: the one given, or the default."""
        return normalise_server(given) if given else self.default_server
