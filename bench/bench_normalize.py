"""Throughput of caller-number and name normalization (one core), printed as figures.

Run: .venv/bin/python bench/bench_normalize.py [N]
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable, Sequence

import phonenumbers

from registry.normalize.names import kana_key, loose_kana_key, name_key
from registry.normalize.phone import normalize_caller_id, normalize_ledger_phone
from registry.normalize.wareki import parse_date, to_wareki
from registry.seed.city import generate_ledger


def rate(fn: Callable[[str], object], items: Sequence[str], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return len(items) / best


def phonenumbers_only(raw: str) -> str | None:
    try:
        n = phonenumbers.parse(raw, "JP")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(n):
        return None
    return phonenumbers.format_number(n, phonenumbers.PhoneNumberFormat.E164)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
    rows = list(generate_ledger(n, seed=5))
    phones = [p for r in rows for p in (r.landline, r.mobile) if p][:n]
    rng = random.Random(1)
    odd = ["00773621234", "1840773621234", "0036-0773-62-1234", "0773-62-1234 内線12",
           "+81 773 62 1234", "0081773621234", "anonymous", "<unknown>", "P", "非通知", "62-1234",
           "(0773)62-1234", "０７７３－６２－１２３４", "0120-123-456",
           "010-1-212-555-1234"]  # fmt: skip
    mixed = [rng.choice(odd) if rng.random() < 0.2 else p for p in phones]
    print(f"phone numbers (n={len(phones)}; ledger forms: hyphenated, digits, local, full width)")
    print(f"  normalize_ledger_phone   {rate(normalize_ledger_phone, phones):>12,.0f} /s")
    print(f"  normalize_caller_id      {rate(normalize_caller_id, phones):>12,.0f} /s")
    print(f"  + 20% unusual forms      {rate(normalize_caller_id, mixed):>12,.0f} /s")
    print(f"  phonenumbers parse+valid+E164 {rate(phonenumbers_only, phones, 1):>7,.0f} /s")
    names = [r.name for r in rows]
    kanas = [r.name_kana for r in rows]
    print(f"names (n={len(names)})")
    print(f"  name_key                 {rate(name_key, names):>12,.0f} /s")
    print(f"  kana_key                 {rate(kana_key, kanas):>12,.0f} /s")
    print(f"  loose_kana_key           {rate(loose_kana_key, kanas):>12,.0f} /s")
    dates = [to_wareki(r.birth_date) for r in rows]
    print(f"  parse_date (wareki)      {rate(parse_date, dates):>12,.0f} /s")


if __name__ == "__main__":
    main()
