"""Generated tables shared by the tests (cached per process; no database is used).

Kept out of conftest.py so the tests also run with ``--noconftest``."""

from __future__ import annotations

import functools
from datetime import date

import pyarrow as pa

from nrm.analytics.synthetic import extract

START, END = date(2019, 1, 1), date(2024, 12, 31)
EARLY_START, EARLY_END = date(2018, 7, 1), date(2020, 6, 30)


@functools.cache
def referrals(n: int, seed: int, start: date = START, end: date = END) -> pa.Table:
    return extract.generate_referrals(n, seed, start, end)


def main_table() -> pa.Table:
    return referrals(60_000, 11)


def early_table() -> pa.Table:
    return referrals(20_000, 5, EARLY_START, EARLY_END)
