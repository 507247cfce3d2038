"""Reducer calls: the three forms, their outcomes, and arguments checked early."""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable

import pytest

from stdblite.client import ReducerEvent
from stdblite.errors import (
    ArgumentError,
    InternalReducerError,
    NoSuchReducer,
    NotConnected,
    ReducerError,
)

from .helpers import Client


@pytest.fixture
def board(connect: Callable[..., Client]) -> Client:
    """A client of the board database, connected and subscribed to notes."""
    client = connect("board")
    client.connected()
    client.subscribe("SELECT * FROM note")
    return client


def test_awaiting_a_committed_call_returns_after_the_cache_has_it(
    board: Client,
) -> None:
    async def call() -> tuple[ReducerEvent, int]:
        event = await board.conn.reducers.post_many_async("a", 3)
        return event, board.conn.db.note.count()

    event, count = asyncio.run(call())
    assert (event.outcome, event.error, event.reducer) == (
        "committed",
        None,
        "post_many",
    )
    assert event.tx_id is not None and event.is_mine and event.args == ("a", 3)
    assert event.caller_identity == board.conn.identity
    assert count == 3


def test_a_refusal_raises_reducer_error_and_changes_nothing(board: Client) -> None:
    with pytest.raises(ReducerError, match="refused on purpose"):
        asyncio.run(board.conn.reducers.refuse_async())
    with pytest.raises(InternalReducerError):
        asyncio.run(board.conn.reducers.crash_async())
    assert board.conn.db.note.count() == 0


def test_then_reports_every_outcome(board: Client) -> None:
    board.conn.reducers.post_then("x", "b", "RED", board.rec.callback("post"))
    board.conn.reducers.refuse_then(board.rec.callback("refuse"))
    board.conn.reducers.crash_then(board.rec.callback("crash"))
    board.rec.wait_for(lambda: board.rec.named("crash"))
    ((posted,),) = board.rec.named("post")
    assert posted.event.outcome == "committed"
    assert posted.db.note.title.find("x") is not None  # already in the cache
    ((refused,),) = board.rec.named("refuse")
    assert refused.event.outcome == "failed"
    assert refused.event.error == "refused on purpose"
    assert refused.event.tx_id is None
    ((crashed,),) = board.rec.named("crash")
    assert crashed.event.outcome == "internal_error"


def test_a_plain_call_that_fails_is_logged(
    board: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="stdblite.client"):
        board.conn.reducers.refuse()
        board.rec.wait_for(
            lambda: any("refused on purpose" in r.message for r in caplog.records)
        )


def test_bad_arguments_are_refused_before_sending(
    board: Client, caplog: pytest.LogCaptureFixture
) -> None:
    reducers = board.conn.reducers
    wrong = [
        (lambda: reducers.star("x"), r"star\(title: str, stars: float\) takes"),
        (lambda: reducers.star("x", "many"), "argument 'stars': expected float"),
        (lambda: reducers.star("x", 1.0, 2.0), "takes 2 argument"),
        (lambda: reducers.star("x", stars=1, shine=2), "unexpected shine"),
        (lambda: reducers.star(title="x"), "missing stars"),
        (lambda: reducers.star("x", math.nan), "NaN|Out of range"),
        (lambda: reducers.post("x", "b", "BLUE"), "'BLUE' is not a Colour"),
        (lambda: reducers.tag(True, "w"), "expected int, got bool"),
        (lambda: reducers.star_then("x", 1.0), "then a callback"),
    ]
    with caplog.at_level(logging.DEBUG, logger="stdblite.server"):
        for call, message in wrong:
            with pytest.raises(ArgumentError, match=message):
                call()
        asyncio.run(reducers.post_async(title="ok", board="b", colour="GREEN"))
    received = [r for r in caplog.records if r.getMessage().startswith("CallReducer")]
    assert len(received) == 1  # only the good call reached the server


def test_reducers_by_name(board: Client) -> None:
    reducers = board.conn.reducers
    assert "post_many" in dir(reducers) and "post_many_async" in dir(reducers)
    assert not hasattr(reducers, "nope")
    with pytest.raises(NoSuchReducer, match="no reducer named 'nope'"):
        reducers.nope  # noqa: B018
    assert reducers.star.__doc__ == "Call the reducer: star(title: str, stars: float)"


def test_lifecycle_reducers_are_not_callable(connect: Callable[..., Client]) -> None:
    client = connect("game")
    client.connected()
    with pytest.raises(NoSuchReducer, match="client_connected reducer"):
        client.conn.reducers.identity_connected()


def test_calls_after_disconnect_raise(board: Client) -> None:
    reducers = board.conn.reducers
    board.conn.disconnect()
    with pytest.raises(NotConnected):
        reducers.post_many("a", 1)
    board.rec.wait_for(lambda: board.rec.named("disconnect"))
    assert not board.conn.is_active()
    with pytest.raises(NotConnected):
        board.conn.subscription_builder().subscribe("SELECT * FROM note")
