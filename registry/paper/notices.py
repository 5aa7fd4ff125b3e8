"""Appointment notices (指定通知): a postcard telling each assigned resident their date, time and
venue, printed with the intent postcards' code (``printing.PostcardWriter``, a ``CardKind`` of
its own) and a mail-merge CSV beside (CP932 ``OUT.csv`` and UTF-8 with BOM ``OUT.utf8.csv``).

The back side: the resident's name, the date (with the weekday) and time, the venue and its
address, the second dose when there is one, the transport pickup (time = the slot's start less the
slot's ``pickup_minutes``; place = the mobility request's pickup address, else the resident's
address) when the booking holds a transport seat, what to bring, the call center's number and
hours (settings), and the barcode as a QR code and as digits (the venue scans it at check-in).

Selected: active bookings of channel ``assigned``, first dose, in slots that have not started;
``--day`` one day, ``--resident`` one resident. Printed by day, venue, time, then resident.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from registry.assign.support import PICKUP_MINUTES
from registry.ledger.export import _CsvOut  # the ledger export's CP932 / 〓 handling
from registry.models import (
    Booking,
    Household,
    MobilityRequest,
    Resident,
    Slot,
    SlotSupport,
    Venue,
)
from registry.paper.layout import CARD_H, format_digits
from registry.paper.printing import (
    DEFAULT_SENDER,
    GOTHIC,
    CardKind,
    Layout,
    PostcardWriter,
    draw_form,
    draw_qr,
    wrap,
)
from registry.views import as_utc

log = logging.getLogger(__name__)

LOCAL_TZ = ZoneInfo("Asia/Tokyo")
WEEKDAYS = "月火水木金土日"
QR_BOX = (70.0, 7.0, 23.0, 23.0)
DIGITS_AT = (81.5, 33.5)
CSV_HEADER = ("はがき番号", "はがき番号（表示）", "氏名", "住所", "接種日", "時刻", "会場",
              "会場住所", "2回目", "送迎時刻", "送迎場所", "ファイル", "ページ")  # fmt: skip
DEFAULT_BRING = (
    "このはがき（会場でバーコードを読み取ります）",
    "接種券・予診票",
    "本人確認書類（保険証・運転免許証など）",
    "お薬手帳（お持ちの方）",
)


@dataclass(frozen=True)
class NoticeSettings:
    call_center: str = "0773-66-1000"
    hours: str = "平日 9:00〜17:00"
    bring: tuple[str, ...] = DEFAULT_BRING
    sender: str = DEFAULT_SENDER


@dataclass(frozen=True)
class Notice:
    barcode: str
    name: str
    address: str
    venue: str
    venue_address: str
    starts_at: dt.datetime  # local time
    ends_at: dt.datetime
    second_dose: dt.datetime | None = None
    pickup_at: dt.datetime | None = None
    pickup_place: str = ""


@dataclass(frozen=True)
class NoticeReport:
    notices: int
    files: tuple[str, ...]
    csv_files: tuple[str, ...]
    replaced: int
    resident_ids: tuple[int, ...] = field(default=(), repr=False)


def _y(y_mm: float) -> float:
    return float((CARD_H - y_mm) * mm)


def day_text(t: dt.datetime) -> str:
    return f"{t.year}年{t.month}月{t.day}日（{WEEKDAYS[t.weekday()]}）"


def hm(t: dt.datetime) -> str:
    return f"{t.hour}:{t:%M}"


def time_text(start: dt.datetime, end: dt.datetime) -> str:
    return f"{hm(start)}〜{hm(end)}"


def _template(settings: NoticeSettings) -> Callable[[Canvas], None]:
    def draw(c: Canvas) -> None:
        c.setFillGray(0)
        c.setFont(GOTHIC, 10.5)
        c.drawString(8 * mm, _y(12), "接種日時・会場のお知らせ")
        c.setFont(GOTHIC, 7.5)
        c.drawString(8 * mm, _y(17), "（新型コロナワクチン 指定通知）")
        for y, label in ((40, "接種日時"), (62, "会場")):
            c.setFont(GOTHIC, 7.5)
            c.drawString(8 * mm, _y(y), f"■ {label}")
        c.setLineWidth(0.4)
        c.line(8 * mm, _y(100), 92 * mm, _y(100))
        c.setFont(GOTHIC, 7.5)
        c.drawString(8 * mm, _y(105), "■ お持ちいただくもの")
        for i, item in enumerate(settings.bring[:5]):
            c.drawString(11 * mm, _y(110 + 4 * i), f"・{item}")
        c.line(8 * mm, _y(131), 92 * mm, _y(131))
        c.setFont(GOTHIC, 7)
        c.drawString(8 * mm, _y(135), "日時の変更・取り消し・ご相談はコールセンターへ")
        c.setFont(GOTHIC, 12)
        c.drawString(8 * mm, _y(141.5), f"電話 {settings.call_center}")
        c.setFont(GOTHIC, 7)
        c.drawString(58 * mm, _y(141.5), settings.hours)

    return draw


def draw_notice(c: Canvas, n: Notice) -> None:
    """The back side of one notice (over the file's form)."""
    draw_form(c)
    draw_qr(c, n.barcode, QR_BOX)
    c.setFont("Courier-Bold", 8)
    c.drawCentredString(DIGITS_AT[0] * mm, _y(DIGITS_AT[1]), format_digits(n.barcode))
    c.setFont(GOTHIC, 10)
    c.drawString(8 * mm, _y(27), f"{n.name}　様")
    c.setFont(GOTHIC, 13)
    c.drawString(11 * mm, _y(47.5), day_text(n.starts_at))
    c.drawString(11 * mm, _y(55), time_text(n.starts_at, n.ends_at))
    c.setFont(GOTHIC, 11)
    c.drawString(11 * mm, _y(69), n.venue)
    c.setFont(GOTHIC, 7.5)
    for i, line in enumerate(list(wrap(n.venue_address, 34))[:2]):
        c.drawString(11 * mm, _y(74 + 3.6 * i), line)
    y = 84.0
    if n.second_dose is not None:
        c.setFont(GOTHIC, 8)
        c.drawString(8 * mm, _y(y), f"■ 2回目　{day_text(n.second_dose)} {hm(n.second_dose)}〜"
                     "（同じ会場）")  # fmt: skip
        y += 5
    if n.pickup_at is not None:
        c.setFont(GOTHIC, 8)
        c.drawString(8 * mm, _y(y), f"■ 送迎　{hm(n.pickup_at)} ごろお迎えにうかがいます")
        c.setFont(GOTHIC, 7.5)
        for i, line in enumerate(list(wrap(f"お迎えの場所：{n.pickup_place}", 34))[:2]):
            c.drawString(11 * mm, _y(y + 4 + 3.6 * i), line)


def notice_kind(settings: NoticeSettings) -> CardKind:
    return CardKind(
        "接種日時・会場のお知らせ",
        "新型コロナワクチン接種 日時・会場のお知らせ（裏面をご確認ください）",
        _template(settings),
        draw_notice,
    )


def notice_query(*, day: dt.date | None = None, person_no: str | None = None,
                 after: dt.datetime | None = None,
                 since: dt.datetime | None = None) -> Select[Any]:  # fmt: skip
    """Rows of the notices to print: booking, resident, slot, venue, support. ``since``: only
    bookings made or changed at or after it (a run's new seats and moves, not the notices
    printed before)."""
    second = aliased(Booking)
    second_slot = aliased(Slot)
    after = after or dt.datetime.now(dt.UTC)
    stmt = cast(
        "Select[Any]",
        select(
            Resident.id.label("resident_id"),
            Resident.barcode,
            Resident.name,
            Resident.address,
            Household.address.label("household_address"),
            Venue.name.label("venue"),
            Venue.address.label("venue_address"),
            Slot.starts_at,
            Slot.ends_at,
            Booking.transport,
            SlotSupport.pickup_minutes,
            second_slot.starts_at.label("second_at"),
        )
        .select_from(Booking)
        .join(Resident, Resident.id == Booking.resident_id)
        .outerjoin(Household, Household.id == Resident.household_id)
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Venue, Venue.id == Slot.venue_id)
        .outerjoin(SlotSupport, SlotSupport.slot_id == Slot.id)
        .outerjoin(
            second,
            (second.resident_id == Booking.resident_id)
            & (second.dose == 2)
            & (second.status == "booked"),
        )
        .outerjoin(second_slot, second_slot.id == second.slot_id)
        .where(
            Booking.channel == "assigned",
            Booking.dose == 1,
            Booking.status == "booked",
            Slot.starts_at > after,
        )
        .order_by(Slot.starts_at, Venue.id, Resident.id),
    )
    if day is not None:
        start = dt.datetime.combine(day, dt.time(0), LOCAL_TZ).astimezone(dt.UTC)
        stmt = stmt.where(Slot.starts_at >= start, Slot.starts_at < start + dt.timedelta(days=1))
    if person_no:
        stmt = stmt.where(Resident.person_no == person_no)
    if since is not None:
        stmt = stmt.where(Booking.updated_at >= since)
    return stmt


