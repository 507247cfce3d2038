"""A second, unrelated module, to run beside the shop in one process."""

import logging

from stdblite import PrimaryKey, ReducerContext, reducer, table

log = logging.getLogger(__name__)


@table(public=True)
class Item:
    """Same table name as the shop's, a different shape."""

    word: PrimaryKey[str]


@reducer
def greet(ctx: ReducerContext, word: str) -> None:
    log.info("greeting %s", word)
    ctx.db.item.insert(Item(word))
