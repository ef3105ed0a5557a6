"""Teacher workload and pay per session (ST-1, ST-2, ST-3), from attendance's staff facts (AT-9, AT-10).

Units are kept in hundredths (`UNIT` = 1 unit) so halves and quarters stay integers (ST-7):

- ST-1: a complete activity record earns 1 unit, an incomplete one 0.5, none 0; a half session (noon care, AT-9)
  earns half of that (so a complete noon record is the seed's 0.5);
- ST-1: each late sign-in is a separate −1 unit entry;
- ST-1: an unexcused absence (sign-in `absent`, or a patrol that found the teacher not present) earns 0 and
  the teacher's whole day is unpaid;
- ST-3: a safety incident or dereliction of duty makes the day unpaid and forfeits the term bonus;
  a breach of professional ethics withholds the whole month (every entry of the month is valued at 0 fen).

Pay (ST-2): an entry is worth `units × class-hours × (base rate + specialty supplement)` of the policy in force
on the session's day, rounded once per entry (`money.round_fen_of`). An unpaid day or withheld month keeps its
units (the workload is still on record) but values them at 0 fen, and the entry names the events why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date

from services.stipend.domain.money import round_fen_of

UNIT = 100
SERVICE, LATE = "service", "late"


@dataclass(frozen=True)
class SessionFacts:
    """Everything attendance reported about one teacher in one session (each part with its event id)."""

    staff_id: str
    school_id: str
    session_id: str
    session_date: date
    kind: str
    program_id: str | None
    half_session: bool
    sign_in: tuple[str, int, str] | None = None
    """(status, minutes late, event id) of the sign-in (AT-9: exactly one per teacher and session)."""
    records: frozenset[tuple[int, bool, str]] = frozenset()
    """(revision, complete, event id) of every filed revision; the highest revision counts."""
    absent_patrols: frozenset[str] = frozenset()
    """Event ids of patrols that found the teacher not present (AT-10)."""
    incidents: frozenset[tuple[str, str]] = frozenset()
    """(kind, event id): safety_incident, dereliction_of_duty or ethics_breach (ST-3)."""


@dataclass(frozen=True)
class Rate:
    """ST-2: what one unit of this session is worth: class-hours × fen per class-hour (base + supplement)."""

    class_hours: int
    fen_per_class_hour: int


@dataclass(frozen=True)
class Entry:
    """One line of a teacher's ledger: units and fen for a session, the rule, and the events behind it."""

    staff_id: str
    school_id: str
    session_id: str
    session_date: date
    line: str
    units: int
    fen: int
    reason: str
    event_ids: tuple[str, ...] = field(default=())

    @property
    def key(self) -> tuple[str, str, str]:
        """What a correction compares: the teacher, the session and the line."""
        return (self.staff_id, self.session_id, self.line)

    @property
    def month(self) -> str:
        """The month (YYYY-MM) the session belongs to."""
        return self.session_date.isoformat()[:7]


def _value(units: int, rate: Rate) -> int:
    return round_fen_of(units * rate.class_hours * rate.fen_per_class_hour, UNIT)


def _absent(facts: SessionFacts) -> list[str]:
    ids = sorted(facts.absent_patrols)
    if facts.sign_in is not None and facts.sign_in[0] == "absent":
        ids.append(facts.sign_in[2])
    return sorted(ids)


def session_entries(facts: SessionFacts, rate: Rate) -> list[Entry]:
    """ST-1/ST-2: the service entry of a session, and a late entry if the teacher signed in late."""
    base = Entry(facts.staff_id, facts.school_id, facts.session_id, facts.session_date, SERVICE, 0, 0, "", ())
    sign_in_ids = () if facts.sign_in is None else (facts.sign_in[2],)
    absent = _absent(facts)
    if absent:
        return [replace(base, reason="ST-1: unexcused absence, 0 units", event_ids=tuple(absent))]
    if not facts.records:
        return [replace(base, reason="ST-1: no activity record filed, 0 units", event_ids=sign_in_ids)]
    revision, complete, record_id = max(facts.records)
    units = UNIT if complete else UNIT // 2
    what = "complete" if complete else "incomplete"
    if facts.half_session:
        units //= 2
        what += " half session (noon, AT-9)"
    ids = tuple(sorted({*sign_in_ids, record_id}))
    service = replace(
        base, units=units, fen=_value(units, rate), reason=f"ST-1: {what} record r{revision}", event_ids=ids
    )
    entries = [service]
    if facts.sign_in is not None and facts.sign_in[0] == "late":
        late = -UNIT
        reason = f"ST-1: signed in {facts.sign_in[1]} min late, -1 unit"
        entries.append(
            replace(base, line=LATE, units=late, fen=_value(late, rate), reason=reason, event_ids=sign_in_ids)
        )
    return entries