async def _pickup_places(engine: AsyncEngine) -> dict[int, str]:
    """Each resident's latest open or arranged pickup address."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            select(MobilityRequest.resident_id, MobilityRequest.pickup_address)
            .where(MobilityRequest.status.in_(("open", "arranged")))
            .order_by(MobilityRequest.id)
        )
        return {rid: place for rid, place in rows.all() if place}


async def notices(engine: AsyncEngine, **selection: Any) -> AsyncIterator[tuple[int, Notice]]:
    """(resident id, notice) of the selection, streamed."""
    places = await _pickup_places(engine)
    async with engine.connect() as conn:
        result = await conn.stream(notice_query(**selection).execution_options(yield_per=1000))
        async for r in result:
            start = as_utc(r.starts_at).astimezone(LOCAL_TZ)
            address = r.address or r.household_address or ""
            pickup = None
            if r.transport:
                pickup = start - dt.timedelta(minutes=r.pickup_minutes or PICKUP_MINUTES)
            yield (
                r.resident_id,
                Notice(
                    barcode=r.barcode,
                    name=r.name,
                    address=address,
                    venue=r.venue,
                    venue_address=r.venue_address,
                    starts_at=start,
                    ends_at=as_utc(r.ends_at).astimezone(LOCAL_TZ),
                    second_dose=None
                    if r.second_at is None
                    else as_utc(r.second_at).astimezone(LOCAL_TZ),
                    pickup_at=pickup,
                    pickup_place=places.get(r.resident_id, address) if pickup else "",
                ),
            )


def _csv_row(n: Notice, file: str, page: int) -> tuple[object, ...]:
    return (n.barcode, format_digits(n.barcode), n.name, n.address, day_text(n.starts_at),
            time_text(n.starts_at, n.ends_at), n.venue, n.venue_address,
            "" if n.second_dose is None else f"{day_text(n.second_dose)} {hm(n.second_dose)}",
            "" if n.pickup_at is None else hm(n.pickup_at), n.pickup_place, file,
            page)  # fmt: skip


async def print_notices(
    engine: AsyncEngine,
    out: str | Path,
    *,
    settings: NoticeSettings = NoticeSettings(),
    layout: Layout = "hagaki",
    per_file: int = 5000,
    progress: Callable[[int], None] | None = None,
    **selection: Any,
) -> NoticeReport:
    """Write the selected notices to ``out`` (PDF) and the mail-merge CSVs beside it; no file
    at all when none is selected."""
    out = Path(out)
    csv_paths = (out.with_suffix(".csv"), out.with_suffix(".utf8.csv"))
    residents: list[int] = []
    kind = notice_kind(settings)
    with (
        PostcardWriter(
            out, layout=layout, sender=settings.sender, per_file=per_file, kind=kind
        ) as writer,  # fmt: skip
        open(csv_paths[0], "wb") as sjis,  # noqa: ASYNC230 - sequential writes, like the PDF
        open(csv_paths[1], "wb") as utf8,  # noqa: ASYNC230
    ):
        outs = (_CsvOut(sjis, "cp932"), _CsvOut(utf8, "utf-8-sig"))
        for o in outs:
            o.write(CSV_HEADER)
        async for rid, notice in notices(engine, **selection):
            writer.add(notice)
            residents.append(rid)
            k = writer.count - 1
            for o in outs:
                o.write(_csv_row(notice, writer.file_of(k).name, writer.page_of(k)))
            if progress is not None:
                progress(1)
    if not writer.count:  # nothing to print: no blank card for the print shop, no empty CSV
        for path in (*writer.files, *csv_paths):
            Path(path).unlink(missing_ok=True)  # noqa: ASYNC240 - as the writes above
        log.info("no notices to print")
        return NoticeReport(0, (), (), 0)
    log.info("%d notices printed to %d files", writer.count, len(writer.files))
    return NoticeReport(writer.count, tuple(str(f) for f in writer.files),
                        tuple(str(p) for p in csv_paths), outs[0].replaced,
                        tuple(residents))  # fmt: skip
