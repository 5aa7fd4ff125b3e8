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


def signalled(args: list[str], home: Path, sig: signal.Signals, ready: str) -> tuple[int, str, str]:
    """Start ``args`` offscreen (SIGINT as a terminal's foreground job has it), wait for a line
    on stderr holding ``ready``, send ``sig``: the exit code, stdout and the rest of stderr.
    A process that never gets ready or never ends is killed after 60 s (and fails)."""
    env = {**os.environ, "HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("XDG_CONFIG_HOME", None)
    env.pop("XDG_DATA_HOME", None)
    before = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        proc = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
    finally:
        signal.signal(signal.SIGINT, before)
    deadline = threading.Timer(60, proc.kill)
    deadline.start()
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if ready in line:
                break
        proc.send_signal(sig)
        out, rest = proc.communicate()
    finally:
        deadline.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, out, rest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_closes_the_client_at_its_log_in(sig: signal.Signals, tmp_path: Path) -> None:
    code, _, rest = signalled(
        [sys.executable, "-m", "desktop_client"], tmp_path, sig, "cti-client started"
    )
    assert code == 0
    assert f"{sig.name}: closing" in rest


MAIN_WINDOW = """
import sys
from PySide6.QtWidgets import QApplication, QMainWindow
from desktop_client.app import quit_on_signals
app = QApplication([])
app.signals = quit_on_signals(app)
window = QMainWindow()
window.show()
print("shown", file=sys.stderr, flush=True)
code = app.exec()
print(f"exec returned {code}, window visible: {window.isVisible()}", flush=True)
sys.exit(code)
"""


def test_a_signal_ends_the_main_window_and_its_loop(tmp_path: Path) -> None:
    """In a process of its own: a test that ends the suite's QApplication loop leaves it unable
    to finish network requests for the tests after it."""
    code, out, _ = signalled([sys.executable, "-c", MAIN_WINDOW], tmp_path, signal.SIGINT, "shown")
    assert code == 0
    assert out == "exec returned 0, window visible: False\n"
