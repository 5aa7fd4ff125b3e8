"""Everything the client knows of the server's REST API: paths, bodies, answers, all typed.

The bodies and answers are the dataclasses of ``cti_server.protocol`` (its REST section); nothing
else in the client builds a path or reads a JSON dict. Qt-free: ``Api`` sends through a
``Transport`` (the ``RestClient`` of the ``ServerLink``: QNetworkAccessManager on the GUI thread,
never blocking) and hands each answer to ``done`` as a ``Reply`` with the decoded value.

Two kinds of endpoints:

* reads and immediate changes are methods of ``Api``, one per endpoint, e.g.::

      def slots(self, venue_id: int, day: dt.date, done: Done[SlotList]) -> None:
          self._get(f"/api/venues/{venue_id}/slots?day={day.isoformat()}", SlotList, done)

* writes that must survive a lost connection are functions returning an ``ApiCall`` (method,
  path, body, answer type); the controller puts it in the outbox, which sends it with
  ``Api.send`` and its Idempotency-Key when the link is up, e.g. ``book_slot(BookingRequest(...))``.

A new endpoint: its dataclasses in the protocol, then one method or one function here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import quote, urlencode

from cti_server.protocol import (
    AssignmentReport,
    AssignmentRequest,
    Booking,
    BookingChange,
    BookingChanged,
    BookingRequest,
    CallResident,
    CallResidentRequest,
    CannotCome,
    CannotComeRequest,
    CapacityChange,
    ConfigEntry,
    ConfigHistory,
    ConfigList,
    ConfigPutRequest,
    CurrentCalls,
    DeletedSlot,
    DialStarted,
    Disposition,
    DispositionRequest,
    Intent,
    IntentRequest,
    LoginRequest,
    LoginResult,
    MobilityRequest,
    MobilityRequestBody,
    NoticePrintRequest,
    ProtocolError,
    ReconfigureApplied,
    ReconfigurePlan,
    ReconfigureRequest,
    ResidentDetail,
    ReviewAcceptance,
    ReviewItem,
    ReviewList,
    ReviewRejection,
    ScansRead,
    SearchResults,
    SlotInfo,
    SlotList,
    SlotOffers,
    SlotsLaidOut,
    SlotsLayout,
    Venue,
    VenueChange,
    VenueList,
    VenueRequest,
    WorkClaimed,
    WorkItem,
    WorklistPage,
    WorkOutcomeRequest,
    WorkPriorityChange,
    WrapUpCodes,
    from_dict,
    request_body,
)

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class Reply(Generic[T]):
    """One answer: ``value`` decoded when ``ok``; otherwise the server's error (or "network",
    "bad_json", "bad_payload" when the answer was not what the protocol says)."""

    status: int  # HTTP status; 0 when the server could not be reached
    value: T | None = None
    error: str = ""
    message: str = ""
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    data: Any = None  # the JSON as received (the outbox keeps it)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300 and not self.error

    @property
    def network(self) -> bool:
        """True when the request never got an HTTP answer (retry later)."""
        return self.status == 0


Done = Callable[[Reply[T]], None]


class Result(Protocol):
    """What the transport answers (``rest.ApiResult``): the HTTP status and the JSON."""

    @property
    def status(self) -> int: ...
    @property
    def data(self) -> Any: ...
    @property
    def error(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def details(self) -> dict[str, Any]: ...
    @property
    def ok(self) -> bool: ...


class Transport(Protocol):
    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        done: Callable[[Any], None] | None = None,
        headers: dict[str, str] | None = None,
    ) -> object: ...


@dataclasses.dataclass(frozen=True)
class ApiCall(Generic[T]):
    """One request, ready to send or to keep in the outbox (plain JSON data)."""

    method: str
    path: str
    body: dict[str, Any] | None
    answer: type[T] | None  # None: the answer is not decoded (``Reply.data`` only)


def decode(answer: type[T] | None, result: Result) -> Reply[T]:
    """The transport's result as a typed ``Reply``."""
    if not result.ok:
        return Reply(result.status, None, result.error, result.message, result.details, result.data)
    if answer is None:
        return Reply(result.status, data=result.data)
    try:
        value = from_dict(answer, result.data if isinstance(result.data, dict) else {})
    except ProtocolError as err:
        log.warning("answer is not a %s: %s", answer.__name__, err)
        return Reply(result.status, None, "bad_payload", str(err), {}, result.data)
    return Reply(result.status, value, data=result.data)


