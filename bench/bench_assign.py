"""Designated appointments: how long an assignment takes, and how far the greedy is from optimal.

    .venv/bin/python bench/bench_assign.py                       # 30,000 residents x 2,000 slots
    .venv/bin/python bench/bench_assign.py --residents 300000 --slots 20000
    .venv/bin/python bench/bench_assign.py --gap                 # greedy vs CP-SAT, small cases
    .venv/bin/python bench/bench_assign.py --db postgresql://127.0.0.1/test_assign_bench

A ledger of ``--residents`` (the synthetic city) is seeded, every resident is given a "wants it"
intent (one in twenty needing transport), and ``--slots`` slots are laid out over eight venues
with a distance table, seats for ``--fill`` of the residents, transport seats in a quarter of the
slots and wheelchair access at most venues. Then the same code as ``cti-registry assign`` runs:
a dry run (read, plan, report), then a commit (read, plan, write the bookings and their audit
entries). Goals: 30,000 x 2,000 under 10 s; 300,000 under 2 minutes. After the commit it times
the supervisor board's reread of the assignment figures (``registry.figures``: intents by
channel, assigned per venue and day, to assign / cannot assign), which runs every minute.

``--gap`` solves small random instances both ways: the greedy (``registry.assign.solver``) and
CP-SAT (OR-Tools) maximizing, in this order, the residents placed weighted by priority, the
households kept together, and the nearness (distance rank); it prints how many fewer residents the
greedy placed, how many more households it split, and its extra distance.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text

from registry import figures
from registry.assign.load import load_input
from registry.assign.report import build_report
from registry.assign.run import run_assignment
from registry.assign.solver import OpenSlot, Person, Rules, assign
from registry.db import create_engine, migrate, session_factory
from registry.models import Base
from registry.seed.city import _city_data
from registry.seed.load import demo_distances, seed_database

TOKYO = ZoneInfo("Asia/Tokyo")
T = Base.metadata.tables


async def _setup(url: str, residents: int, slots: int, fill: float) -> None:
    engine = create_engine(url)
    await migrate(engine)
    t0 = time.perf_counter()
    await seed_database(engine, residents, seed=7, venues=False)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    towns = _city_data()["towns"]
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO intents (resident_id, wants_vaccination, needs_mobility, channel, "
                "recorded_at, notes) SELECT id, true, (id % 20 = 0), 'web', :at, '' FROM residents"
            ),
            {"at": later},
        )
        venues = 8
        per_venue = slots // venues
        capacity = max(1, round(residents * fill / slots))
        first = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(9), TOKYO)
        for v in range(venues):
            vid = (
                await conn.execute(
                    insert(T["venues"])
                    .values(name=f"会場{v + 1}", address=f"舞鶴市{towns[v * 5]}1", active=True)
                    .returning(T["venues"].c.id)
                )
            ).scalar_one()
            await conn.execute(
                insert(T["venue_distances"]),
                [{"venue_id": vid, "district": d, "distance_m": m}
                 for d, m in demo_distances(towns, towns[v * 5]).items()],
            )  # fmt: skip
            rows = []
            for k in range(per_venue):
                start = first + dt.timedelta(days=k // 16, minutes=30 * (k % 16))
                rows.append({"venue_id": vid, "starts_at": start.astimezone(dt.UTC),
                             "ends_at": (start + dt.timedelta(minutes=30)).astimezone(dt.UTC),
                             "capacity": capacity, "booked": 0})  # fmt: skip
            ids = (
                (
                    await conn.execute(
                        insert(T["slots"]).returning(T["slots"].c.id, sort_by_parameter_order=True),
                        rows,
                    )
                )
                .scalars()
                .all()
            )
            await conn.execute(
                insert(T["slot_support"]),
                [{"slot_id": sid, "transport_seats": 6 if k % 4 == 0 else 0,
                  "wheelchair": v % 4 != 3, "pickup_minutes": 45}
                 for k, sid in enumerate(ids)],
            )  # fmt: skip
    await engine.dispose()
    print(f"setup: {residents} residents, {slots} slots of {capacity} seats "
          f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip


async def _run(url: str, second: int | None) -> None:
    engine = create_engine(url)
    rules = Rules(as_of=dt.date.today(), second_dose_days=second)
    sessions = session_factory(engine)
    async with sessions() as session:
        t0 = time.perf_counter()
        data = await load_input(session, after=dt.datetime.now(dt.UTC))
        t1 = time.perf_counter()
        plan = assign(data.people, data.slots, data.distances, rules)
        t2 = time.perf_counter()
        report = build_report(plan, data)
        t3 = time.perf_counter()
    print(f"dry run: read {t1 - t0:.2f} s, plan {t2 - t1:.2f} s, report {t3 - t2:.2f} s, "
          f"total {t3 - t0:.2f} s")  # fmt: skip
    print(f"  candidates {report.candidates}, assigned {report.assigned}, "
          f"not assigned {report.not_assigned} {report.reasons}, "
          f"households {report.households} (split {report.households_split}), "
          f"nearest {report.nearest_share}, latest {report.latest_date}")  # fmt: skip
    async with sessions() as session:
        t0 = time.perf_counter()
        done = await run_assignment(session, rules, commit=True, expect=report.digest)
        await session.commit()
        t1 = time.perf_counter()
    print(f"commit (read, plan, write {done.bookings_written} bookings + audit): "
          f"{t1 - t0:.2f} s")  # fmt: skip
    async with sessions() as session:
        t0 = time.perf_counter()
        channels = await figures.intents_by_channel(session)
        t1 = time.perf_counter()
        days = await figures.assigned_by_day(session, dt.date.today(), "Asia/Tokyo")
        t2 = time.perf_counter()
        status = await figures.assignment_status(session)
        t3 = time.perf_counter()
    print(f"board figures: intents by channel {t1 - t0:.2f} s, assigned per venue-day "
          f"{t2 - t1:.2f} s ({len(days)} rows, {sum(d.assigned for d in days)} assigned), "
          f"to assign / cannot assign {t3 - t2:.2f} s "
          f"({status.to_assign} / {status.cannot_assign}); {channels}")  # fmt: skip
    await engine.dispose()


# --- gap to the optimum -------------------------------------------------------------------------


Instance = tuple[list[Person], list[OpenSlot], dict[tuple[int, str], int]]


def _instance(rng: random.Random, n: int, n_slots: int) -> Instance:
    districts = [f"d{k}" for k in range(6)]
    people, rid, hid = [], 0, 0
    while rid < n:
        hid += 1
        size = rng.choice((1, 1, 1, 2, 2, 3))
        district = rng.choice(districts)
        for _ in range(size):
            rid += 1
            people.append(Person(rid, hid, dt.date(1930 + rng.randrange(40), 1 + rng.randrange(12),
                                                   1), district, transport=rng.random() < 0.15,
                                 wheelchair=rng.random() < 0.05))  # fmt: skip
    start = dt.datetime(2030, 1, 7, 0, tzinfo=dt.UTC)
    slots = [
        OpenSlot(s + 1, 1 + s % 3, start + dt.timedelta(hours=s // 3),
                 (start + dt.timedelta(hours=s // 3)).date(), rng.choice((2, 3, 4, 5)),
                 rng.choice((0, 0, 1, 2)), s % 3 != 2)
        for s in range(n_slots)
    ]  # fmt: skip
    distances = {(v, d): rng.randrange(300, 8000) for v in (1, 2, 3) for d in districts}
    return people, slots, distances


def _optimum(people: list[Person], slots: list[OpenSlot], dist: dict[tuple[int, str], int],
             rules: Rules, fixed: set[int] | None = None) -> tuple[int, int, int]:  # fmt: skip
    """(placed, households split, total metres) of CP-SAT's best: priority-weighted placements
    first, then households together, then nearness. With ``fixed``: exactly those residents
    placed (the greedy's), to measure what its order costs in nearness alone."""
    from ortools.sat.python import cp_model

    from registry.assign.solver import band_index

    m = cp_model.CpModel()
    x = {}
    for p in people:
        for s in slots:
            if (not p.wheelchair or s.wheelchair) and s.free > 0:
                x[p.resident_id, s.slot_id] = m.new_bool_var(f"x{p.resident_id}_{s.slot_id}")
    for p in people:
        m.add_at_most_one(v for (r, _), v in x.items() if r == p.resident_id)
        if fixed is not None:
            m.add(sum(v for (r, _), v in x.items() if r == p.resident_id)
                  == int(p.resident_id in fixed))  # fmt: skip
    for s in slots:
        m.add(sum(v for (_, sid), v in x.items() if sid == s.slot_id) <= s.free)
        m.add(sum(v for (r, sid), v in x.items() if sid == s.slot_id
                  and people[r - 1].transport) <= s.transport_free)  # fmt: skip
    together = []
    homes: dict[int, list[Person]] = {}
    for p in people:
        homes.setdefault(p.household_id or -p.resident_id, []).append(p)
    for members in (h for h in homes.values() if len(h) > 1):
        t = m.new_bool_var("t")
        for s in slots:  # together: every member in one slot (the first member's)
            first = x.get((members[0].resident_id, s.slot_id))
            for q in members[1:]:
                other = x.get((q.resident_id, s.slot_id))
                if first is None or other is None:
                    if first is not None:
                        m.add_implication(first, t.Not())
                    continue
                m.add(other == first).only_enforce_if(t)
        m.add(sum(v for (r, _), v in x.items() if r == members[0].resident_id) == 1
              ).only_enforce_if(t)  # fmt: skip
        together.append(t)
    weight = {p.resident_id: 10 - band_index(p.birth_date, rules) for p in people}
    far = {(p.resident_id, s.slot_id): dist[s.venue_id, p.district or ""] // 100
           for p in people for s in slots}  # fmt: skip
    m.maximize(
        sum(10**7 * weight[r] * v for (r, _), v in x.items())
        + sum(10**5 * t for t in together)
        - sum(far[k] * v for k, v in x.items())
    )
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60
    solver.parameters.num_workers = 2
    solver.solve(m)
    placed = [k for k, v in x.items() if solver.value(v)]
    slot_of = dict(placed)
    splits = 0
    for members in (h for h in homes.values() if len(h) > 1):  # as the greedy counts them
        got = [slot_of.get(q.resident_id) for q in members]
        if any(g is not None for g in got) and len(set(got)) > 1:
            splits += 1
    metres = sum(dist[slots[sid - 1].venue_id, people[r - 1].district or ""] for r, sid in placed)
    return len(placed), splits, metres


def _gap(cases: int) -> None:
    print("greedy vs CP-SAT optimum (placed, households split, metres travelled):")
    rng = random.Random(5)
    worse_placed = 0
    for case in range(cases):
        people, slots, dist = _instance(rng, 40 + 10 * (case % 3), 12)
        rules = Rules(as_of=dt.date(2030, 1, 1))
        plan = assign(people, slots, dist, rules)
        by_slot = {s.slot_id: s for s in slots}
        g_metres = sum(dist[by_slot[p.slot_id].venue_id, people[p.resident_id - 1].district or ""]
                       for p in plan.placements)  # fmt: skip
        t0 = time.perf_counter()
        o_placed, o_split, o_metres = _optimum(people, slots, dist, rules)
        took = time.perf_counter() - t0
        worse_placed += o_placed - len(plan.placements)
        same = {p.resident_id for p in plan.placements}
        _, f_split, f_metres = _optimum(people, slots, dist, rules, fixed=same)
        print(f"  case {case + 1}: {len(people)} residents, {sum(s.free for s in slots)} seats: "
              f"greedy {len(plan.placements)} / {len(plan.split)} / {g_metres} m, "
              f"optimum {o_placed} / {o_split} / {o_metres} m ({took:.1f} s), "
              f"optimum for the greedy's residents {f_split} / {f_metres} m")  # fmt: skip
    print(f"residents the greedy placed fewer than the optimum, over {cases} cases: {worse_placed}")
    print(
        "(the optimum weighs priority bands only, so within a band it may seat nearer residents "
        "before older ones; the greedy never does)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--residents", type=int, default=30_000)
    ap.add_argument("--slots", type=int, default=2_000)
    ap.add_argument("--fill", type=float, default=0.95, help="seats per resident (0.95)")
    ap.add_argument("--second-dose-days", type=int)
    ap.add_argument("--db", help="database URL (default: a SQLite file in a temporary folder)")
    ap.add_argument("--gap", action="store_true", help="greedy vs CP-SAT on small instances")
    ap.add_argument("--cases", type=int, default=6)
    args = ap.parse_args()
    if args.gap:
        _gap(args.cases)
        return
    with tempfile.TemporaryDirectory(prefix="bench-assign-") as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'ledger.sqlite3'}"
        asyncio.run(_setup(url, args.residents, args.slots, args.fill))
        asyncio.run(_run(url, args.second_dose_days))


if __name__ == "__main__":
    main()
