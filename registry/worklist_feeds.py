"""What puts calls on the callback worklist: a call the operator marked for a callback (wrap-up
code), a caller who gave up in the queue with a number one can call back, a resident who did
not come to their slot, and a resident who asked for a change on the web page. Each is
idempotent per its cause (``source_ref`` ``call:<linkedid>:<reason>``, ``no_show:booking:<id>``,
``web:contact:<id>``). The caller commits.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from registry.calls import get_call
from registry.contact_requests import WORKLIST_REF, open_requests
from registry.errors import InvalidInput
from registry.venue_day import no_shows
from registry.worklist import WorkItemView, enqueue

log = logging.getLogger(__name__)


async def from_call(
    session: AsyncSession,
    linkedid: str,
    reason: str,
    *,
    operator_id: int | None = None,
    note: str = "",
) -> WorkItemView | None:
    """Put the caller of ``linkedid`` on the worklist (``callback_requested`` / ``abandoned``);
    None when the call left no number to call back (withheld, none) and no resident."""
    call = await get_call(session, linkedid)  # NotFound
    if call.caller_e164 is None and call.matched_resident_id is None:
        log.info("call %s: nothing to call back (%s)", linkedid, call.caller_status)
        return None
    detail = {"linkedid": linkedid, "queue": call.queue}
    if note:
        detail["note"] = note
    try:
        return await enqueue(
            session,
            reason=reason,
            source_ref=f"call:{linkedid}:{reason}",
            resident_id=call.matched_resident_id,
            phone=call.caller_e164,
            detail=detail,
            operator_id=operator_id,
        )
    except InvalidInput:
        log.info("call %s: its number cannot be called back", linkedid)
        return None


async def from_venues_and_web(
    session: AsyncSession, *, day: dt.date, tz: str, now: dt.datetime | None = None
) -> int:
    """Put the day's no-shows (a slot ended without a check-in) and residents' open requests
    from the web page on the worklist; idempotent per booking and per request
    (``no_show:booking:<id>``, ``web:contact:<id>``). Returns how many items were looked at."""
    seen = 0
    for gone in await no_shows(session, day=day, tz=tz, now=now):
        detail = {"booking_id": gone.booking_id, "venue": gone.venue_name,
                  "starts_at": gone.starts_at.isoformat()}  # fmt: skip
        await enqueue(session, reason="no_show", source_ref=f"no_show:booking:{gone.booking_id}",
                      resident_id=gone.resident_id, detail=detail)  # fmt: skip
        seen += 1
    for asked in await open_requests(session):
        detail = {"kind": asked.kind, "note": asked.note, "booking_id": asked.booking_id}
        await enqueue(session, reason="web_request", source_ref=f"{WORKLIST_REF}{asked.request_id}",
                      resident_id=asked.resident_id, detail=detail)  # fmt: skip
        seen += 1
    return seen
