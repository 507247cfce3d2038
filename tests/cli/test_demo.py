"""``stdb demo``: a live world to open in a browser, until Ctrl-C."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import pytest


@pytest.mark.timeout(60)
def test_demo_serves_the_world_until_interrupted() -> None:
    command = [sys.executable, "-m", "stdblite", "demo"]
    process = subprocess.Popen(
        [*command, "--listen-addr", "127.0.0.1:0", "--wanderers", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # So that a demo that will not stop can be made to show its threads.
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"open (http://127\.0\.0\.1:\d+)/db/bevy-game$", first)
        assert found, first
        base = found.group(1)
        with urllib.request.urlopen(base + "/db/bevy-game", timeout=10) as page:
            assert page.status == 200
        query = urllib.parse.quote("SELECT username FROM player WHERE is_online")
        url = f"{base}/v1/database/bevy-game/sql?query={query}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            assert len(json.load(answer)["rows"]) == 3
        process.send_signal(signal.SIGINT)
        # Read what it says while it stops, so no pipe fills and blocks it.
        try:
            _, said = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGABRT)  # the fault handler's dump
            _, said = process.communicate(timeout=10)
            pytest.fail(f"the demo did not stop on Ctrl-C:\n{said[-8000:]}")
        assert process.returncode == 0, said
        assert said.rstrip().endswith("INFO stdblite.server: stopped"), said
    finally:
        process.kill()
        process.wait()


def test_demo_refuses_a_bad_address() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "stdblite", "demo", "--listen-addr", "nowhere"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: --listen-addr takes HOST:PORT, got 'nowhere'"
    )
