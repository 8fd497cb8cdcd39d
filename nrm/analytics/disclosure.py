"""Statistical disclosure control: cell suppression with secondary suppression.

Primary suppression replaces counts from 1 to ``threshold - 1`` by ``[c]``. A table's
totals are linear constraints (a total equals the sum of the cells under it), so a
single suppressed value in such a group could be worked out by subtraction. Secondary
suppression therefore looks at every group (a total and the cells that add up to it,
along every dimension that has totals) and, wherever exactly one member is suppressed,
suppresses the smallest other non-zero cell of the group (or the total itself if there
is none), repeating until no group has exactly one suppressed member. Ties are broken
by the table's row order, so the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from nrm.analytics.engine import TableResult, Value
from nrm.analytics.tables import TOTAL, DisclosureControl, TableDef

__all__ = ["SUPPRESSED", "apply", "constraint_groups", "suppress"]

SUPPRESSED = "[c]"


def constraint_groups(table: TableDef, rows: Sequence[tuple[Value, ...]]) -> list[tuple[int, list[int]]]:
    """Every (total row, rows that add up to it) pair of a tidy table, as row indices.

    For each row and each roll-up chain of the table, the row's parent is the row with
    the deepest non-total dimension of that chain replaced by ``Total``; the group of a
    parent is all its children along that chain. A row whose parent is missing is not in
    any group along that chain.
    """
    k = len(table.dimensions)
    index = {tuple(r[:k]): i for i, r in enumerate(rows)}
    groups: dict[tuple[int, int], list[int]] = {}
    for c, chain in enumerate(table.chains()):
        for i, r in enumerate(rows):
            deepest = None
            for j in chain:
                if r[j] != TOTAL:
                    deepest = j
            if deepest is None:
                continue
            key = list(r[:k])
            key[deepest] = TOTAL
            parent = index.get(tuple(key))
            if parent is not None:
                groups.setdefault((parent, c), []).append(i)
    return [(total, members) for (total, _c), members in sorted(groups.items())]


def suppress(counts: Sequence[int], groups: Sequence[tuple[int, list[int]]], control: DisclosureControl) -> list[bool]:
    """Which cells to suppress, given the counts and the constraint groups."""
    n = len(counts)
    out = [control.enabled and 0 < c < control.threshold for c in counts]
    if not control.enabled or not control.secondary:
        return out
    member_of: list[list[int]] = [[] for _ in range(n)]
    for g, (total, members) in enumerate(groups):
        member_of[total].append(g)
        for m in members:
            member_of[m].append(g)
    pending = [g for g in range(len(groups))]
    queued = set(pending)
    while pending:
        g = pending.pop()
        queued.discard(g)
        total, members = groups[g]
        cells = [total, *members]
        if sum(out[c] for c in cells) != 1:
            continue
        candidates = [m for m in members if not out[m] and counts[m] > 0]
        if candidates:
            pick = min(candidates, key=lambda m: (counts[m], m))
        elif not out[total]:
            pick = total
        else:
            continue
        out[pick] = True
        for h in member_of[pick]:
            if h not in queued:
                queued.add(h)
                pending.append(h)
    return out


def _as_count(v: Value) -> int:
    return v if isinstance(v, int) else 0


def apply(result: TableResult, control: DisclosureControl | None = None) -> TableResult:
    """The table with suppressed cells (count and statistics) replaced by ``[c]``."""
    control = control if control is not None else result.table.disclosure
    if not control.enabled:
        return result
    k = len(result.table.dimensions)
    counts = [_as_count(r[k]) for r in result.rows]
    groups = constraint_groups(result.table, result.rows)
    flags = suppress(counts, groups, control)
    rows: list[tuple[Value, ...]] = []
    for r, flag in zip(result.rows, flags, strict=True):
        rows.append(r[:k] + tuple(SUPPRESSED for _ in r[k:]) if flag else r)
    return replace(result, rows=rows, suppressed=sum(flags))
