"""SIGINT (Ctrl-C, ``cti-demo`` stopping) and SIGTERM close the client, in the log-in dialog as
in the main window, instead of a ``KeyboardInterrupt`` swallowed inside some slot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_closes_the_client_at_its_log_in(sig: signal.Signals, tmp_path: Path) -> None:
    env = {**os.environ, "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_DATA_HOME", None)
    before = signal.signal(signal.SIGINT, signal.SIG_DFL)  # as a terminal's foreground job
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "desktop_client"], env=env, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, before)
    deadline = threading.Timer(60, proc.kill)  # a client that never starts or ends fails
    deadline.start()
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if "cti-client started" in line:
                break
        proc.send_signal(sig)
        _, rest = proc.communicate()
    finally:
        deadline.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"{sig.name}: closing" in rest


MAIN_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
from desktop_client.app import quit_on_signals
app = QApplication([])
app.signals = quit_on_signals(app)
window = QMainWindow()
window.show()
print("shown", flush=True)
code = app.exec()
print(f"exec returned {code}, window visible: {window.isVisible()}", flush=True)
sys.exit(code)
"""


def test_a_signal_ends_the_main_window_and_its_loop(tmp_path: Path) -> None:
    """In a process of its own: a test that ends the suite's QApplication loop leaves it unable
    to finish network requests for the tests after it."""
    env = {**os.environ, "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    proc = subprocess.Popen(
        [sys.executable, "-c", MAIN_WINDOW], env=env, stdout=subprocess.PIPE, text=True
    )
    deadline = threading.Timer(60, proc.kill)
    deadline.start()
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "shown\n"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate()
    finally:
        deadline.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out == "exec returned 0, window visible: False\n"
