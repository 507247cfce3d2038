"""The book's protocol page: every message shown, as a real server sends it."""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest

from stdblite.protocol import (
    AdminReply,
    AdminRequest,
    ClientMessage,
    ServerMessage,
    decode_admin,
    decode_client,
    decode_server,
)
from stdblite.server import Server
from stdblite.tokens import identity_for

from .capture import capture

ROOT = Path(__file__).parents[2]
PAGE = ROOT / "book" / "reference" / "protocol.md"

DECODERS: dict[str, Callable[[str], Any]] = {
    **{c.__name__: decode_server for c in typing.get_args(ServerMessage)},
    **{c.__name__: decode_server for c in typing.get_args(AdminReply)},
    **{c.__name__: decode_client for c in typing.get_args(ClientMessage)},
    **{c.__name__: decode_admin for c in typing.get_args(AdminRequest)},
}


def examples() -> dict[str, list[str]]:
    """The page's JSON examples, under the ``### Name`` heading they follow."""
    found: dict[str, list[str]] = {}
    heading = ""
    for part in re.split(r"^(### \w+)$", PAGE.read_text(encoding="utf-8"), flags=re.M):
        if part.startswith("### "):
            heading = part[4:]
            continue
        frames = re.findall(r"```json\n(.*?)```", part, re.DOTALL)
        if heading and frames:
            found.setdefault(heading, []).extend(frames)
    return found


def shape(value: Any) -> Any:
    """What a JSON value looks like, without its values: keys, kinds, items."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item), sort_keys=True) for item in value})
    return type(value).__name__


def test_every_message_has_an_example_that_decodes_as_itself() -> None:
    shown = examples()
    assert sorted(shown) == sorted(DECODERS)
    for name, frames in shown.items():
        for frame in frames:
            assert type(DECODERS[name](frame)).__name__ == name


def test_the_examples_have_the_shape_of_frames_a_real_server_sends(
    server: Server,
) -> None:
    captured = capture(server)
    for name, frames in examples().items():
        real = [shape(json.loads(frame)) for frame in captured[name]]
        for frame in frames:
            assert shape(json.loads(frame)) in real, f"{name}: {frame[:200]}"


def test_the_example_token_stands_for_the_example_identity() -> None:
    [frame] = examples()["InitialConnection"]
    first = json.loads(frame)["InitialConnection"]
    claims = jwt.decode(first["token"], options={"verify_signature": False})
    assert sorted(claims) == ["iat", "iss", "sub"]
    assert str(identity_for(claims["iss"], claims["sub"])) == first["identity"]


@pytest.mark.parametrize(
    "page", ["README.md", "book/reference/protocol.md", "book/reference/cli.md"]
)
def test_the_docs_say_a_published_module_runs_unsandboxed(page: str) -> None:
    text = " ".join((ROOT / page).read_text(encoding="utf-8").split())
    assert "not sandboxed" in text
    assert "runs its code" in text
