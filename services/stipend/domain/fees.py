"""A child's monthly fee statement (EN-7, ST-6, BX-5): the stipend's class-hour lines charged by the fee rules of
`contracts/fees.py` (the one statement of them, which enrollment checks plans and waivers with), and late-pickup
fees (BX-5) added as attendance charged them, once per check-out.

The lines come from the programs' schedules (`class_hours.py`), so every attended day of a line is charged
per class-hour; a monthly plan charges the month's service days only (`contracts.fees.charge_days`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from contracts.fees import FeePlan, Waiver, charge_days
from services.stipend.domain.class_hours import Line


@dataclass(frozen=True)
class LateFee:
    """BX-5: a late-pickup fee attendance charged for one check-out."""

    check_out_id: str
    day: date
    minutes_late: int
    fee_fen: int
    event_id: str


@dataclass(frozen=True)
class ProgramCharge:
    """One program line of a child's month: attendance, what it costs before and after waivers."""

    program_id: str
    kind: str
    attended_days: int
    class_hours: int
    charged_class_hours: int
    gross_fen: int
    due_fen: int
    event_ids: tuple[str, ...] = field(default=())

    @property
    def waived_fen(self) -> int:
        """What the waivers took off (EN-7)."""
        return self.gross_fen - self.due_fen


def program_charge(
    program_id: str,
    kind: str,
    lines: Iterable[Line],
    plans: Sequence[FeePlan],
    waivers: Collection[Waiver],
    service_days: Collection[date],
) -> ProgramCharge:
    """ST-6: one program's month for one child (lines of other programs are ignored)."""
    hours: dict[date, int] = {}
    ids: set[str] = set()
    for line in lines:
        if line.program_id == program_id and line.class_hours > 0:
            hours[line.day] = hours.get(line.day, 0) + line.class_hours
            ids.update(line.event_ids)
    due = charge_days(program_id=program_id, plans=plans, waivers=waivers, hours=hours, service_days=service_days)
    return ProgramCharge(
        program_id,
        kind,
        due.attended_days,
        sum(hours.values()),
        due.charged_class_hours,
        due.gross_fen,
        due.due_fen,
        tuple(sorted(ids)),
    )


def late_fees(fees: Iterable[LateFee]) -> list[LateFee]:
    """BX-5: each check-out's fee once, however often (or in whichever envelope) it was delivered."""
    once: dict[str, LateFee] = {}
    for fee in fees:
        kept = once.get(fee.check_out_id)
        if kept is None or fee.event_id < kept.event_id:
            once[fee.check_out_id] = fee
    return sorted(once.values(), key=lambda f: (f.day, f.check_out_id))
