"""Designated appointments on the wire: ``registry.figures.AssignmentStatus`` and its
``AssignedDay`` rows (anything with their fields) as ``AssignmentFigures``, and the definitions
of the figures. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cti_server.protocol import AssignedDayVenue, AssignmentFigures

DEFINITIONS = {
    "assigned": ("designated appointments: active bookings an assignment run made (any dose) "
                 "per venue and day, beside all active bookings / capacity of its slots",
                 "指定予約：割当（指定）で作られた有効な予約（各回）を会場・日ごとに。"
                 "並びは全予約 ÷ 定員"),
    "to_assign": ("residents whose latest intent wants the vaccination, active, holding no "
                  "first-dose booking: the candidates of the next assignment run",
                  "最新の意向が接種希望で、1回目の有効な予約がない住民（次の割当の対象）"),
    "cannot_assign": ("residents the last committed assignment run could not place (no seat, "
                      "no transport seat, no wheelchair slot, days away...), at most those to "
                      "assign now; the run's count, not updated per resident",
                      "直近に確定した割当で枠を決められなかった住民（空席・送迎席・車椅子対応・"
                      "都合の悪い日など）。いまの未割当を上限とする。その回の件数で、"
                      "住民ごとには更新しない"),
}  # fmt: skip


def assignment_figures(status: Any, days: Iterable[Any]) -> AssignmentFigures:
    at: dt.datetime | None = status.last_run_at
    return AssignmentFigures(
        to_assign=status.to_assign,
        cannot_assign=status.cannot_assign,
        reasons=dict(status.reasons),
        last_run_at=None if at is None else at.astimezone(dt.UTC).isoformat(),
        days=tuple(
            AssignedDayVenue(d.venue_id, d.venue, d.day.isoformat(), d.assigned, d.booked,
                             d.capacity)
            for d in days
        ),
    )  # fmt: skip
