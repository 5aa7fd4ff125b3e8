"""The OpenAPI 3.1 document of the REST API, generated from the wire types of ``protocol``.

Nothing here is written by hand but the table of operations (``OPERATIONS``: path, method, roles,
the request body's type and each answer's type); every schema comes from a dataclass's type
hints, so the document cannot drift from what the server builds and the client decodes. A new
route gets its line in ``OPERATIONS`` (tests/integration/test_openapi.py fails until it has one,
and validates real answers of every route against the document). Standard library only.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Union

from cti_server import protocol

REF = "#/components/schemas/"
STAFF = "operator, supervisor, admin"
MANAGERS = "supervisor, admin"


@dataclass(frozen=True)
class Param:
    name: str
    where: str  # query / header
    description: str
    type: str = "string"
    required: bool = False


@dataclass(frozen=True)
class Media:
    """A body that is not JSON: its media types (one or more) and, if given, the schema of its
    parts (a multipart form's fields)."""

    types: tuple[str, ...]
    schema: dict[str, Any] | None = None


Body = type[Any] | str | Media  # a wire type (JSON), a media type, or a non-JSON body


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    roles: str  # who may call it: a list of roles, "any" (a valid token) or "none" (no token)
    # status -> body type, a media type for non-JSON, or None for no body (204)
    answers: dict[int, Body | None]
    request: Body | None = None
    params: tuple[Param, ...] = ()
    errors: tuple[int, ...] = ()
    description: str = ""


CALL = Param("call", "query", "Linkedid of the call this is done for (audit)")
IDEMPOTENCY = Param(
    "Idempotency-Key",
    "header",
    "a resend with the same key returns the first result and creates nothing twice",
)
SCANS = Media(
    ("multipart/form-data",),
    {
        "type": "object",
        "properties": {
            "file": {
                "type": "array",
                "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                "description": "scan files (PNG, JPEG, TIFF or PDF), each with its file name",
            }
        },
        "required": ["file"],
    },
)
REVIEW_ID = "Audited (review.view) as a view of the item's resident."
RECEPTION = "reception, supervisor, admin"
VENUE = Param("venue_id", "query", "the venue (supervisors, admins; reception: its own)",
              "integer")  # fmt: skip
P = protocol
OPERATIONS: tuple[Operation, ...] = (
    Operation("post", "/api/login", "Log in; returns a signed token", "none",
              {200: P.LoginResult}, P.LoginRequest, errors=(400, 401, 403, 423, 429),
              description="Failed attempts make the client address wait (429 with Retry-After, "
              "doubling, decaying; behind trusted proxies the address comes from "
              "X-Forwarded-For); repeated failures lock the account for that source address "
              "only (423). `extension` binds the log-in to one of the operator's allowed "
              "extensions (403 extension_not_allowed otherwise); empty: the default one. Kiosk "
              "tokens have no expiry (expires_in null) and are revoked by log-out everywhere."),
    Operation("post", "/api/logout", "Log out: revoke every token of the caller's account",
              "any", {204: None}, errors=(401,),
              description="The account's token generation goes up: every token issued to it so "
              "far is refused (401, details.reason token_revoked) and its WebSockets are closed "
              "with code 4401, reason token_revoked."),
    Operation("get", "/api/residents/search", "Search residents, or find one by postcard number",
              STAFF, {200: P.SearchResults}, errors=(400, 401, 403, 503),
              params=(Param("name", "query", "name in kanji or kana"),
                      Param("birth", "query", "birth date, western or wareki"),
                      Param("address", "query", "address fragment"),
                      Param("phone", "query", "phone number in any form"),
                      Param("barcode", "query", "postcard number (はがき番号), 12 digits; the "
                            "other fields are then ignored"),
                      Param("limit", "query", "1..50, default 10", "integer"), CALL),
              description="Audited (resident.search). 503 index_loading while the name index "
              "loads (never for a barcode)."),
    Operation("get", "/api/residents/{resident_id}", "Resident detail for the operator card",
              STAFF, {200: P.ResidentDetail}, params=(CALL,), errors=(400, 401, 403, 404),
              description="Audited (resident.view) with the operator and the call."),
    Operation("post", "/api/residents/{resident_id}/intents", "Record an intent (意向確認)",
              STAFF, {201: P.Intent}, P.IntentRequest, (IDEMPOTENCY,), (400, 401, 403, 404)),
    Operation("get", "/api/venues", "List venues", "any", {200: P.VenueList},
              params=(Param("all", "query", "1: include inactive (supervisor, admin)"),),
              errors=(401,)),
    Operation("post", "/api/venues", "Create a venue", MANAGERS, {201: P.Venue},
              P.VenueRequest, errors=(400, 401, 403, 409)),
    Operation("patch", "/api/venues/{venue_id}", "Change a venue", MANAGERS, {200: P.Venue},
              P.VenueChange, errors=(400, 401, 403, 404)),
    Operation("get", "/api/venues/{venue_id}/slots", "Slots of a venue on a day", "any",
              {200: P.SlotList}, errors=(400, 401, 404),
              params=(Param("day", "query", "YYYY-MM-DD in the server's time zone",
                            required=True),)),
    Operation("post", "/api/venues/{venue_id}/slots", "Create a slot", MANAGERS,
              {201: P.SlotInfo}, P.SlotRequest, errors=(400, 401, 403, 404)),
    Operation("post", "/api/venues/{venue_id}/slots/bulk", "Lay out a day's slots", MANAGERS,
              {201: P.SlotsLaidOut, 200: P.SlotsLaidOut}, P.SlotsLayout,
              errors=(400, 401, 403, 404),
              description="201 when something was created, 200 when every slot existed."),
    Operation("patch", "/api/slots/{slot_id}", "Change a slot's capacity", MANAGERS,
              {200: P.SlotInfo}, P.CapacityChange, errors=(400, 401, 403, 404, 409)),
    Operation("delete", "/api/slots/{slot_id}", "Delete a slot nobody ever booked", MANAGERS,
              {200: P.DeletedSlot}, errors=(401, 403, 404, 409)),
    Operation("post", "/api/bookings", "Book a slot", STAFF, {201: P.Booking},
              P.BookingRequest, (IDEMPOTENCY,), (400, 401, 403, 404, 409),
              description="409 slot_full when no seat is left, already_booked when the "
              "resident holds a booking for that dose."),
    Operation("patch", "/api/bookings/{booking_id}", "Move a booking to another slot", STAFF,
              {200: P.BookingChanged}, P.BookingChange, errors=(400, 401, 403, 404, 409),
              description="The later doses the assignment gave follow: each moves to the slot at "
              "the new slot's venue the same number of days after, at its time of day, if that "
              "slot has a seat (and a transport seat for a booking that holds one). One that "
              "cannot is kept where it was, answered as not_moved with why (no_slot, slot_full, "
              "no_transport_seat) and put on the worklist (reason second_dose); the move itself "
              "still happens. 409 slot_full / no_transport_seat / slot_started: nothing changed. "
              "Audited (booking.change for each move, booking.later_doses)."),
    Operation("delete", "/api/bookings/{booking_id}", "Cancel a booking", STAFF,
              {200: P.BookingChanged}, params=(CALL,), errors=(400, 401, 403, 404, 409),
              description="The later doses the assignment gave are cancelled too (later, "
              "outcome cancelled). Audited (booking.cancel for each, booking.later_doses)."),
    Operation("post", "/api/mobility", "Create a mobility-support request (移動支援)", STAFF,
              {201: P.MobilityRequest}, P.MobilityRequestBody, (IDEMPOTENCY,),
              (400, 401, 403, 404),
              description="`options`: codes of the campaign setting `mobility_options`; a code "
              "not offered is refused (400, details.field `options`). `wheelchair` and "
              "`companion` are stored as their own columns too."),
    Operation("patch", "/api/mobility/{request_id}", "Change a mobility-support request", STAFF,
              {200: P.MobilityRequest}, P.MobilityChange, errors=(400, 401, 403, 404),
              description="`options` replaces every code chosen; a code no longer offered is "
              "kept only if the request had it."),
    Operation("put", "/api/calls/{linkedid}/disposition",
              "Set a call's result codes (one or more) and notes", STAFF, {200: P.Disposition},
              P.DispositionRequest, errors=(400, 401, 403, 404),
              description="`codes` (codes of GET /api/dispositions) or `disposition` (codes "
              "joined by commas); stored joined by commas."),
    Operation("post", "/api/calls/{linkedid}/resident",
              "Link a call to the resident the operator confirmed", STAFF,
              {200: P.CallResident}, P.CallResidentRequest, errors=(400, 401, 403, 404),
              description="Only the operator of the call (ringing or answered at their "
              "extension, or recorded as theirs). Sets the call record's matched_resident_id "
              "(audited as call.resident), so the resident's card lists the call."),
    Operation("get", "/api/dispositions", "The wrap-up result codes", STAFF,
              {200: P.WrapUpCodes}, errors=(401, 403),
              description="The campaign setting `dispositions` (GET /api/config): the version "
              "an admin saved, else the server setting `dispositions` (a default list when "
              "unset)."),
    Operation("get", "/api/config", "The campaign settings an admin edits, current versions",
              STAFF, {200: P.ConfigList}, errors=(401, 403),
              description="`dispositions` (wrap-up codes), `retry_policy` (the callback "
              "worklist's attempts, interval and calling hours), `mobility_options`, "
              "`intent_questions`. Version 0: nobody saved one; the value is the server's "
              "setting or default."),
    Operation("get", "/api/config/{key}/history", "The saved versions of a campaign setting",
              STAFF, {200: P.ConfigHistory}, errors=(400, 401, 403),
              description="Newest first."),
    Operation("put", "/api/config/{key}", "Save a new version of a campaign setting", "admin",
              {200: P.ConfigEntry}, P.ConfigPutRequest, errors=(400, 401, 403, 409),
              description="`version` is the version the editor loaded: 409 conflict (details."
              "current_version) if another was saved since. 400 names the bad field. Used at "
              "once by this server (wrap-up codes, worklist outcomes) and, over the bus, by the "
              "others; every connected client is sent `config_changed` {key, version}. "
              "Audited (config.change)."),
    Operation("get", "/api/calls/current", "The operator's live calls, as screen pops", STAFF,
              {200: P.CurrentCalls}, errors=(401, 403)),
    Operation("post", "/api/postcards/print",
              "Print a selection's intent postcards (はがき) as a PDF download", MANAGERS,
              {200: "application/pdf"}, P.PostcardPrintRequest, errors=(400, 401, 403, 503),
              description="Address side and answer side of each postcard; at most 5000 per "
              "download (`cti-registry postcards` for larger runs). Audited (postcard.print). "
              "503 paper_unavailable without the server's paper extra."),
    Operation("post", "/api/postcards/scans", "Upload returned postcard scans and read them",
              MANAGERS, {200: P.ScansRead}, SCANS, errors=(400, 401, 403, 503),
              description="One or more files (PNG, JPEG, TIFF, PDF). Every page ends applied "
              "(an intent, channel postcard_ocr) or in review with its reasons; a page read "
              "before changes nothing (new=false). Audited (scan.upload)."),
    Operation("get", "/api/postcards/reviews", "Review queue of returned postcards, oldest first",
              MANAGERS, {200: P.ReviewList}, errors=(400, 401, 403),
              params=(Param("status", "query", "open (default), accepted or rejected"),
                      Param("after", "query", "review_id to page on from", "integer"),
                      Param("limit", "query", "1..200, default 50", "integer"))),
    Operation("get", "/api/postcards/reviews/{review_id}", "One review item", MANAGERS,
              {200: P.ReviewItem}, errors=(401, 403, 404), description=REVIEW_ID),
    Operation("get", "/api/postcards/reviews/{review_id}/image",
              "The item's aligned answer side (JPEG) or free-text crop (PNG)", MANAGERS,
              {200: Media(("image/jpeg", "image/png"))}, errors=(400, 401, 403, 404),
              params=(Param("which", "query", "card (default) or note"),)),
    Operation("post", "/api/postcards/reviews/{review_id}/accept",
              "Accept an item with the reviewer's answers", MANAGERS, {200: P.ReviewItem},
              P.ReviewAcceptance, errors=(400, 401, 403, 404, 409),
              description="Records the intent (channel postcard_ocr) with the reviewer as "
              "operator; audited (intent.record, review.accept). 409 when the item is no "
              "longer open."),
    Operation("post", "/api/postcards/reviews/{review_id}/reject", "Reject an item (no intent)",
              MANAGERS, {200: P.ReviewItem}, P.ReviewRejection, errors=(400, 401, 403, 404, 409),
              description="Audited (review.reject). 409 when the item is no longer open."),
    Operation("post", "/api/assignments/plan",
              "Dry run of an assignment of dates, times and venues (nothing written)", MANAGERS,
              {200: P.AssignmentReport}, P.AssignmentRequest, errors=(400, 401, 403),
              description="Residents whose latest intent wants the vaccination and who hold no "
              "booking, placed by priority (age bands), households together, transport seats "
              "and wheelchair access, nearest venue first; `digest` fingerprints the plan."),
    Operation("post", "/api/assignments/commit",
              "Write an assignment: bookings with channel assigned", MANAGERS,
              {200: P.AssignmentReport}, P.AssignmentRequest, errors=(400, 401, 403, 409),
              description="One transaction; the database refuses an overfilled slot or a "
              "resident booked twice (409, nothing written). With `expect` (the dry run's "
              "digest) a plan that came out differently is refused (409, details.plan_changed). "
              "Audited (booking.create per booking, assignment.commit)."),
    Operation("post", "/api/assignments/notices",
              "Print the appointment notices (指定通知) as a PDF download", MANAGERS,
              {200: "application/pdf"}, P.NoticePrintRequest, errors=(400, 401, 403, 503),
              description="One postcard per active assigned booking (first dose, not started): "
              "date, time, venue and address, second dose, pickup, what to bring, the call "
              "center (settings call_center_number, call_center_hours), the QR and digits. At "
              "most 5000 per download (`cti-registry notices` for larger runs). Audited "
              "(notice.print). 503 paper_unavailable without the paper extra."),
    Operation("post", "/api/bookings/{booking_id}/cannot-come",
              "The resident cannot come on their booking's day", STAFF, {200: P.CannotCome},
              P.CannotComeRequest, errors=(400, 401, 403, 404, 409),
              description="Cancels the booking and the later doses the assignment gave, frees "
              "the seats (and transport seats), keeps the day so no later assignment uses it, "
              "and suggests open slots. Audited (booking.cancel, booking.cannot_come)."),
    Operation("get", "/api/residents/{resident_id}/slot-offers",
              "Open slots a resident could take, best first", STAFF, {200: P.SlotOffers},
              errors=(401, 403),
              description="Nearest venue first, then earliest; only slots with the transport "
              "seat or wheelchair access the resident needs, not on their days away."),
    Operation("get", "/api/slots/{slot_id}/next-waiting",
              "The waiting resident the assignment would seat first in a slot", STAFF,
              {200: P.NextWaiting}, params=(CALL,), errors=(401, 403, 404),
              description="For a freed seat: the highest-priority resident still waiting who "
              "fits the slot (null if nobody). Audited (resident.view)."),
    Operation("get", "/api/worklist", "The callback worklist (折り返しリスト) in calling order",
              STAFF, {200: P.WorklistPage}, errors=(400, 401, 403),
              params=(Param("state", "query", "open (default: waiting, lapsed claims "
                            "included), claimed, done or exhausted"),
                      Param("due", "query", "1: only items due now"),
                      Param("limit", "query", "1..500, default 100", "integer")),
              description="Priority first, then due time, then age; with the summary the "
              "board shows (size, due, claimed, oldest)."),
    Operation("post", "/api/worklist/claim", "Take the next due item", STAFF,
              {200: P.WorkClaimed}, errors=(401, 403),
              description="Atomic in the database: no two operators get the same item. "
              "item is null when nothing is due. Audited (worklist.claim)."),
    Operation("post", "/api/worklist/{item_id}/claim", "Take this item", STAFF,
              {200: P.WorkItem}, errors=(401, 403, 404, 409),
              description="409 when another operator holds it (until the claim lapses) or "
              "it is closed. Audited (worklist.claim)."),
    Operation("post", "/api/worklist/{item_id}/release", "Give a held item back", STAFF,
              {200: P.WorkItem}, errors=(401, 403, 404, 409)),
    Operation("post", "/api/worklist/{item_id}/outcome", "Record a call's outcome", STAFF,
              {200: P.WorkItem}, P.WorkOutcomeRequest, errors=(400, 401, 403, 404, 409),
              description="reached and wrong_number close the item; no_answer schedules the "
              "next try by the retry policy (attempts, interval, calling hours) or gives up; "
              "call_later schedules call_later_at. Audited (worklist.outcome)."),
    Operation("post", "/api/worklist/{item_id}/dial", "Click-to-dial the item's number", STAFF,
              {200: P.DialStarted}, errors=(400, 401, 403, 404, 409, 503),
              description="The operator must hold the item and be logged in at an extension. "
              "The PBX rings the extension, then calls the number through the outbound route "
              "with the configured caller ID; the call pops as an incoming one. 503 when the "
              "PBX cannot place it. Audited (worklist.dial)."),
    Operation("patch", "/api/worklist/{item_id}", "Reprioritise an item", MANAGERS,
              {200: P.WorkItem}, P.WorkPriorityChange, errors=(400, 401, 403, 404),
              description="-1000..1000, higher is called first. Audited (worklist.priority)."),
    Operation("post", "/api/reconfigure/preview", "Dry run of a slot or venue change",
              MANAGERS, {200: P.ReconfigurePlan}, P.ReconfigureRequest,
              errors=(400, 401, 403, 404, 409),
              description="The bookings a capacity cut, a closed slot or venue, or a moved day "
              "would affect, in booking order, each with its conflict and a proposed slot it can "
              "take (a seat, a transport seat or wheelchair access if it needs one, a start "
              "beyond the slot's pickup lead time; the same venue first). Nothing changes. "
              "Checked-in bookings are kept (they count against a cut capacity); a change that "
              "would take their seats, or change a slot that has started, is refused (409). A "
              "day moves only to today or later with each slot still ahead (400), and not onto "
              "a day on which the venue already has slots (409)."),
    Operation("post", "/api/reconfigure/apply", "Make a slot or venue change", MANAGERS,
              {200: P.ReconfigureApplied}, P.ReconfigureRequest,
              errors=(400, 401, 403, 404, 409),
              description="Each affected booking is moved (action move: to target_slot_id, "
              "else its proposal; a slot that cannot take it puts it on the worklist instead) "
              "or put on the callback worklist (its seat freed), then the change is made; "
              "audited (slot.reconfigure) and pushed live."),
    Operation("get", "/api/openapi.json", "This document", "none",
              {200: "application/json"}),
    Operation("get", "/healthz", "Health: AMI connected and database reachable", "none",
              {200: P.Health, 503: P.Health},
              description="Without a valid bearer token only `status` is given."),
    Operation("get", "/metrics", "Prometheus text metrics", "none", {200: "text/plain"}),
    Operation("get", "/ws", "The WebSocket (messages of cti_server/protocol.py)", "any",
              {101: "websocket"}, errors=(401,),
              params=(Param("token", "query", "a kiosk's token (the wallboard), for browsers that "
                            "cannot set a header; any other role's is refused"),)),
    Operation("get", "/wallboard", "TV wallboard page", "none", {200: "text/html"}),
    Operation("get", "/wallboard-files", "Static files of the wallboard", "none",
              {200: "application/octet-stream"}, errors=(404,)),
    # The residents' page: HTML forms (a session cookie and a CSRF token of its own), not API.
    Operation("get", "/r/", "Residents' page: identify (postcard number, birth date)", "none",
              {200: "text/html"}),
    Operation("post", "/r/", "Residents' page: identify (form)", "none",
              {303: None, 422: "text/html", 429: "text/html"}, errors=(403,)),
    Operation("get", "/r/me", "Residents' page: own answer and booking", "none",
              {200: "text/html", 303: None}),
    Operation("get", "/r/answer", "Residents' page: the intent form", "none",
              {200: "text/html", 303: None}),
    Operation("post", "/r/answer", "Residents' page: record an intent (channel web)", "none",
              {303: None, 422: "text/html"}, errors=(403, 429)),
    Operation("post", "/r/change", "Residents' page: ask for a booking change", "none",
              {303: None, 422: "text/html"}, errors=(403, 429)),
    Operation("get", "/r/done/{what}", "Residents' page: what was received", "none",
              {200: "text/html", 303: None}),
    Operation("post", "/r/logout", "Residents' page: finish", "none", {200: "text/html"},
              errors=(403, 429)),
    Operation("get", "/r/files", "Static files of the residents' page", "none",
              {200: "application/octet-stream"}, errors=(404,)),
    Operation("get", "/api/reception", "The reception desk's venue, today and its tally",
              RECEPTION, {200: P.Reception}, errors=(400, 401, 403, 404),
              params=(VENUE,)),
    Operation("post", "/api/reception/checkins", "Check a resident in by a scanned barcode",
              "reception", {200: P.Checkin}, P.CheckinRequest, errors=(400, 401, 403),
              description="At the account's venue, for today's booking. Every scan gets one "
              "outcome (checked_in or a warning: already_checked_in, wrong_venue, wrong_slot, "
              "wrong_day, no_booking with walk-in slots, unknown_barcode, mistyped_barcode). "
              "Idempotent per scan_id: a resend returns the first answer (replayed true). "
              "Audited (checkin.scan)."),
    Operation("post", "/api/reception/walk-ins", "Book a walk-in into a slot and check them in",
              "reception", {200: P.Checkin}, P.WalkInRequest, errors=(400, 401, 403, 409),
              description="Only when the `reception_walk_ins` setting allows it, into a slot "
              "offered with no_booking (today, this venue, not ended, a seat left). "
              "Audited (booking.create, checkin.walk_in, checkin.scan)."),
    Operation("get", "/api/reception/search", "Find a resident who forgot the postcard",
              "reception", {200: P.DeskSearchResults}, errors=(400, 401, 403),
              params=(Param("name", "query", "name in kanji or kana (part of it)", required=True),
                      Param("birth", "query", "birth date, western or wareki (S16.5.3)",
                            required=True)),
              description="Names masked; audited (resident.search)."),
    Operation("get", "/api/reception/day.csv", "The venue day's list for the venue's records",
              RECEPTION, {200: "text/csv"}, errors=(400, 401, 403, 404),
              params=(VENUE, Param("day", "query", "YYYY-MM-DD, default today")),
              description="UTF-8 with BOM: slot, 宛名番号, name, kana, birth date, channel, "
              "state (checked_in / not_yet / no_show), check-in time and desk. Audited "
              "(checkin.export)."),
    Operation("get", "/reception", "Venue reception page (barcode scanner, tablet)", "none",
              {200: "text/html"}),
    Operation("get", "/reception-files", "Static files of the reception page", "none",
              {200: "application/octet-stream"}, errors=(404,)),
)  # fmt: skip


# --------------------------------------------------------------------------- schemas


def _hints(cls: type[Any]) -> dict[str, Any]:
    return typing.get_type_hints(cls, include_extras=True)


def schema_of(tp: Any, components: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a type hint; dataclasses go to ``components`` once, by name."""
    if tp is Any:
        return {}
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        base, fmt = typing.get_args(tp)[:2]
        return {**schema_of(base, components), "format": fmt}
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        inner = [schema_of(a, components) for a in options]
        nullable = len(options) < len(typing.get_args(tp))
        one = inner[0] if len(inner) == 1 else {"anyOf": inner}
        return {"anyOf": [one, {"type": "null"}]} if nullable else one
    if origin is tuple:
        return {"type": "array", "items": schema_of(typing.get_args(tp)[0], components)}
    if origin is dict:
        return {"type": "object"}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _component(tp, components)
        return {"$ref": REF + tp.__name__}
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _limits(f: dataclasses.Field[Any], hint: Any) -> dict[str, Any]:
    """The field's limits (``protocol.spec``) as JSON Schema keywords."""
    meta = f.metadata
    out: dict[str, Any] = {}
    if "max_length" in meta:
        out["maxLength"] = meta["max_length"]
    if "minimum" in meta:
        out["minimum"] = meta["minimum"]
    if "choices" in meta:
        nullable = type(None) in typing.get_args(hint)
        out["enum"] = [*meta["choices"], *([None] if nullable else [])]
    return out


def _component(cls: type[Any], components: dict[str, Any]) -> None:
    if cls.__name__ in components:
        return
    components[cls.__name__] = {}  # a placeholder against recursion
    hints = _hints(cls)
    props: dict[str, Any] = {}
    required: list[str] = []
    tag = getattr(cls, "type", None)
    if isinstance(tag, str):
        props["type"] = {"const": tag}
        required.append("type")
    for f in dataclasses.fields(cls):
        props[f.name] = schema_of(hints[f.name], components) | _limits(f, hints[f.name])
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            required.append(f.name)
    for name in getattr(cls, "derived", ()):
        returns = typing.get_type_hints(getattr(cls, name).fget)["return"]
        props[name] = {**schema_of(returns, components), "readOnly": True}
        required.append(name)
    doc = (cls.__doc__ or "").strip()
    components[cls.__name__] = {
        "type": "object",
        **({"description": doc} if doc and not doc.startswith(cls.__name__ + "(") else {}),
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


# --------------------------------------------------------------------------- document


def _parameters(op: Operation) -> list[dict[str, Any]]:
    out = []
    for name in re.findall(r"{(\w+)}", op.path):
        kind = "integer" if name.endswith("_id") else "string"
        out.append({"name": name, "in": "path", "required": True, "schema": {"type": kind}})
    for p in op.params:
        param = {"name": p.name, "in": p.where, "required": p.required}
        out.append(param | {"description": p.description, "schema": {"type": p.type}})
    return out


def _content(body: Body, components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, str):
        return {body: {}}
    if isinstance(body, Media):
        return {t: {"schema": body.schema} if body.schema else {} for t in body.types}
    return {"application/json": {"schema": schema_of(body, components)}}


def _answer(status: int, body: Body | None, components: dict[str, Any]) -> dict[str, Any]:
    if status == 101:
        return {"description": "switching to the WebSocket protocol"}
    if body is None:
        return {"description": "no content"}
    return {"description": "the answer", "content": _content(body, components)}


def _operation(op: Operation, components: dict[str, Any]) -> dict[str, Any]:
    roles = {"none": "Roles: none (no token).", "any": "Roles: any."}.get(
        op.roles, f"Roles: {op.roles}."
    )
    out: dict[str, Any] = {
        "summary": op.summary,
        "description": f"{op.description} {roles}".strip(),
        "parameters": _parameters(op),
        "responses": {
            str(status): _answer(status, body, components) for status, body in op.answers.items()
        },
    }
    for status in op.errors:
        out["responses"][str(status)] = {"$ref": f"#/components/responses/E{status}"}
    if op.request is not None:
        out["requestBody"] = {"required": True, "content": _content(op.request, components)}
    if op.roles == "none":
        out["security"] = []
    return out


ERRORS = {
    400: "invalid input (details.field names it)",
    401: "no token, or a bad or expired one",
    403: "the role may not do this (or, at log-in, extension_not_allowed)",
    404: "no such object",
    409: "conflict (e.g. slot_full, already_booked)",
    423: "account locked",
    429: "too many attempts; see Retry-After",
    503: "not ready yet; retry",
}


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document (built once)."""
    components: dict[str, Any] = {}
    paths: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components)
    error = schema_of(protocol.ApiErrorBody, components)
    responses = {
        f"E{status}": {"description": text, "content": {"application/json": {"schema": error}}}
        for status, text in ERRORS.items()
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cti-assistant server",
            "version": str(protocol.PROTOCOL_VERSION),
            "description": "REST API of cti_server, generated from cti_server/protocol.py. "
            "Send `Authorization: Bearer <token>` from POST /api/login. Errors are "
            "{error, message, details}. Every time is ISO-8601 with an offset (the server "
            "sends UTC); a request field that is null is the same as an absent one. Clients "
            "should ignore fields they do not know.",
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": responses,
            "schemas": dict(sorted(components.items())),
        },
        "security": [{"bearer": []}],
        "paths": paths,
    }