def _call_query(call: str | None) -> str:
    return f"?{urlencode({'call': call})}" if call else ""


# --------------------------------------------------------------------------- queued writes


def book_slot(body: BookingRequest) -> ApiCall[Booking]:
    return ApiCall("POST", "/api/bookings", request_body(body), Booking)


def change_booking(booking_id: int, body: BookingChange) -> ApiCall[BookingChanged]:
    """Move a booking; the answer says what became of its later doses (moved with it or not)."""
    path = f"/api/bookings/{booking_id}"
    return ApiCall("PATCH", path, request_body(body), BookingChanged)


def cancel_booking(booking_id: int, call: str | None) -> ApiCall[BookingChanged]:
    """Cancel a booking and the later doses the assignment gave."""
    path = f"/api/bookings/{booking_id}{_call_query(call)}"
    return ApiCall("DELETE", path, None, BookingChanged)


def booking_cannot_come(booking_id: int, call: str | None) -> ApiCall[CannotCome]:
    """The resident cannot come on the booking's day: cancelled, the day kept, slots offered."""
    body = request_body(CannotComeRequest(call))
    return ApiCall("POST", f"/api/bookings/{booking_id}/cannot-come", body, CannotCome)


def request_mobility(body: MobilityRequestBody) -> ApiCall[MobilityRequest]:
    return ApiCall("POST", "/api/mobility", request_body(body), MobilityRequest)


def record_intent(resident_id: int, body: IntentRequest) -> ApiCall[Intent]:
    return ApiCall("POST", f"/api/residents/{resident_id}/intents", request_body(body), Intent)


def set_disposition(linkedid: str, body: DispositionRequest) -> ApiCall[Disposition]:
    path = f"/api/calls/{quote(linkedid, safe='')}/disposition"
    return ApiCall("PUT", path, request_body(body), Disposition)


def link_call_resident(linkedid: str, resident_id: int) -> ApiCall[CallResident]:
    """The operator confirmed who is calling: the call is that resident's."""
    path = f"/api/calls/{quote(linkedid, safe='')}/resident"
    return ApiCall("POST", path, request_body(CallResidentRequest(resident_id)), CallResident)


# the answer type of each kind of outbox entry (a kind not listed is sent, its answer not decoded)
OUTBOX_ANSWERS: dict[str, type[Any]] = {
    "booking": Booking,
    "booking_change": BookingChanged,
    "booking_cancel": BookingChanged,
    "booking_cannot_come": CannotCome,
    "mobility": MobilityRequest,
    "intent": Intent,
    "disposition": Disposition,
    "call_resident": CallResident,
}


# --------------------------------------------------------------------------- the client


