"""Just enough of a WebSocket client (RFC 6455) to load a server hard.

The wire benchmark's clients receive every move of every player: with 100
clients that is 100 frames per call. Through a full client library each
frame costs a parser step and a coroutine wake-up, and the load generator,
not the server, would set the pace. This client is an ``asyncio.Protocol``
that finds frame boundaries in the bytes it gets and hands each text
payload to a callback, in the same call. What it leaves out, on purpose:

- no extensions (it offers none, so the server compresses nothing);
- fragmented messages are refused (servers here send each message whole);
- the Sec-WebSocket-Accept answer is not checked (the server is ours);
- the masking key is zero: the RFC requires clients to mask, and a zero
  key is a valid key that leaves the payload as it is, which spares the
  generator a byte-by-byte XOR. Servers unmask it all the same.

Pings are answered, and a close from the server ends the connection.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import urllib.parse
from collections.abc import Callable

TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
ZERO_MASK = b"\0\0\0\0"


class LeanSocket(asyncio.Protocol):
    """One client connection; text payloads go to ``on_text`` as they arrive.

    Usage::

        socket = await LeanSocket.open("ws://127.0.0.1:3000/path?x=1", print)
        socket.send_text('{"Subscribe": ...}')
        socket.on_text = something_else
        await socket.close()
    """

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.on_text: Callable[[bytes], None] = lambda payload: None
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[None] = loop.create_future()

    @classmethod
    async def open(cls, url: str, on_text: Callable[[bytes], None]) -> LeanSocket:
        """Connect and complete the opening handshake.

        ``on_text`` is set before the handshake, because the server's first
        message may come in the same packet as its handshake answer.
        """
        parts = urllib.parse.urlsplit(url)
        assert parts.hostname is not None and parts.port is not None
        loop = asyncio.get_running_loop()
        _, socket = await loop.create_connection(cls, parts.hostname, parts.port)
        socket.on_text = on_text
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert socket.transport is not None
        socket.transport.write(request.encode())
        await socket.upgraded
        return socket

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport to write to."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        """Fail whoever still waits for the handshake or the close."""
        for waiter in (self.upgraded, self.closed):
            if not waiter.done():
                waiter.set_exception(ConnectionError("connection lost"))

    def data_received(self, data: bytes) -> None:
        """Read the handshake's answer, then frames."""
        self.buffer += data
        if not self.upgraded.done() and not self._read_handshake():
            return
        self._read_frames()

    def _read_handshake(self) -> bool:
        """Consume the HTTP answer; True once the connection is upgraded."""
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end])
        del self.buffer[: end + 4]
        if not head.startswith(b"HTTP/1.1 101"):
            self.upgraded.set_exception(ConnectionError(head[:200].decode()))
            return False
        self.upgraded.set_result(None)
        return True

    def _read_frames(self) -> None:
        """Hand over every complete frame in the buffer, keep the rest."""
        buffer, position, size = self.buffer, 0, len(self.buffer)
        while size - position >= 2:
            first, length = buffer[position], buffer[position + 1] & 0x7F
            start = position + 2
            if length >= 126:
                width = 2 if length == 126 else 8
                if size - start < width:
                    break
                length = int.from_bytes(buffer[start : start + width], "big")
                start += width
            if size - start < length:
                break
            payload = bytes(buffer[start : start + length])
            position = start + length
            self._frame(first, payload)
        del buffer[:position]

    def _frame(self, first: int, payload: bytes) -> None:
        """Act on one frame from the server."""
        opcode = first & 0x0F
        if not first & 0x80:
            raise ConnectionError("fragmented messages are not supported here")
        if opcode == TEXT:
            self.on_text(payload)
        elif opcode == PING:
            self._send(PONG, payload)
        elif opcode == CLOSE:
            self._send(CLOSE, payload[:2])
            assert self.transport is not None
            self.transport.close()
            if not self.closed.done():
                self.closed.set_result(None)

    def send_text(self, text: str) -> None:
        """Send one text message."""
        self._send(TEXT, text.encode())

    def _send(self, opcode: int, payload: bytes) -> None:
        """Write one masked frame (with the zero key, see above)."""
        length = len(payload)
        if length < 126:
            header = bytes((0x80 | opcode, 0x80 | length))
        elif length < 1 << 16:
            header = bytes((0x80 | opcode, 0x80 | 126)) + length.to_bytes(2, "big")
        else:
            header = bytes((0x80 | opcode, 0x80 | 127)) + length.to_bytes(8, "big")
        assert self.transport is not None
        if not self.transport.is_closing():
            self.transport.write(header + ZERO_MASK + payload)

    async def close(self) -> None:
        """Close cleanly: send a close frame and wait for the server's."""
        if self.closed.done():
            return
        self._send(CLOSE, (1000).to_bytes(2, "big"))
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(asyncio.shield(self.closed), 5.0)
        assert self.transport is not None
        self.transport.close()
