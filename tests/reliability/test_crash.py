"""Crash: kill the server with SIGKILL under write load, restart, count rows.

Each run starts the server on the same data directory, lets many clients
write, and kills the server at a random moment. After the restart every
acknowledged call must be there in full, and nothing may be there that
was never sent or that is there by half. A call whose commit reached the
disk but whose acknowledgement died with the server may be present: the
client could not know, exactly as with any database that crashes between
commit and reply.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from .helpers import MODULES, SUMMARY, RawClient, ServerProcess, new_token, publish, sql

RUNS = 6
WRITERS = 16


async def writer(ws_url: str, run: int, index: int, acked: set[int]) -> set[int]:
    """Record entries until the server dies; return every id sent."""
    sent: set[int] = set()
    try:
        client = await RawClient.connect(ws_url, "ledger")
        for seq in range(1_000_000):
            entry_id = run * 10_000_000 + index * 100_000 + seq
            sent.add(entry_id)
            result = await client.call("record", entry_id, index, seq % 97)
            assert result.outcome == "committed", result.error
            acked.add(entry_id)
    except (TimeoutError, ConnectionClosed, OSError):
        pass
    return sent


async def load_then_kill(server: ServerProcess, run: int) -> tuple[set[int], set[int]]:
    """Writers at full speed, then SIGKILL at a random moment."""
    acked: set[int] = set()
    tasks = [
        asyncio.create_task(writer(server.ws_url, run, index, acked))
        for index in range(WRITERS)
    ]
    await asyncio.sleep(random.uniform(0.3, 1.5))
    server.kill()
    sent = set().union(*await asyncio.gather(*tasks))
    return sent, acked


def ledger(server: ServerProcess, token: str) -> tuple[dict[int, int], dict[int, int]]:
    """Entries (id -> amount) and receipts (id -> checksum) as stored."""
    entries = sql(server.url, token, "ledger", "SELECT id, amount FROM entry")
    receipts = sql(server.url, token, "ledger", "SELECT id, checksum FROM receipt")
    return (
        {row["id"]: row["amount"] for row in entries},
        {row["id"]: row["checksum"] for row in receipts},
    )


def test_every_acknowledged_call_survives_sigkill(tmp_path: Path):
    data = tmp_path / "data"
    server = ServerProcess(data).start()
    owner = new_token(server.url)
    publish(server.url, owner, "ledger", (MODULES / "ledger.py").read_text())
    all_sent: set[int] = set()
    all_acked: set[int] = set()

    for run in range(RUNS):
        sent, acked = asyncio.run(load_then_kill(server, run))
        all_sent |= sent
        all_acked |= acked
        started = time.monotonic()
        server = ServerProcess(data).start()
        entries, receipts = ledger(server, owner)

        # Acknowledged calls are all there; nothing else but what was sent.
        lost = all_acked - entries.keys()
        assert not lost, f"run {run}: {len(lost)} acknowledged calls lost"
        assert entries.keys() <= all_sent
        # No call is there by half: each entry has its own receipt.
        assert receipts.keys() == entries.keys()
        assert all(receipts[i] == i * 7 + entries[i] for i in entries)
        assert acked, f"run {run}: no call was acknowledged before the kill"
        SUMMARY["calls"] += len(sent)
        SUMMARY["crashes survived"] += 1
        SUMMARY["rows lost"] += len(lost)
        assert time.monotonic() - started < 30

    assert server.stop() == 0
    SUMMARY["runs"] += RUNS
