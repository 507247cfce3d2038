"""A real JupyterLab server for the browser tests, in a folder of its own.

It keeps its configuration, runtime files, workspaces and settings inside
the folder, so nothing of the machine's own Jupyter set-up is read or
changed, and it asks nobody on the network for news or updates. Every
notebook cell is kept in the page (no windowing), so a test can see all of
a notebook's prompts at once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TOKEN = "stdblite-test"
NO_WINDOWING = {"windowingMode": "none"}


@contextmanager
def running_lab(folder: Path) -> Iterator[str]:
    """JupyterLab serving ``folder`` on a free port; yields its address."""
    home = folder / "jupyter"
    settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(json.dumps(NO_WINDOWING))
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root"]
    options = [
        "--ip=127.0.0.1",
        "--port=0",
        f"--IdentityProvider.token={TOKEN}",
        f"--ServerApp.root_dir={folder}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
        f"--LabApp.user_settings_dir={home / 'settings'}",
        "--LabApp.news_url=",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    ]
    log = folder / "lab.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [*command, *options],
            cwd=folder,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=output,
        )
    try:
        yield _address(process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _address(process: subprocess.Popen[bytes], log: Path) -> str:
    """Read the server's address from its log file, once it listens.

    The log goes to a file, not a pipe, so a chatty server never blocks on
    a pipe nobody reads.
    """
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"(http://127\.0\.0\.1:\d+)/lab", log.read_text())
        if found:
            return found.group(1)
        assert process.poll() is None, f"JupyterLab exited:\n{log.read_text()}"
        time.sleep(0.1)
    raise AssertionError(f"JupyterLab did not start:\n{log.read_text()}")