class Api:
    def __init__(self, transport: Transport) -> None:
        self.transport = transport

    def send(self, call: ApiCall[T], done: Done[T], *, key: str | None = None) -> None:
        """Send ``call`` (with an Idempotency-Key when ``key`` is given)."""
        headers = {"Idempotency-Key": key} if key else None
        self.transport.request(
            call.method, call.path, call.body, lambda r: done(decode(call.answer, r)), headers
        )

    def _get(self, path: str, answer: type[T], done: Done[T]) -> None:
        self.send(ApiCall("GET", path, None, answer), done)

    # ---- log-in and the live call
    def login(
        self, username: str, password: str, done: Done[LoginResult], extension: str = ""
    ) -> None:
        """POST /api/login at ``extension`` (empty: the operator's default one)."""
        body = request_body(LoginRequest(username, password, extension))
        self.send(ApiCall("POST", "/api/login", body, LoginResult), done)

    def current_calls(self, done: Done[CurrentCalls]) -> None:
        self._get("/api/calls/current", CurrentCalls, done)

    def dispositions(self, done: Done[WrapUpCodes]) -> None:
        """The wrap-up result codes the server accepts, with their labels."""
        self._get("/api/dispositions", WrapUpCodes, done)

    # ---- residents
    def search(self, params: str, done: Done[SearchResults]) -> None:
        """``params``: the query string of a ``SearchQuery`` (name, birth, phone, address)."""
        self._get(f"/api/residents/search?{params}", SearchResults, done)

    def find_barcode(self, code: str, call: str | None, done: Done[SearchResults]) -> None:
        params = urlencode({"barcode": code, **({"call": call} if call else {})})
        self._get(f"/api/residents/search?{params}", SearchResults, done)

    def resident(self, resident_id: int, call: str | None, done: Done[ResidentDetail]) -> None:
        self._get(f"/api/residents/{resident_id}{_call_query(call)}", ResidentDetail, done)

    # ---- venues and slots
    def venues(self, done: Done[VenueList], *, include_inactive: bool = False) -> None:
        self._get("/api/venues" + ("?all=1" if include_inactive else ""), VenueList, done)

    def slots(self, venue_id: int, day: dt.date, done: Done[SlotList]) -> None:
        self._get(f"/api/venues/{venue_id}/slots?day={day.isoformat()}", SlotList, done)

    def create_venue(self, body: VenueRequest, done: Done[Venue]) -> None:
        self.send(ApiCall("POST", "/api/venues", request_body(body), Venue), done)

    def change_venue(self, venue_id: int, body: VenueChange, done: Done[Venue]) -> None:
        self.send(ApiCall("PATCH", f"/api/venues/{venue_id}", request_body(body), Venue), done)

    def lay_out_slots(self, venue_id: int, body: SlotsLayout, done: Done[SlotsLaidOut]) -> None:
        path = f"/api/venues/{venue_id}/slots/bulk"
        self.send(ApiCall("POST", path, request_body(body), SlotsLaidOut), done)

    def set_capacity(self, slot_id: int, capacity: int, done: Done[SlotInfo]) -> None:
        body = request_body(CapacityChange(capacity))
        self.send(ApiCall("PATCH", f"/api/slots/{slot_id}", body, SlotInfo), done)

    def delete_slot(self, slot_id: int, done: Done[DeletedSlot]) -> None:
        self.send(ApiCall("DELETE", f"/api/slots/{slot_id}", None, DeletedSlot), done)

    # ---- designated appointments (the assignment: supervisors and admins)
    def plan_assignment(self, body: AssignmentRequest, done: Done[AssignmentReport]) -> None:
        """A dry run: what the assignment would do; nothing is written."""
        path = "/api/assignments/plan"
        self.send(ApiCall("POST", path, request_body(body), AssignmentReport), done)

    def commit_assignment(self, body: AssignmentRequest, done: Done[AssignmentReport]) -> None:
        """Write the assignment (``body.expect``: the dry run's digest)."""
        path = "/api/assignments/commit"
        self.send(ApiCall("POST", path, request_body(body), AssignmentReport), done)

    def notices_pdf(self, body: NoticePrintRequest, done: Done[bytes]) -> None:
        """POST /api/assignments/notices: the appointment notices as a PDF (its bytes)."""
        post = getattr(self.transport, "post_for_bytes", None)
        if post is None:
            done(Reply(0, None, "network", "this transport cannot download files"))
            return

        def got(r: Any) -> None:
            if r.ok and isinstance(r.data, bytes):
                done(Reply(r.status, r.data))
            else:
                done(Reply(r.status, None, r.error or "bad_payload", r.message, r.details))

        post("/api/assignments/notices", request_body(body), got)

    def slot_offers(self, resident_id: int, done: Done[SlotOffers]) -> None:
        self._get(f"/api/residents/{resident_id}/slot-offers", SlotOffers, done)

    # ---- the postcard review queue (supervisors and admins)
    def reviews(self, done: Done[ReviewList]) -> None:
        """The open review items, oldest first."""
        self._get("/api/postcards/reviews?status=open&limit=200", ReviewList, done)

    def accept_review(self, review_id: int, body: ReviewAcceptance, done: Done[ReviewItem]) -> None:
        path = f"/api/postcards/reviews/{review_id}/accept"
        self.send(ApiCall("POST", path, request_body(body), ReviewItem), done)

    def reject_review(self, review_id: int, body: ReviewRejection, done: Done[ReviewItem]) -> None:
        path = f"/api/postcards/reviews/{review_id}/reject"
        self.send(ApiCall("POST", path, request_body(body), ReviewItem), done)

    def review_image(
        self, review_id: int, which: str, done: Callable[[bytes | None], None]
    ) -> None:
        """GET an item's scan crop (``which``: card or note): the image's bytes, None if none."""
        fetch = getattr(self.transport, "fetch_bytes", None)
        if fetch is None:
            done(None)
            return
        fetch(f"/api/postcards/reviews/{review_id}/image?which={which}", done)

    def upload_scans(self, files: Sequence[str], done: Done[ScansRead]) -> None:
        """POST /api/postcards/scans: the scan files (PNG, JPEG, TIFF, PDF) as one multipart
        upload, one part per file; the answer says what became of every page."""
        upload = getattr(self.transport, "upload_files", None)
        if upload is None:
            done(Reply(0, None, "network", "this transport cannot upload files"))
            return
        upload("/api/postcards/scans", list(files), lambda r: done(decode(ScansRead, r)))

    # ---- the callback worklist (折り返しリスト)
    def worklist(self, done: Done[WorklistPage]) -> None:
        """The waiting items in calling order, with the summary."""
        self._get("/api/worklist?state=open&limit=200", WorklistPage, done)

    def claim_next(self, done: Done[WorkClaimed]) -> None:
        self.send(ApiCall("POST", "/api/worklist/claim", None, WorkClaimed), done)

    def claim_item(self, item_id: int, done: Done[WorkItem]) -> None:
        self.send(ApiCall("POST", f"/api/worklist/{item_id}/claim", None, WorkItem), done)

    def release_item(self, item_id: int, done: Done[WorkItem]) -> None:
        self.send(ApiCall("POST", f"/api/worklist/{item_id}/release", None, WorkItem), done)

    def record_outcome(self, item_id: int, body: WorkOutcomeRequest, done: Done[WorkItem]) -> None:
        path = f"/api/worklist/{item_id}/outcome"
        self.send(ApiCall("POST", path, request_body(body), WorkItem), done)

    def dial(self, item_id: int, done: Done[DialStarted]) -> None:
        """Click-to-dial: the PBX rings this operator's phone, then the item's number."""
        self.send(ApiCall("POST", f"/api/worklist/{item_id}/dial", None, DialStarted), done)

    def reprioritise(self, item_id: int, priority: int, done: Done[WorkItem]) -> None:
        body = request_body(WorkPriorityChange(priority))
        self.send(ApiCall("PATCH", f"/api/worklist/{item_id}", body, WorkItem), done)

    # ---- reconfiguration (supervisors): a dry run, then the change
    def reconfigure_preview(self, body: ReconfigureRequest, done: Done[ReconfigurePlan]) -> None:
        path = "/api/reconfigure/preview"
        self.send(ApiCall("POST", path, request_body(body), ReconfigurePlan), done)

    def reconfigure_apply(self, body: ReconfigureRequest, done: Done[ReconfigureApplied]) -> None:
        path = "/api/reconfigure/apply"
        self.send(ApiCall("POST", path, request_body(body), ReconfigureApplied), done)

    # ---- campaign settings (admins save)
    def campaign_config(self, done: Done[ConfigList]) -> None:
        self._get("/api/config", ConfigList, done)

    def campaign_config_history(self, key: str, done: Done[ConfigHistory]) -> None:
        self._get(f"/api/config/{key}/history", ConfigHistory, done)

    def save_campaign_config(
        self, key: str, body: ConfigPutRequest, done: Done[ConfigEntry]
    ) -> None:
        self.send(ApiCall("PUT", f"/api/config/{key}", request_body(body), ConfigEntry), done)
