"""Asterisk's queue_log read back for a time window: whole calls, malformed lines skipped and
named by their line number (never their content), a missing or rotated file said once, a large
file searched from its middle instead of read from its start."""

from __future__ import annotations

import datetime as dt
import gzip
import logging
from pathlib import Path

import pytest

from cti_server.ami.queue_log import QueueLogReader, parse_line
from cti_server.domain.events import QueueCallLogged

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "queue_log" / "queue_log"
E = 1796346000  # 2026-12-04 10:00 Asia/Tokyo


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(E + seconds, dt.UTC)


def test_a_line_has_time_callid_queue_agent_event_and_data() -> None:
    line = parse_line("1796346011|1796346000.10|vaccine|Operator 1002 (田中)|CONNECT|11|1.14|2")
    assert (line.epoch, line.callid, line.queue, line.agent, line.event) == (
        1796346011, "1796346000.10", "vaccine", "Operator 1002 (田中)", "CONNECT",
    )  # fmt: skip
    assert line.data == ("11", "1.14", "2")
    assert parse_line("1796345990|NONE|NONE|NONE|QUEUESTART|").data == ("",)
    for bad in ("no fields at all", "17963460x0|1.1|vaccine|NONE|ENTERQUEUE||1|1", "1|2|3"):
        with pytest.raises(ValueError, match=r"."):
            parse_line(bad)


def test_the_sample_gives_every_whole_call_with_the_pbx_times(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    calls = {c.uniqueid: c for c in QueueLogReader(SAMPLE).read(at(-10), at(400))}
    whole = ["00.10", "02.12", "20.20", "30.22", "41.31", "50.33", "60.35", "70.40"]
    assert set(calls) == {f"17963460{w}" for w in whole}  # not 1796346300.60: still talking
    a = calls["1796346000.10"]
    assert (a.queue, a.number, a.name, a.position) == ("vaccine", "0773621234", "", 1)
    assert (a.entered_at, a.answered_at, a.ended_at) == (at(0), at(11), at(16))
    assert (a.ended, a.end_reason, a.member_name) == ("answered", "caller", "Operator 1002 (田中)")
    assert (a.hold_seconds, a.talk_seconds) == (11.0, 5.0)
    b = calls["1796346002.12"]
    assert (b.ended, b.answered_at, b.ended_at, b.hold_seconds) == ("abandoned", None, at(14), 12)
    assert (calls["1796346020.20"].ended, calls["1796346020.20"].hold_seconds) == ("abandoned", 2)
    d = calls["1796346030.22"]
    assert (d.number, d.ended, d.end_reason, d.member_name) == (
        "", "answered", "agent", "Operator 1001 (鈴木)",
    )  # fmt: skip
    e = calls["1796346041.31"]
    assert (e.ended, e.end_reason, e.ended_at, e.hold_seconds) == ("left", "timeout", at(341), 300)
    assert (calls["1796346050.33"].ended, calls["1796346050.33"].end_reason) == ("left", "empty")
    g = calls["1796346060.35"]
    assert (g.name, g.ended, g.end_reason) == ("山田 太郎", "answered", "transfer")
    assert g.talk_seconds == 30
    h = calls["1796346070.40"]
    assert (h.end_reason, h.hold_seconds, h.talk_seconds) == ("transfer", 3, 40)
    assert h.ended_at == at(113)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 3
    for n, text in zip((10, 16, 24), warned, strict=True):
        assert f"line {n}" in text
    every = " ".join(r.getMessage() for r in caplog.records)
    assert "0773" not in every
    assert "090" not in every


def test_only_calls_wholly_inside_the_window_are_read() -> None:
    calls = QueueLogReader(SAMPLE).read(at(25), at(100))
    assert [c.uniqueid for c in calls] == ["1796346030.22", "1796346050.33", "1796346060.35"]


def test_a_missing_file_is_said_once_and_read_once_it_exists(tmp_path, caplog) -> None:
    path = tmp_path / "queue_log"
    reader = QueueLogReader(path)
    assert reader.read(at(-60), at(400)) == []
    assert reader.read(at(-60), at(400)) == []
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    path.write_bytes(SAMPLE.read_bytes())
    assert len(reader.read(at(-60), at(400))) == 8


def test_a_file_that_begins_after_the_window_began_is_said_to_be_rotated_once(
    tmp_path, caplog
) -> None:
    path = tmp_path / "queue_log"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[16:]), encoding="utf-8")  # from 1796346041 on
    reader = QueueLogReader(path)
    assert [c.uniqueid for c in reader.read(at(0), at(100))] == ["1796346050.33", "1796346060.35"]
    reader.read(at(0), at(100))
    rotated = [r.getMessage() for r in caplog.records if "rotated" in r.getMessage()]
    assert len(rotated) == 1


