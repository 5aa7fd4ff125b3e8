"""Asterisk's queue log read back for a time window: the whole queue calls in it.

Asterisk writes one line per queue event (``main/logger.c``, ``ast_queue_log``)::

    epoch|callid|queuename|agent|event|data1|data2|...

``callid`` is the Uniqueid of the channel that runs ``Queue()``, ``agent`` the member's name
(``NONE`` when no member is involved). The data of the events used here (``apps/app_queue.c``):
``ENTERQUEUE`` url, caller number, position[, caller name with ``log-caller-id-name``] (number
and name as the channel has them, whatever its presentation, unless the queue sets
``log-restricted-caller-id = no``, Asterisk 22 on: then empty for a restricted presentation;
never the presentation itself); ``CONNECT`` hold time, the member leg's Uniqueid, ring time;
``COMPLETECALLER`` / ``COMPLETEAGENT`` hold, talk, position; ``BLINDTRANSFER`` exten, context,
hold, talk, position; ``ATTENDEDTRANSFER`` (one to three fields), hold, talk, position;
``TRANSFER`` (older releases) exten, context, hold, talk, position; ``ABANDON``,
``EXITWITHTIMEOUT``, ``EXITEMPTY`` position, original position, wait; ``EXITWITHKEY`` key,
position, original position, wait; ``WITHDRAW`` position, original position, wait, info.
One line is the deploy/ dialplan's own (``QueueLog()``, right after its ``CtiCallback`` user
event): ``CTICALLBACK`` reason (``key`` or ``timeout``): the caller asked to be called back.

``QueueLogReader.read(start, end)`` returns the calls that entered a queue and ended inside the
window, as ``QueueCallLogged``. It streams the file (memory grows with the calls of the window
only) and, when the file is large, finds the window's start by bisection instead of reading
from the beginning. When the file begins after the window began (rotated meanwhile), the
rotated files beside it (``queue_log.N``, N a sequence number or a time as Asterisk's
``rotatestrategy`` names them, or ``queue_log.N.gz``) are read first, oldest first, ordered by
their first lines; compressed ones from their start. Malformed lines are skipped with a warning
naming the file and line number (never the line: it may hold a caller's number). A missing
file, or a window that begins before every file, is said once and the read goes on with what
there is. Blocking file I/O: call it from a thread.
"""

from __future__ import annotations

import datetime as dt
import glob
import gzip
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, cast

from cti_server.domain.events import QueueCallLogged

log = logging.getLogger(__name__)

MAX_LINE = 8192  # Asterisk formats a queue log line into 8192 bytes
SLACK = 2  # seconds: lines written by several threads may be a little out of order
BLOCK = 64 * 1024  # bisection stops within this many bytes of the window's start
CALLBACK = "CTICALLBACK"  # written by the dialplan (QueueLog) with a callback request
LEFT = {"EXITWITHTIMEOUT": "timeout", "EXITEMPTY": "empty", "EXITWITHKEY": "key",
        "WITHDRAW": "withdraw"}  # fmt: skip
COMPLETE = {"COMPLETECALLER": "caller", "COMPLETEAGENT": "agent"}
TRANSFERS = frozenset({"BLINDTRANSFER", "ATTENDEDTRANSFER", "TRANSFER"})
ROTATED = re.compile(r"\.\d+(\.gz)?")  # queue_log.3, queue_log.1796346000, queue_log.3.gz


@dataclass(frozen=True, slots=True)
class LogLine:
    epoch: int
    callid: str
    queue: str
    agent: str
    event: str
    data: tuple[str, ...]


def parse_line(text: str) -> LogLine:
    """One queue log line (without its line end); ``ValueError`` says what is wrong."""
    parts = text.split("|")
    if len(parts) < 5:
        raise ValueError("fewer than 5 fields")
    if not parts[0].isdigit():
        raise ValueError("the time is not a number")
    if not parts[4]:
        raise ValueError("no event name")
    return LogLine(int(parts[0]), parts[1], parts[2], parts[3], parts[4], tuple(parts[5:]))


