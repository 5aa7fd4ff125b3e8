"""A pure, incremental AMI frame parser: bytes in, messages (``dict[str, str]``) out.

``FrameParser.feed(data)`` may be called with any slice of the TCP stream. Bytes are buffered
until a line is complete, and only complete lines are decoded, so a multi-byte UTF-8 character
split between two reads is never lost (panoramisk defect 1). Lines end in CRLF; a stray LF is
accepted too. A message ends at an empty line.

- The banner (``Asterisk Call Manager/11.0.0``, a line of its own without a blank line after it)
  becomes a message ``{"Banner": "Asterisk Call Manager/11.0.0"}``: it marks a new session.
- A key that repeats inside one message (``ChanVariable`` when several channel variables are
  exported) keeps one entry whose values are joined with ``"\\n"``; ``chan_vars()`` splits them
  into a dict, ``chan_var(msg, "CALLERID(pres)")`` reads one.
- A line without ``:`` is skipped and counted in ``FrameParser.malformed``; invalid UTF-8 is
  replaced (U+FFFD), never raised.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

BANNER_PREFIX = "Asterisk Call Manager/"
Message = dict[str, str]


class FrameParser:
    """Incremental parser for one AMI connection (make a new one per connection)."""

    __slots__ = ("_buf", "_current", "malformed", "messages")

    def __init__(self) -> None:
        self._buf = b""
        self._current: Message = {}
        self.malformed = 0  # lines skipped because they had no ':'
        self.messages = 0  # messages returned so far

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes from the stream; return the messages completed by them (maybe none)."""
        buf = self._buf + data if self._buf else data
        end = buf.rfind(b"\n")
        if end < 0:
            self._buf = buf
            return []
        self._buf = buf[end + 1 :]
        text = buf[: end + 1].decode("utf-8", "replace")
        out: list[Message] = []
        cur = self._current
        for line in text.split("\n")[:-1]:
            if line.endswith("\r"):
                line = line[:-1]
            if not line:
                if cur:
                    out.append(cur)
                    cur = {}
                continue
            key, sep, value = line.partition(":")
            if not sep:
                if not cur and line.startswith(BANNER_PREFIX):
                    out.append({"Banner": line})
                else:
                    self.malformed += 1
                    log.debug("AMI line without ':' skipped (%d bytes)", len(line))
                continue
            if value.startswith(" "):
                value = value[1:]
            if key in cur:
                cur[key] = cur[key] + "\n" + value
            else:
                cur[key] = value
        self._current = cur
        self.messages += len(out)
        return out

    @property
    def pending(self) -> bool:
        """True while a message (or a partial line) is waiting for the rest of its bytes."""
        return bool(self._buf or self._current)


def chan_vars(msg: Message, key: str = "ChanVariable") -> dict[str, str]:
    """The channel variables of a snapshot: ``{"CALLERID(pres)": "prohib", ...}``.

    ``key`` is ``"ChanVariable"`` for the channel, ``"DestChanVariable"`` for the Dest* snapshot.
    """
    raw = msg.get(key)
    if not raw:
        return {}
    out: dict[str, str] = {}
    for item in raw.split("\n"):
        name, _, value = item.partition("=")
        out[name] = value
    return out


def chan_var(msg: Message, name: str, key: str = "ChanVariable") -> str:
    """One channel variable of a snapshot, ``""`` when absent."""
    raw = msg.get(key)
    if not raw:
        return ""
    if "\n" not in raw:
        n, _, value = raw.partition("=")
        return value if n == name else ""
    return chan_vars(msg, key).get(name, "")


def iter_file(path: str | Path, chunk_size: int = 65536) -> Iterator[Message]:
    """Replay a recorded ``.ami`` stream file, message by message."""
    parser = FrameParser()
    with open(path, "rb") as fh:
        while chunk := fh.read(chunk_size):
            yield from parser.feed(chunk)
    if parser.pending:
        log.debug("recorded stream %s ends inside a message", path)


def parse_bytes(data: bytes) -> list[Message]:
    """Parse a complete byte string (helper for tests and tools)."""
    return FrameParser().feed(data)
