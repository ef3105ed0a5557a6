"""The append-only teacher ledger and monthly statements (ST-5).

A month's statement holds the entries of its own sessions and, for sessions of months already published, the
corrections: when what the facts now give differs from what was published (a late patrol finding, an amended
record), a **reversing** entry cancels the published ones and a **new** entry states the right figure. Nothing
published is ever edited. Both are pure functions of the facts and the ledger, so a replay gives the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from services.stipend.domain.workload import Entry


@dataclass(frozen=True)
class Posted:
    """An entry as published in the ledger, with its id and the ids it reverses."""

    entry_id: str
    entry: Entry
    reverses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Draft:
    """A ledger line about to be published: the entry and, for a reversal, the ids it cancels."""

    entry: Entry
    reverses: tuple[str, ...] = ()


def corrections(posted: Iterable[Posted], recomputed: Iterable[Entry]) -> list[Draft]:
    """ST-5: reversing + new entries wherever the facts now give other units or fen than the ledger holds."""
    by_key: dict[tuple[str, str, str], list[Posted]] = {}
    for row in posted:
        by_key.setdefault(row.entry.key, []).append(row)
    now = {entry.key: entry for entry in recomputed}
    drafts: list[Draft] = []
    for key in sorted(by_key.keys() | now.keys()):
        rows = by_key.get(key, [])
        units, fen = sum(r.entry.units for r in rows), sum(r.entry.fen for r in rows)
        new = now.get(key)
        if (units, fen) == ((new.units, new.fen) if new else (0, 0)):
            continue
        if rows and (units, fen) != (0, 0):
            last = max(rows, key=lambda r: r.entry_id).entry
            ids = tuple(sorted({i for r in rows for i in r.entry.event_ids}))
            reversal = replace(
                last, units=-units, fen=-fen, reason=f"ST-5: reverses {len(rows)} entry(ies)", event_ids=ids
            )
            drafts.append(Draft(reversal, tuple(sorted(r.entry_id for r in rows))))
        if new is not None and (new.units, new.fen) != (0, 0):
            drafts.append(Draft(replace(new, reason=f"ST-5: correction; {new.reason}")))
    return drafts


@dataclass(frozen=True)
class TeacherTotals:
    """A teacher's month: units, the signed sum of the entries and what is payable (never below 0)."""

    staff_id: str
    units: int
    total_fen: int
    corrections_fen: int

    @property
    def payable_fen(self) -> int:
        """ST-1: lateness can take units below zero; pay cannot."""
        return max(0, self.total_fen)


def totals(drafts: Sequence[Draft], month: str) -> list[TeacherTotals]:
    """Per teacher: units and fen of the month's own entries plus the corrections of earlier months."""
    acc: dict[str, list[int]] = {}
    for draft in drafts:
        e = draft.entry
        row = acc.setdefault(e.staff_id, [0, 0, 0])
        row[0] += e.units if e.month == month else 0
        row[1] += e.fen
        row[2] += e.fen if e.month != month else 0
    return [TeacherTotals(staff, u, f, c) for staff, (u, f, c) in sorted(acc.items())]


def fingerprint(drafts: Sequence[Draft]) -> str:
    """What the admin approved: a digest of every line, so publishing refuses a draft that changed since."""
    lines = sorted(
        json.dumps([d.entry.key, d.entry.session_date.isoformat(), d.entry.units, d.entry.fen, d.reverses])
        for d in drafts
    )
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()