def test_a_large_file_is_searched_not_read_from_its_start(tmp_path, caplog) -> None:
    """Two days of calls (one every 3 s): the window's calls come out the same, reading a
    small part of the file; a malformed line after the search is still named by its number."""
    path = tmp_path / "queue_log"
    n = 60_000
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            t, uid = E + 3 * i, f"{E + 3 * i}.{i}"
            fh.write(f"{t}|{uid}|vaccine|NONE|ENTERQUEUE||0773621234|1\n")
            fh.write(f"{t + 1}|{uid}|vaccine|Operator 1001 (鈴木)|CONNECT|1|{uid}9|1\n")
            fh.write(f"{t + 2}|{uid}|vaccine|Operator 1001 (鈴木)|COMPLETECALLER|1|1|1\n")
            if i == 50_000:
                fh.write("garbage\n")  # line 150004
    size = path.stat().st_size
    reader = QueueLogReader(path)
    calls = reader.read(at(3 * 49_990), at(3 * 50_010))
    assert [c.uniqueid for c in calls] == [f"{E + 3 * i}.{i}" for i in range(49_990, 50_010)]
    assert reader.bytes_read < size / 20
    assert any("line 150004" in r.getMessage() for r in caplog.records)


def read_lines(tmp_path: Path, lines: list[str], until: float) -> list[QueueCallLogged]:
    """The calls of a queue log made of ``lines``, read from -1 s to ``until`` s."""
    path = tmp_path / "queue_log"
    path.write_text("".join(lines), encoding="utf-8")
    return QueueLogReader(path).read(at(-1), at(until))


def test_the_key_that_left_the_queue_is_kept_if_the_call_queued_again(tmp_path) -> None:
    a, b = read_lines(tmp_path, [
        f"{E}|{E}.1|vaccine|NONE|ENTERQUEUE||0773621234|1\n",
        f"{E + 40}|{E}.1|vaccine|NONE|EXITWITHKEY|1|1|1|40\n",
        f"{E + 50}|{E}.2|vaccine|NONE|ENTERQUEUE||anonymous|1\n",
        f"{E + 60}|{E}.2|vaccine|NONE|EXITWITHKEY|1|1|1|10\n",
        f"{E + 61}|{E}.2|vaccine|NONE|ENTERQUEUE||anonymous|1\n",
        f"{E + 90}|{E}.2|vaccine|NONE|ABANDON|1|1|29\n",
    ], 100)  # fmt: skip
    assert (a.ended, a.end_reason, a.key, a.hold_seconds) == ("left", "key", "1", 40)
    assert (b.number, b.ended, b.key) == ("anonymous", "abandoned", "1")


