"""cti_server.ami.frames: the incremental AMI parser, on recorded streams and hostile input."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti_server.ami.frames import FrameParser, chan_var, chan_vars, iter_file, parse_bytes

AMI_STREAMS = [p.name for p in (Path(__file__).parents[1] / "fixtures" / "ami").glob("*.ami")]
KANJI = (
    "Event: AgentCalled\r\nQueue: vaccine\r\nMemberName: Operator 1001 (鈴木)\r\n"
    "CallerIDName: 山田太郎\r\nChanVariable: CALLERID(pres)=prohib\r\n\r\n"
).encode()


def test_banner_then_login_response() -> None:
    msgs = parse_bytes(
        b"Asterisk Call Manager/11.0.0\r\nResponse: Success\r\nActionID: a-1\r\n"
        b"Message: Authentication accepted\r\n\r\n"
    )
    assert msgs == [
        {"Banner": "Asterisk Call Manager/11.0.0"},
        {"Response": "Success", "ActionID": "a-1", "Message": "Authentication accepted"},
    ]


@pytest.mark.parametrize("cut", range(1, len(KANJI)))
def test_utf8_split_at_every_byte_is_never_lost(cut: int) -> None:
    p = FrameParser()
    msgs = p.feed(KANJI[:cut]) + p.feed(KANJI[cut:])
    assert len(msgs) == 1
    assert msgs[0]["CallerIDName"] == "山田太郎"
    assert msgs[0]["MemberName"] == "Operator 1001 (鈴木)"
    assert not p.pending


def test_byte_by_byte_feed() -> None:
    p = FrameParser()
    msgs = [m for b in KANJI for m in p.feed(bytes([b]))]
    assert msgs == parse_bytes(KANJI)


def test_stray_lf_and_empty_values() -> None:
    msgs = parse_bytes(b"Event: X\nAccountCode: \r\nPausedReason:\nA: b: c\n\n")
    assert msgs == [{"Event": "X", "AccountCode": "", "PausedReason": "", "A": "b: c"}]


def test_malformed_lines_are_skipped_and_counted() -> None:
    p = FrameParser()
    msgs = p.feed(b"Event: X\r\ngarbage line\r\n\xff\xfe\r\nKey: v\r\n\r\nnoise\r\n\r\n")
    assert msgs == [{"Event": "X", "Key": "v"}]
    assert p.malformed == 3


def test_invalid_utf8_value_is_replaced() -> None:
    (msg,) = parse_bytes(b"Event: X\r\nCallerIDName: \xff\xfeA\r\n\r\n")
    assert msg["CallerIDName"] == "\ufffd\ufffdA"


def test_repeated_chan_variable() -> None:
    (msg,) = parse_bytes(
        b"Event: Newchannel\r\nChanVariable: CALLERID(pres)=prohib\r\n"
        b"ChanVariable: FOO=a=b\r\nDestChanVariable: CALLERID(pres)=allowed\r\n\r\n"
    )
    assert chan_vars(msg) == {"CALLERID(pres)": "prohib", "FOO": "a=b"}
    assert chan_var(msg, "CALLERID(pres)") == "prohib"
    assert chan_var(msg, "CALLERID(pres)", "DestChanVariable") == "allowed"
    assert chan_var(msg, "MISSING") == ""
    assert chan_var({}, "CALLERID(pres)") == ""


@given(st.lists(st.integers(min_value=1, max_value=len(KANJI) * 3), max_size=8))
@settings(max_examples=200, deadline=None)
def test_any_chunking_gives_the_same_messages(cuts: list[int]) -> None:
    data = KANJI * 3
    points = sorted({c % len(data) for c in cuts})
    p = FrameParser()
    out = []
    prev = 0
    for c in [*points, len(data)]:
        out += p.feed(data[prev:c])
        prev = c
    assert out == parse_bytes(data)


def test_every_recorded_stream_parses_cleanly(ami_fixtures: Path) -> None:
    files = sorted(ami_fixtures.glob("*.ami"))
    assert len(files) == 11
    for f in files:
        whole = parse_bytes(f.read_bytes())
        assert whole[0]["Banner"] == "Asterisk Call Manager/11.0.0"
        assert list(iter_file(f, chunk_size=61)) == whole  # odd-sized reads split kanji
    burst = list(iter_file(ami_fixtures / "11-burst.ami"))
    assert len(burst) == 1 + 1680  # banner + the README's message count
    names = {m.get("MemberName") for m in burst if "MemberName" in m}
    assert "Operator 1001 (鈴木)" in names


def test_banner_alone_is_delivered_at_once():
    """The peer sends the banner and then waits for Login: it must not be held back."""
    parser = FrameParser()
    assert parser.feed(b"Asterisk Call Manager/11.0.0\r\n") == [
        {"Banner": "Asterisk Call Manager/11.0.0"}
    ]
    assert not parser.pending
    assert parser.feed(b"Response: Success\r\nMessage: Authentication accepted\r\n\r\n") == [
        {"Response": "Success", "Message": "Authentication accepted"}
    ]


def test_banner_split_across_reads():
    parser = FrameParser()
    assert parser.feed(b"Asterisk Call Man") == []
    assert parser.feed(b"ager/11.0.0\r\n") == [{"Banner": "Asterisk Call Manager/11.0.0"}]


def test_events_not_wanted_are_dropped_unless_they_answer_an_action(ami_fixtures: Path) -> None:
    from cti_server.ami.translate import HANDLERS, WANTED_EVENTS, translate

    data = (ami_fixtures / "11-burst.ami").read_bytes()
    everything = FrameParser().feed(data)
    lean = FrameParser(WANTED_EVENTS)
    kept = lean.feed(data)
    assert lean.skipped > 0
    assert lean.messages + lean.skipped == len(everything)
    wanted = [
        m for m in everything if "Event" not in m or m["Event"] in WANTED_EVENTS or "ActionID" in m
    ]
    assert kept == wanted  # the same messages, the same fields, in the same order
    # nothing dropped was of use: every event translate knows survives
    assert all(m["Event"] not in HANDLERS for m in everything if m not in kept)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert [translate(m, at) for m in kept if m.get("Event") in HANDLERS] == [
        translate(m, at) for m in everything if m.get("Event") in HANDLERS
    ]
    # a list item answering an action is kept even when its name is not wanted
    item = (
        b"Event: VarSet\r\nActionID: a-1\r\nVariable: X\r\n\r\nEvent: VarSet\r\nVariable: Y\r\n\r\n"
    )
    parser = FrameParser(WANTED_EVENTS)
    assert parser.feed(item) == [{"Event": "VarSet", "ActionID": "a-1", "Variable": "X"}]
    assert parser.skipped == 1


@pytest.mark.parametrize("stream", sorted(n for n in AMI_STREAMS))
def test_operator_legs_are_dropped_unsplit_and_nothing_translated_is_lost(
    ami_fixtures: Path, stream: str
) -> None:
    from cti_server.ami.translate import FIRST_CHANNEL_ONLY, HANDLERS, WANTED_EVENTS, translate

    data = (ami_fixtures / stream).read_bytes()
    everything = FrameParser().feed(data)
    wanted = FrameParser(WANTED_EVENTS).feed(data)
    lean = FrameParser(WANTED_EVENTS, first_channel_only=FIRST_CHANNEL_ONLY)
    kept = lean.feed(data)
    legs = [
        m for m in wanted if m.get("Event") in FIRST_CHANNEL_ONLY and m["Uniqueid"] != m["Linkedid"]
    ]
    assert [m for m in wanted if m not in legs] == kept
    assert lean.messages + lean.skipped == len(everything)
    at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    # every domain event of the stream, in order, from what was kept
    assert [e for m in kept if m.get("Event") in HANDLERS for e in translate(m, at)] == [
        e for m in everything if m.get("Event") in HANDLERS for e in translate(m, at)
    ]
    assert legs  # every recorded stream rings an operator: its legs were dropped


def test_only_an_operator_leg_is_dropped_and_never_a_message_that_answers() -> None:
    from cti_server.ami.translate import FIRST_CHANNEL_ONLY, WANTED_EVENTS

    def newchannel(uid: str, lid: str | None, extra: str = "") -> bytes:
        linked = f"Linkedid: {lid}\r\n" if lid is not None else ""
        return (
            f"Event: Newchannel\r\nChannel: PJSIP/x\r\nCallerIDNum: 0312345678\r\n"
            f"Uniqueid: {uid}\r\n{linked}{extra}\r\n"
        ).encode()

    parser = FrameParser(WANTED_EVENTS, first_channel_only=FIRST_CHANNEL_ONLY)
    got = parser.feed(
        newchannel("1.1", "1.1")  # the caller's own channel
        + newchannel("1.2", "1.1")  # an operator's leg: dropped
        + newchannel("1.3", None)  # no Linkedid: left to the translation
        + newchannel("1.4", "1.1", "ActionID: a-7\r\n")  # answers an action
        + newchannel("1.5", "1.1")[:-2]  # Linkedid last, without a line after it
        + b"\r\n"
    )
    assert [m["Uniqueid"] for m in got] == ["1.1", "1.3", "1.4"]
    assert parser.skipped == 2
    # the same bytes through a parser told nothing: every message kept
    assert len(FrameParser(WANTED_EVENTS).feed(newchannel("1.2", "1.1"))) == 1


def test_a_line_without_end_is_bounded_and_skipped() -> None:
    """A peer that never ends a line must not grow the buffer without bound."""
    parser = FrameParser(max_line=1024)
    for _ in range(200):  # 200 x 512 bytes: far more than the limit, never a line break
        assert parser.feed(b"X" * 512) == []
        assert parser.buffered <= 1024 + 512
    assert parser.feed(b"tail of the long line\r\nEvent: Ping\r\nPing: Pong\r\n\r\n") == [
        {"Event": "Ping", "Ping": "Pong"}
    ]
    assert parser.oversized == 1


def test_a_message_without_end_is_bounded() -> None:
    """Endless header lines with no blank line: the unfinished message is dropped at the limit."""
    parser = FrameParser(max_message=4096)
    for n in range(2000):
        assert parser.feed(f"Key{n}: value\r\n".encode()) == []
        assert parser.buffered <= 4096 + 64
    assert parser.oversized >= 1
    assert parser.feed(b"\r\nEvent: Ping\r\n\r\n") == [{"Event": "Ping"}]


def test_parse_splits_each_message_only_when_taken() -> None:
    """``parse``: the read is buffered at once; each message is split as it is taken, so the
    first can be handled before the rest of the read is parsed."""
    p = FrameParser()
    it = p.parse(b"Event: A\r\nK: 1\r\n\r\nEvent: B\r\nK: 2\r\n\r\nEvent: C\r\n")
    assert p.pending  # the unfinished C is held already
    assert p.messages == 0
    assert next(it) == {"Event": "A", "K": "1"}
    assert p.messages == 1
    assert list(it) == [{"Event": "B", "K": "2"}]
    assert p.messages == 2
    assert p.feed(b"\r\n") == [{"Event": "C"}]
