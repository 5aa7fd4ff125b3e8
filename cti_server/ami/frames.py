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
- ``FrameParser(wanted=...)``: an event whose name is not in ``wanted`` and that answers no
  action (no ``ActionID``) is dropped before its lines are split (counted in ``skipped``): the
  bridge asks only for what it translates (Asterisk sends many VarSet and Newexten a call).
  ``first_channel_only=...``: names of events wanted only from a call's first channel; one whose
  ``Uniqueid`` differs from its ``Linkedid`` (an operator's leg) is dropped the same way.
- Bounded memory whatever the peer sends: a line longer than ``max_line`` bytes, or a message
  longer than ``max_message``, is dropped (up to its end) and counted in ``oversized``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

BANNER_PREFIX = "Asterisk Call Manager/"
Message = dict[str, str]
MAX_LINE = 64 * 1024  # bytes; Asterisk's own header lines are far shorter
MAX_MESSAGE = 1024 * 1024  # bytes of one message's header lines


def _field(block: str, key: str) -> str | None:
    """The value of ``key`` (given as ``"\\nKey: "``) in an unsplit message; None if absent."""
    at = block.find(key)
    if at < 0:
        return None
    at += len(key)
    end = block.find("\n", at)
    return block[at:end] if end >= 0 else block[at:]


def _later_channel(block: str) -> bool:
    """The unsplit message names a channel that is not its call's first one."""
    uid = _field(block, "\nUniqueid: ")
    lid = _field(block, "\nLinkedid: ")
    return uid is not None and lid is not None and uid != lid


class FrameParser:
    """Incremental parser for one AMI connection (make a new one per connection)."""

    __slots__ = (
        "_buf",
        "_first_only",
        "_skip_line",
        "_skip_message",
        "_text",
        "_wanted",
        "malformed",
        "max_line",
        "max_message",
        "messages",
        "oversized",
        "skipped",
    )  # fmt: skip

    def __init__(
        self,
        wanted: frozenset[str] | None = None,
        *,
        first_channel_only: frozenset[str] = frozenset(),
        max_line: int = MAX_LINE,
        max_message: int = MAX_MESSAGE,
    ) -> None:
        self._buf = b""  # bytes after the last complete line
        self._text = ""  # complete lines of a message not finished yet
        self._wanted = wanted  # event names to parse; None: every message
        self._first_only = first_channel_only  # of those, parsed only from a first channel
        self.skipped = 0  # events dropped unparsed (not wanted)
        self._skip_line = False  # dropping the rest of an oversized line
        self._skip_message = False  # dropping the rest of an oversized message
        self.max_line = max_line
        self.max_message = max_message
        self.malformed = 0  # lines skipped because they had no ':'
        self.messages = 0  # messages returned so far
        self.oversized = 0  # lines or messages dropped for their size

    @property
    def buffered(self) -> int:
        """Bytes (about) held for lines and messages not finished yet."""
        return len(self._buf) + len(self._text)

    def _too_long(self, what: str, size: int) -> None:
        self.oversized += 1
        log.warning("AMI %s longer than %d bytes dropped", what, size)

    def feed(self, data: bytes) -> list[Message]:
        """Add bytes from the stream; return the messages completed by them (maybe none)."""
        return list(self.parse(data))

    def parse(self, data: bytes) -> Iterator[Message]:
        """As ``feed``, but each message is split into its fields only when it is taken: the
        first of a read can be handled before the rest are parsed. Take them all before the
        next call (the bytes are buffered at once; the messages come from this read alone)."""
        buf = self._buf + data if self._buf else data
        if self._skip_line:
            nl = buf.find(b"\n")
            if nl < 0:
                self._buf = b""
                return iter(())
            buf, self._skip_line = buf[nl + 1 :], False
        end = buf.rfind(b"\n")
        if end < 0:
            if len(buf) > self.max_line:
                self._too_long("line", self.max_line)
                self._buf, self._skip_line = b"", True
            else:
                self._buf = buf
            return iter(())
        self._buf = buf[end + 1 :]
        if len(self._buf) > self.max_line:
            self._too_long("line", self.max_line)
            self._buf, self._skip_line = b"", True
        text = buf[: end + 1].decode("utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if self._text:
            text = self._text + text
        blocks = text.split("\n\n")
        if self._skip_message:
            if len(blocks) == 1:  # keep a final line end: the blank line may come next
                self._text = "\n" if text.endswith("\n") else ""
                return iter(())
            blocks[0], self._skip_message = "", False
        self._text = blocks.pop()  # "" when the text ended with a blank line
        if len(self._text) > self.max_message:
            self._too_long("message", self.max_message)
            self._text, self._skip_message = "", True
        first: list[Message] = []
        if not blocks and self._text.startswith(BANNER_PREFIX):
            # The banner is a line of its own with no blank line after it, and the peer waits
            # for our Login before it sends more: hand it out as soon as its line is complete.
            banner, _, self._text = self._text.partition("\n")
            first.append({"Banner": banner})
        return self._messages(first, blocks)

    def _messages(self, first: list[Message], blocks: list[str]) -> Iterator[Message]:
        self.messages += len(first)
        yield from first
        wanted = self._wanted
        for block in blocks:
            if not block:
                continue
            if wanted is not None and block.startswith("Event: "):
                end = block.find("\n")
                name = block[7:end] if end >= 0 else block[7:]
                if (
                    name not in wanted or (name in self._first_only and _later_channel(block))
                ) and "\nActionID: " not in block:
                    self.skipped += 1
                    continue
            lines = block.split("\n")
            pairs = [line.partition(": ") for line in lines]
            msg = {k: v for k, sep, v in pairs if sep}
            if len(msg) == len(lines):  # the common case: no banner, repeats or oddities
                self.messages += 1
                yield msg
            else:
                odd: list[Message] = []
                self._slow(lines, odd)
                self.messages += len(odd)
                yield from odd

    def _slow(self, lines: list[str], out: list[Message]) -> None:
        cur: Message = {}
        for line in lines:
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
            cur[key] = cur[key] + "\n" + value if key in cur else value
        if cur:
            out.append(cur)

    @property
    def pending(self) -> bool:
        """True while a message (or a partial line) is waiting for the rest of its bytes."""
        return bool(self._buf or self._text)


def chan_vars(msg: Mapping[str, str], key: str = "ChanVariable") -> dict[str, str]:
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


def chan_var(msg: Mapping[str, str], name: str, key: str = "ChanVariable") -> str:
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
