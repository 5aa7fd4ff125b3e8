"""The client's API module over a fake transport: paths, bodies, and decoded answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cti_server import protocol
from desktop_client import api, demo_data


@dataclass(frozen=True)
class Result:
    status: int
    data: Any = None
    error: str = ""
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class FakeTransport:
    def __init__(self, answer: Result) -> None:
        self.answer = answer
        self.sent: list[tuple[str, str, Any, dict[str, str] | None]] = []

    def request(self, method, path, body=None, done=None, headers=None):
        self.sent.append((method, path, body, headers))
        if done is not None:
            done(self.answer)


def test_answers_are_decoded_into_their_types():
    slots = protocol.SlotList(slots=tuple(demo_data.slots(dt.date(2031, 5, 12))))
    transport = FakeTransport(Result(200, protocol.to_dict(slots)))
    replies: list[api.Reply[protocol.SlotList]] = []
    api.Api(transport).slots(3, dt.date(2031, 5, 12), replies.append)
    assert transport.sent == [("GET", "/api/venues/3/slots?day=2031-05-12", None, None)]
    (reply,) = replies
    assert reply.ok
    assert reply.value == slots


def test_errors_and_answers_that_are_not_the_type_say_so():
    refused = Result(409, {"error": "slot_full"}, "slot_full", "full", {"slot_id": 4})
    replies: list[api.Reply[Any]] = []
    api.Api(FakeTransport(refused)).send(
        api.book_slot(protocol.BookingRequest(1, 4)), replies.append
    )
    assert (replies[0].ok, replies[0].value, replies[0].error) == (False, None, "slot_full")
    assert replies[0].details == {"slot_id": 4}
    odd = FakeTransport(Result(200, {"venues": [{"id": "one"}]}))
    api.Api(odd).venues(replies.append, include_inactive=True)
    assert odd.sent[0][1] == "/api/venues?all=1"
    assert (replies[1].ok, replies[1].error) == (False, "bad_payload")
    assert "venues[0]" in replies[1].message


def test_queued_writes_are_plain_data_with_their_answer_type():
    call = api.set_disposition("1700.5", protocol.DispositionRequest("booked", "ok"))
    assert (call.method, call.path, call.answer) == (
        "PUT",
        "/api/calls/1700.5/disposition",
        protocol.Disposition,
    )
    assert call.body == {"disposition": "booked", "notes": "ok"}
    intent = api.record_intent(9, protocol.IntentRequest(wants_vaccination=False))
    assert intent.body == {"wants_vaccination": False, "notes": ""}  # null is left out
    assert api.cancel_booking(5, None).path == "/api/bookings/5"
    transport = FakeTransport(Result(201, {}))
    api.Api(transport).send(intent, lambda _r: None, key="k-1")
    assert transport.sent[0][3] == {"Idempotency-Key": "k-1"}
