"""The smallest module: a board of greetings."""

import logging

from stdblite import PrimaryKey, ReducerContext, reducer, table

log = logging.getLogger(__name__)


@table(public=True)
class Greeting:
    """One word someone said."""

    word: PrimaryKey[str]


@reducer
def greet(ctx: ReducerContext, word: str) -> None:
    """Say a word, once."""
    log.info("greeting %s", word)
    ctx.db.greeting.insert(Greeting(word))
