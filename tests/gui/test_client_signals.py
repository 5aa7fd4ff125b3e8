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
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

from desktop_client.app import quit_on_signals


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


def test_a_signal_ends_the_main_window_and_its_loop(qapp: QApplication) -> None:
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    notifier = quit_on_signals(qapp)
    window = QMainWindow()
    guard = QTimer()
    try:
        window.show()
        QTimer.singleShot(100, lambda: os.kill(os.getpid(), signal.SIGINT))
        guard.setSingleShot(True)
        guard.timeout.connect(lambda: qapp.exit(99))  # never hang the suite
        guard.start(20_000)
        assert qapp.exec() == 0
        assert not window.isVisible()
    finally:
        guard.stop()
        signal.set_wakeup_fd(-1)
        for s, h in handlers.items():
            signal.signal(s, h)
        notifier.setEnabled(False)
        for sock in notifier.sockets:  # type: ignore[attr-defined]
            sock.close()
        window.deleteLater()