def test_a_callback_request_the_dialplan_logged_is_read_with_its_reason(tmp_path) -> None:
    """deploy/'s dialplan writes ``CTICALLBACK`` (QueueLog) after its CtiCallback user event:
    a wait limit turned into a request is known, and a timeout alone is not one."""
    a, b = read_lines(tmp_path, [
        f"{E}|{E}.1|vaccine|NONE|ENTERQUEUE||0773621234|1\n",
        f"{E + 300}|{E}.1|vaccine|NONE|EXITWITHTIMEOUT|1|1|300\n",
        f"{E + 300}|{E}.1|vaccine|NONE|CTICALLBACK|timeout\n",
        f"{E + 10}|{E}.2|vaccine|NONE|ENTERQUEUE||0757001234|2\n",
        f"{E + 310}|{E}.2|vaccine|NONE|EXITWITHTIMEOUT|1|2|300\n",
    ], 400)  # fmt: skip
    assert (a.ended, a.end_reason, a.callback, a.key) == ("left", "timeout", "timeout", "")
    assert (b.ended, b.end_reason, b.callback) == ("left", "timeout", "")


def _write(path: Path, lines: list[str]) -> None:
    data = "".join(lines).encode("utf-8")
    if path.suffix == ".gz":
        data = gzip.compress(data)
    path.write_bytes(data)


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("queue_log.0", "queue_log.1"),  # Asterisk's default sequential: the next free number
        ("queue_log.1", "queue_log.0"),  # rotatestrategy = rotate (and logrotate): .0 newest
        ("queue_log.1796346000", "queue_log.1796346040"),  # rotatestrategy = timestamp
        ("queue_log.2.gz", "queue_log.1"),  # compressed after rotation (exec_after_rotate)
    ],
)
def test_a_window_before_the_current_file_is_read_from_its_rotated_predecessors(
    tmp_path, caplog, older, newer
) -> None:
    """Files are put in order by their first line, whatever their names say; a copy of a
    rotated file (``.1`` beside the ``.1.gz`` being written from it) is read once."""
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "queue_log"
    _write(tmp_path / older, lines[:8])  # up to 1796346016: call .10 complete, .12 too
    _write(tmp_path / newer, lines[8:17])  # 1796346020 .. 1796346041
    path.write_text("".join(lines[17:]), encoding="utf-8")  # from 1796346050 on
    if not newer.endswith(".gz"):
        _write(tmp_path / f"{newer}.gz", lines[8:17])
    (tmp_path / "queue_log.bak").write_text(lines[3], encoding="utf-8")  # not a rotation
    reader = QueueLogReader(path)
    calls = [c.uniqueid for c in reader.read(at(-10), at(400))]
    whole = ["00.10", "02.12", "20.20", "30.22", "41.31", "50.33", "60.35", "70.40"]
    assert calls == [f"17963460{w}" for w in whole]
    assert not [r for r in caplog.records if "rotated" in r.getMessage()]
    # a window inside the newer file does not read the older one; nor one in the current file
    assert [c.uniqueid for c in reader.read(at(25), at(40))] == ["1796346030.22"]
    assert [c.uniqueid for c in reader.read(at(50), at(60))] == ["1796346050.33"]


def test_a_window_before_every_rotated_file_is_said_once(tmp_path, caplog) -> None:
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "queue_log"
    _write(tmp_path / "queue_log.0", lines[10:17])
    path.write_text("".join(lines[17:]), encoding="utf-8")
    reader = QueueLogReader(path)
    calls = [c.uniqueid for c in reader.read(at(0), at(100))]
    assert calls == ["1796346020.20", "1796346030.22", "1796346050.33", "1796346060.35"]
    reader.read(at(0), at(100))
    rotated = [r.getMessage() for r in caplog.records if "rotated" in r.getMessage()]
    assert len(rotated) == 1
    assert "queue_log.0" in rotated[0]


def test_an_empty_current_file_just_rotated_sends_the_read_to_its_predecessor(tmp_path) -> None:
    path = tmp_path / "queue_log"
    (tmp_path / "queue_log.0").write_bytes(SAMPLE.read_bytes())
    path.write_bytes(b"")
    assert len(QueueLogReader(path).read(at(-10), at(400))) == 8
