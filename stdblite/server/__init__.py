"""The server layer: the engine on the wire.

It hosts many databases over WebSocket, mints and checks tokens, and
pushes each committed transaction's matching rows to subscribed clients.
"""

from .app import Server

__all__ = ["Server"]
