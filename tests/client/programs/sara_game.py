"""Sara's game, as its own program: the other process of the story test.

    python sara_game.py URL DATABASE TOKEN_FILE first|again

``first``: launch with whatever token the file holds (none the first time),
save the server's token, take the name Sara and walk three steps left,
then close the game. ``again``: relaunch with the saved token and print
Sara's row, as her own client cache has it, as one line of JSON. Each
call waits for the server's answer, so the program ends only after its
transactions committed.
"""

from __future__ import annotations

import json
import sys
import threading

from stdblite.client import DbConnection, credentials


def launch(url: str, database: str, token_file: str) -> DbConnection:
    """Connect with the saved token, save the new one, subscribe to Sara."""
    applied = threading.Event()
    conn = (
        DbConnection.builder()
        .with_uri(url)
        .with_database_name(database)
        .with_token(credentials.load(token_file))
        .on_connect(lambda conn, who, token: credentials.save(token, token_file))
        .build()
    )
    conn.run_threaded()
    me = conn.wait_until_connected()
    conn.subscription_builder().on_applied(lambda ctx: applied.set()).subscribe(
        f"SELECT * FROM player WHERE identity = {me}"
    )
    assert applied.wait(10), "the subscription was never applied"
    return conn


def call(conn: DbConnection, reducer: str, *args: object) -> None:
    """Call a reducer and wait until the server has answered."""
    answered = threading.Event()
    outcomes: list[str] = []
    then = getattr(conn.reducers, f"{reducer}_then")
    then(*args, lambda ctx: (outcomes.append(ctx.event.outcome), answered.set()))
    assert answered.wait(10), f"{reducer} was never answered"
    assert outcomes == ["committed"], f"{reducer}: {outcomes}"


def main(url: str, database: str, token_file: str, phase: str) -> None:
    """Play one launch of Sara's game."""
    conn = launch(url, database, token_file)
    (row,) = conn.db.player.iter()
    if phase == "first":
        call(conn, "register_player", "Sara")
        for step in range(1, 4):
            call(conn, "move_player", row.position_x - 64 * step, row.position_y)
    else:
        print(json.dumps({"username": row.username, "x": row.position_x}))
    conn.disconnect()


if __name__ == "__main__":
    main(*sys.argv[1:5])
