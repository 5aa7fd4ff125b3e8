"""``cti-sim`` as a process: SIGINT and SIGTERM stop it cleanly, even when it was started in the
background (SIGINT ignored from its parent, as a shell's ``&`` leaves it; ``cti-demo`` stops
its processes with SIGINT)."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_stops_the_simulator_cleanly(sig: signal.Signals) -> None:
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited, as from a shell's &
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cti_server.sim", "--port", "0", "--secret", "x", "--rate", "2"],
            stdout=subprocess.PIPE,
            text=True,
        )
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("cti-sim: AMI on 127.0.0.1:")
        proc.send_signal(sig)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert f"cti-sim: {sig.name}: stopping" in rest