def _at(epoch: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


@dataclass
class _Call:
    """What the lines of one callid said so far."""

    queue: str
    number: str
    name: str
    entered: int
    position: int
    answered: int | None = None
    member: str = ""
    hold: float | None = None
    talk: float | None = None
    ended: int | None = None
    how: str = ""
    reason: str = ""
    key: str = ""  # pressed to leave the queue (sticky: the call may go back into a queue)
    callback: str = ""  # the dialplan logged a callback request (its reason; sticky too)

    def logged(self, callid: str) -> QueueCallLogged:
        assert self.ended is not None
        return QueueCallLogged(
            callid, self.queue, self.number, self.name, _at(self.entered), _at(self.ended),
            self.how, self.reason, self.member,
            _at(self.answered) if self.answered is not None else None, self.hold, self.talk,
            self.position, self.key, self.callback,
        )  # fmt: skip


def _apply(calls: dict[str, _Call], ln: LogLine) -> None:
    """Fold one line into its call; ``ValueError`` / ``IndexError`` for data that do not fit
    the event."""
    d, ev = ln.data, ln.event
    if ev == "ENTERQUEUE":
        old = calls.get(ln.callid)
        if old is None:
            number, name = (d[1] if len(d) > 1 else ""), (d[3] if len(d) > 3 else "")
            pos = int(d[2]) if len(d) > 2 and d[2] else 0
            calls[ln.callid] = _Call(ln.queue, number, name, ln.epoch, pos)
        else:  # back in a queue (after a key pressed, say): the call goes on
            old.ended, old.how, old.reason, old.queue = None, "", "", ln.queue
        return
    call = calls.get(ln.callid)
    if call is None:  # entered before the window, or not a call at all (NONE, MANAGER ...)
        return
    if ev == "CONNECT":
        call.answered, call.member, call.hold = ln.epoch, ln.agent, float(d[0])
    elif ev in COMPLETE:
        _end(call, ln, "answered", COMPLETE[ev], hold=float(d[0]), talk=float(d[1]))
    elif ev in TRANSFERS:
        if len(d) < 3:
            raise ValueError(f"{ev} needs hold, talk and position")
        _end(call, ln, "answered", "transfer", hold=float(d[-3]), talk=float(d[-2]))
    elif ev == "ABANDON":
        _end(call, ln, "abandoned", "", hold=float(d[2]))
    elif ev == CALLBACK:
        call.callback = (d[0] if d else "") or "requested"
    elif ev in LEFT:
        if ev == "EXITWITHKEY":
            call.key = d[0] or call.key
        _end(call, ln, "left", LEFT[ev], hold=float(d[3] if ev == "EXITWITHKEY" else d[2]))


def _end(call: _Call, ln: LogLine, how: str, reason: str, *, hold: float,
         talk: float | None = None) -> None:  # fmt: skip
    call.ended, call.how, call.reason, call.hold = ln.epoch, how, reason, hold
    if talk is not None:
        call.talk = talk
    if how == "answered" and not call.member:
        call.member = ln.agent


class QueueLogReader:
    """Reads one queue log file; keeps what it has said (a missing file, a rotation) to say it
    once. ``bytes_read``: what the last ``read`` read of the file (line numbers for warnings
    aside: they are counted only when a malformed line is met)."""

    def __init__(self, path: str | os.PathLike[str], *, seek_above: int = 1 << 20) -> None:
        self.path = Path(path)
        self.seek_above = seek_above
        self.bytes_read = 0
        self._told: set[str] = set()
        self._file = self.path  # the file being read (the current one, or a rotated one)

    def read(self, start: dt.datetime, end: dt.datetime) -> list[QueueCallLogged]:
        """The calls that entered a queue and ended within ``[start, end]``, by entry time."""
        lo, hi = int(start.timestamp()), int(end.timestamp())
        self.bytes_read = 0
        try:
            fh = self.path.open("rb")
        except OSError as err:
            self._tell("missing", "queue_log %s cannot be read (%s): calls that began and "
                       "ended while the AMI link was down cannot be rebuilt", self.path,
                       err.strerror or err)  # fmt: skip
            return []
        self._told.discard("missing")
        calls: dict[str, _Call] = {}
        with fh:
            first = self._epoch_after(fh, 0)
            older = [] if first is not None and first <= lo else self._rotated(first, lo)
            for path, _ in older:
                self._read_rotated(path, lo, hi, calls)
            path, begins = older[0] if older else (self.path, first)
            if begins is not None and begins > lo:
                self._tell("rotated", "queue_log %s begins at %s, after the window from %s "
                           "(new, or rotated meanwhile): calls before its first line cannot "
                           "be rebuilt", path, _at(begins).isoformat(),
                           _at(lo).isoformat())  # fmt: skip
            self._file = self.path
            self._fold(fh, lo, hi, calls, seek=True)
        done = sorted((c.entered, uid) for uid, c in calls.items()
                      if c.ended is not None and c.ended <= hi)  # fmt: skip
        return [calls[uid].logged(uid) for _, uid in done]

    def _rotated(self, first: int | None, lo: int) -> list[tuple[Path, int]]:
        """The rotated files (``queue_log.N``, N a sequence number or a time, or ``.N.gz``)
        that begin before ``first`` (the current file's first line; None: it is empty), oldest
        first, from the last one that begins at ``lo`` or before. Ordered by their first
        lines, whatever the names say (``sequential``: the highest N is the newest, ``rotate``
        and logrotate: the lowest); a file with the same first line as another (``.1`` and
        the ``.1.gz`` being made of it) is read once, uncompressed if it can."""
        found: dict[bytes, tuple[int, Path]] = {}
        name = self.path.name
        for p in self.path.parent.glob(glob.escape(name) + ".*"):
            if not ROTATED.fullmatch(p.name[len(name) :]):
                continue
            head = _head(p)
            if head is None or (first is not None and head[0] >= first):
                continue
            if head[1] not in found or found[head[1]][1].suffix == ".gz":
                found[head[1]] = (head[0], p)
        ordered = sorted(found.values())
        within = [i for i, (epoch, _) in enumerate(ordered) if epoch <= lo]
        return [(p, epoch) for epoch, p in ordered[within[-1] if within else 0 :]]

    def _read_rotated(self, path: Path, lo: int, hi: int, calls: dict[str, _Call]) -> None:
        self._file = path
        gz = path.suffix == ".gz"
        try:
            with _open(path) as fh:
                self._fold(fh, lo, hi, calls, seek=not gz)
        except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
            log.warning("queue_log %s could not be read to its end (%s): calls in it may be "
                        "missing", path, err)  # fmt: skip

    def _fold(self, fh: BinaryIO, lo: int, hi: int, calls: dict[str, _Call], *,
              seek: bool) -> None:  # fmt: skip
        """Fold the lines of ``[lo, hi]`` into ``calls`` (``seek``: bisect a large file)."""
        size = os.fstat(fh.fileno()).st_size if seek else 0
        offset = self._bisect(fh, size, lo - SLACK) if size > self.seek_above else 0
        for number, raw in self._lines(fh, offset):
            try:
                ln = parse_line(raw)
            except ValueError as err:
                self._malformed(number(), str(err))
                continue
            if ln.epoch > hi + SLACK:
                break
            if ln.epoch < lo:
                continue
            try:
                _apply(calls, ln)
            except (ValueError, IndexError):  # never the values: they may be a caller's number
                event = ln.event if ln.event.isalpha() else "its event"
                self._malformed(number(), f"data not as Asterisk writes them for {event}")

    def _lines(self, fh: BinaryIO, offset: int) -> Iterator[tuple[Lines, str]]:
        """(line numberer, text) of every line from ``offset`` (inside a line but the first:
        then that partial line is skipped)."""
        fh.seek(offset)
        count = Lines(self._file, offset)
        if offset:
            self.bytes_read += _skip_line(fh)
        while raw := fh.readline(MAX_LINE + 1):
            self.bytes_read += len(raw)
            count.seen += 1
            if not raw.endswith(b"\n") and len(raw) > MAX_LINE:
                self.bytes_read += _skip_line(fh)
                self._malformed(count(), f"longer than {MAX_LINE} bytes")
                continue
            # a last line without its end is being written right now: used if it parses
            yield count, raw.decode("utf-8", errors="replace").rstrip("\r\n")

    def _malformed(self, number: int, why: str) -> None:
        log.warning("queue_log %s line %d skipped: %s", self._file, number, why)

    def _epoch_after(self, fh: BinaryIO, offset: int, tries: int = 16) -> int | None:
        """The time of the first well-formed line that starts after ``offset`` (at 0: the
        first line)."""
        fh.seek(offset)
        if offset:
            self.bytes_read += _skip_line(fh)
        for _ in range(tries):
            raw = fh.readline(MAX_LINE + 1)
            self.bytes_read += len(raw)
            if not raw:
                return None
            head = raw.split(b"|", 1)[0]
            if head.isdigit():
                return int(head)
        return None

    def _bisect(self, fh: BinaryIO, size: int, epoch: int) -> int:
        """An offset before the first line of time ``epoch`` or later and within ``BLOCK``
        bytes of it (lines are in time order, give or take ``SLACK``)."""
        lo, hi = 0, size
        while hi - lo > BLOCK:
            mid = (lo + hi) // 2
            found = self._epoch_after(fh, mid)
            if found is None or found >= epoch:
                hi = mid
            else:
                lo = mid
        return lo

    def _tell(self, what: str, msg: str, *args: object) -> None:
        if what not in self._told:
            self._told.add(what)
            log.warning(msg, *args)


class Lines:
    """The number of the line just read: counted from ``offset``, plus the lines before it
    (counted only when a number is asked for: a malformed line is rare)."""

    def __init__(self, path: Path, offset: int) -> None:
        self.path, self.offset = path, offset
        self.seen = 0  # whole lines read from offset on (not the partial first one)
        self._before: int | None = None if offset else 0

    def __call__(self) -> int:
        if self._before is None:
            self._before = _count_lines(self.path, self.offset) + 1  # + the partial line
        return self._before + self.seen


def _open(path: Path) -> BinaryIO:
    """A queue log file for reading, decompressed if its name ends in ``.gz``."""
    return cast(BinaryIO, gzip.open(path, "rb")) if path.suffix == ".gz" else path.open("rb")


def _head(path: Path, tries: int = 16) -> tuple[int, bytes] | None:
    """The time and text of a file's first well-formed line (None: none, or unreadable)."""
    try:
        with _open(path) as fh:
            for _ in range(tries):
                raw = fh.readline(MAX_LINE + 1)
                if not raw:
                    return None
                head = raw.split(b"|", 1)[0]
                if head.isdigit():
                    return int(head), raw
    except (OSError, EOFError) as err:
        log.warning("queue_log %s cannot be read (%s): left out", path, err)
    return None


def _skip_line(fh: BinaryIO) -> int:
    """Read past the end of the current line, however long; returns the bytes read."""
    n = 0
    while part := fh.readline(BLOCK):
        n += len(part)
        if part.endswith(b"\n"):
            break
    return n


def _count_lines(path: Path, offset: int) -> int:
    """Line ends in the first ``offset`` bytes of the file."""
    n = 0
    with path.open("rb") as fh:
        while offset > 0 and (chunk := fh.read(min(BLOCK * 16, offset))):
            n += chunk.count(b"\n")
            offset -= len(chunk)
    return n
