"""What puts calls on the callback worklist: a call the operator marked for a callback (wrap-up
code), and a caller who gave up in the queue with a number one can call back. Both are
idempotent per call (``source_ref`` ``call:<linkedid>:<reason>``). The caller commits.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from registry.calls import get_call
from registry.errors import InvalidInput
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