def _zeroed(entry: Entry, why: str, ids: Iterable[str]) -> Entry:
    return replace(entry, fen=0, reason=f"{entry.reason}; {why}", event_ids=tuple(sorted({*entry.event_ids, *ids})))


def teacher_entries(sessions: Iterable[SessionFacts], rate_of: Callable[[SessionFacts], Rate]) -> list[Entry]:
    """ST-1..ST-3 over a set of sessions: every session's entries, then unpaid days and withheld months applied."""
    sessions = list(sessions)
    unpaid_days: dict[tuple[str, date], set[str]] = {}
    withheld: dict[tuple[str, str], set[str]] = {}
    for s in sessions:
        day = (s.staff_id, s.session_date)
        for event_id in _absent(s):
            unpaid_days.setdefault(day, set()).add(event_id)
        for kind, event_id in s.incidents:
            if kind == "ethics_breach":
                withheld.setdefault((s.staff_id, s.session_date.isoformat()[:7]), set()).add(event_id)
            else:
                unpaid_days.setdefault(day, set()).add(event_id)
    entries = []
    for s in sessions:
        for entry in session_entries(s, rate_of(s)):
            month_ids = withheld.get((s.staff_id, entry.month))
            day_ids = unpaid_days.get((s.staff_id, s.session_date))
            if month_ids:
                entry = _zeroed(entry, "month withheld (ST-3, ethics)", month_ids)
            elif day_ids:
                entry = _zeroed(entry, "day unpaid (ST-1/ST-3)", day_ids)
            entries.append(entry)
    return sorted(entries, key=lambda e: (e.staff_id, e.session_date, e.session_id, e.line))


def bonus_forfeited(sessions: Iterable[SessionFacts]) -> dict[str, tuple[str, ...]]:
    """ST-3: teachers who lost the term bonus (a safety incident or dereliction), with the events why."""
    lost: dict[str, set[str]] = {}
    for s in sessions:
        for kind, event_id in s.incidents:
            if kind in ("safety_incident", "dereliction_of_duty"):
                lost.setdefault(s.staff_id, set()).add(event_id)
    return {staff: tuple(sorted(ids)) for staff, ids in sorted(lost.items())}


@dataclass(frozen=True)
class StaffFact:
    """One stored staff fact (AT-9/AT-10), keyed by its natural id: a redelivery is the same fact."""

    fact_id: str
    kind: str
    """sign_in, record, patrol or incident"""
    staff_id: str
    school_id: str
    session_id: str
    session_date: date
    session_kind: str
    program_id: str | None
    half_session: bool
    event_id: str
    status: str = ""
    minutes_late: int = 0
    revision: int = 0
    complete: bool = False
    teacher_present: bool = True
    incident_kind: str = ""


def group_sessions(facts: Iterable[StaffFact]) -> list[SessionFacts]:
    """ST-7: the facts of each teacher and session, whatever their order or how often each was delivered."""
    grouped: dict[tuple[str, str], dict[str, StaffFact]] = {}
    for fact in facts:
        # the first stored copy of a natural id wins; a copy with the same id is the same fact (ST-7)
        grouped.setdefault((fact.staff_id, fact.session_id), {}).setdefault(fact.fact_id, fact)
    return [_session(sorted(by_id.values(), key=lambda f: f.fact_id)) for _key, by_id in sorted(grouped.items())]


def _session(rows: list[StaffFact]) -> SessionFacts:
    first = rows[0]
    sign_ins = [r for r in rows if r.kind == "sign_in"]
    sign_in = (sign_ins[0].status, sign_ins[0].minutes_late, sign_ins[0].event_id) if sign_ins else None
    return SessionFacts(
        staff_id=first.staff_id,
        school_id=first.school_id,
        session_id=first.session_id,
        session_date=first.session_date,
        kind=first.session_kind,
        program_id=first.program_id,
        half_session=first.half_session,
        sign_in=sign_in,
        records=frozenset((r.revision, r.complete, r.event_id) for r in rows if r.kind == "record"),
        absent_patrols=frozenset(r.event_id for r in rows if r.kind == "patrol" and not r.teacher_present),
        incidents=frozenset((r.incident_kind, r.event_id) for r in rows if r.kind == "incident"),
    )
